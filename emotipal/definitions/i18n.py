"""How the pure definitions translate their messages without importing Django.

Plain English by default (the simulator, the analysis command line); the platform installs Django's gettext when
its apps are ready (emotipal.platform.apps), so a client reads validation messages in their own language.
`_` and `ngettext` keep their gettext names so that `makemessages` finds the strings.
"""

from __future__ import annotations

from collections.abc import Callable


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


_gettext: Callable[[str], str] = str
_ngettext: Callable[[str, str, int], str] = _english_plural


def install(gettext: Callable[[str], str], ngettext_: Callable[[str, str, int], str]) -> None:
    """Translate through these functions from now on (called once at start-up)."""
    global _gettext, _ngettext
    _gettext, _ngettext = gettext, ngettext_


def _(message: str) -> str:
    return str(_gettext(message))


def ngettext(singular: str, plural: str, count: int) -> str:
    return str(_ngettext(singular, plural, count))


def gettext_noop(message: str) -> str:
    """Marks wording for translation where it is defined; it is translated where it is shown."""
    return message
