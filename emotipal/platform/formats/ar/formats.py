"""Arabic: Arabic month and weekday names, day before month ("3 ديسمبر 2026"), the Arabic comma, 24-hour times.

Arabic has no abbreviated month or weekday names (Django's "M" and "D" give the full ones), so the short
formats are the full names. Digits stay Western (0-9), as Django writes them and as the charts' axes do, so a
date reads the same on a page and on its chart. Django's Arabic module sets no DATETIME_FORMAT, which left the
English "ديسمبر 3, 2026, 2:05 م".
"""

DATETIME_FORMAT = "j F Y، H:i"
TIME_FORMAT = "H:i"

SHORT_DAY_FORMAT = "j F"
DAY_FORMAT = "j F Y"
LONG_DAY_FORMAT = "j F Y"
DAY_MONTH_FORMAT = "j F"
WEEKDAY_NUMBER_FORMAT = "l j"
WEEKDAY_SHORT_DAY_FORMAT = "l j F"
WEEKDAY_DAY_FORMAT = "l j F"
WEEKDAY_FULL_DAY_FORMAT = "l j F Y"
SHORT_MOMENT_FORMAT = "j F، H:i"
MOMENT_FORMAT = "j F Y، H:i"
WEEKDAY_MOMENT_FORMAT = "l j F، H:i"
CHART_MONTH_FORMAT = "F Y"
