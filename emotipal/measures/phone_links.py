"""Phone numbers in crisis resources as tappable `tel:` links (the number stays as written).

Crisis text is the clinic's own free text; it is escaped first, then only the numbers are wrapped, so no
markup from the text reaches the page."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A run of digits with the usual separators, at least 3 digits (116 123, 988, +44 20 7946 0000, (555) 010-0199).
PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{1,20}\d(?![\w/])")


def with_phone_links(text: str) -> SafeString:
    """The text, escaped, line breaks kept, each phone number a `tel:` link."""

    def link(match: re.Match[str]) -> str:
        shown = match.group(0)
        digits = re.sub(r"[^\d+]", "", shown)
        if len(digits.lstrip("+")) < 3:
            return shown
        return f'<a class="tel" href="tel:{digits}">{shown}</a>'

    escaped = str(escape(text))
    return mark_safe(PHONE.sub(link, escaped).replace("\n", "<br>"))  # noqa: S308 - escaped above
