"""Spanish: "3 de diciembre de 2026", weekdays and months in lower case ("jue 3 dic"), 24-hour times.

Django's "M" capitalises the abbreviated month ("Dic"), which Spanish does not; "b" gives "dic".
"""

DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"

SHORT_DAY_FORMAT = "j b"
DAY_FORMAT = r"j \d\e F \d\e Y"
LONG_DAY_FORMAT = r"j \d\e F \d\e Y"
DAY_MONTH_FORMAT = r"j \d\e F"
WEEKDAY_NUMBER_FORMAT = "D j"
WEEKDAY_SHORT_DAY_FORMAT = "D j b"
WEEKDAY_DAY_FORMAT = r"l j \d\e F"
WEEKDAY_FULL_DAY_FORMAT = r"D j \d\e F \d\e Y"
SHORT_MOMENT_FORMAT = "j b, H:i"
MOMENT_FORMAT = r"j \d\e F \d\e Y, H:i"
WEEKDAY_MOMENT_FORMAT = "D j b, H:i"
CHART_MONTH_FORMAT = "b Y"
