"""Phone numbers in crisis resources as tappable `tel:` links (the number stays as written).

Crisis text is the clinic's own free text; it is escaped first, then only the numbers are wrapped, so no
markup from the text reaches the page."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A run of digits with the usual separators, at least 3 digits (116 123, 988, +44 20 7946 0000, (555) 010-0199).
PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{1,20}\d(?![\w/])")
# What the pattern also finds but is no number to call: a year (1900-2099 alone), a date (2026-12-03, 3.12.2026,
# 03-12-26) or a time (10.30). A short crisis line that is not a year (1737) is still a number.
NOT_A_NUMBER = re.compile(
    r"(19|20)\d\d"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[.-]\d{1,2}[.-](\d{2}|\d{4})"
    r"|\d{1,2}\.\d{2}"
)


def with_phone_links(text: str) -> SafeString:
    """The text, escaped, line breaks kept, each phone number a `tel:` link."""

    def link(match: re.Match[str]) -> str:
        shown = match.group(0)
        digits = re.sub(r"[^\d+]", "", shown)
        if len(digits.lstrip("+")) < 3 or NOT_A_NUMBER.fullmatch(shown.strip()):
            return shown
        return f'<a class="tel" href="tel:{digits}">{shown}</a>'

    escaped = str(escape(text))
    return mark_safe(PHONE.sub(link, escaped).replace("\n", "<br>"))  # noqa: S308 - escaped above  # nosec B308 B703
