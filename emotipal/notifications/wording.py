"""The words of a homework reminder e-mail, in the wording an experiment's arm chose (features "reminders").

"standard" is the reminder as it has always been (a client in no experiment gets it); "encouraging" opens
with a word of support; "brief" says it in one line. Every wording is rendered inside the client's language
(called from accounts.emails.send_in_language), so gettext here gives the client's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emotipal.homework.models import Assignment
from emotipal.measures.models import Response


@dataclass(frozen=True)
class Waiting:
    """What the reminder lists: the homework due that day and the questionnaires open."""

    name: str
    due: Sequence[Assignment]
    questionnaires: Sequence[Response]
    # False when the reminder's time comes from a study rather than from the client's own choice.
    chosen_by_client: bool = True
    # The reminder's own signed link (records the opening, then goes to Today); None: Today's plain address.
    link: str | None = None

    @property
    def count(self) -> int:
        return len(self.due) + len(self.questionnaires)


def _lines(waiting: Waiting) -> str:
    return "\n".join(
        [f"- {a.template_version.title} ({a.minutes_per_practice} min)" for a in waiting.due]
        + [f"- {_('Questionnaire')}: {r.instrument_version.name}" for r in waiting.questionnaires]
    )


def _footer(waiting: Waiting) -> str:
    if waiting.chosen_by_client:
        return _(
            "You chose to get this reminder. You can change its time or turn it off in %(settings)s.\n"
        ) % {"settings": _("Settings")}
    # The study set the time for a client who chose none: say where it comes from and how to stop it,
    # without naming the arm (which a client is never shown).
    return _(
        "This reminder comes with the study you joined. You can leave the study at any time in %(settings)s.\n"
    ) % {"settings": _("Settings")}


def render(wording: str, waiting: Waiting) -> tuple[str, str]:
    """(subject, body) of the reminder in this wording; an unknown wording falls back to the standard one."""
    url = waiting.link or f"{settings.SITE_URL}{reverse('today')}"
    if wording == "brief":
        subject = _("EmotiPal: practice today")
        line = ngettext(
            "%(count)s thing is waiting for you today: %(url)s",
            "%(count)s things are waiting for you today: %(url)s",
            waiting.count,
        ) % {"count": waiting.count, "url": url}
        return subject, f"{line}\n\n{_footer(waiting)}"
    if wording == "encouraging":
        subject = _("A few minutes for yourself today")
        body = _(
            "Hello %(name)s,\n\nEvery practice counts, even a short one, and each time you practise it gets "
            "a little easier. You can do this.\n\nHere is what is waiting for you today:\n%(lines)s\n\n"
            "Open %(today)s: %(url)s\n\n"
        ) % {"name": waiting.name, "lines": _lines(waiting), "today": _("Today"), "url": url}
        return subject, body + _footer(waiting)
    subject = _("Your EmotiPal practice for today")
    if waiting.chosen_by_client:
        # Exactly the reminder as it was before experiments (and its existing translations).
        body = _(
            "Hello %(name)s,\n\nHere is what is waiting for you today:\n%(lines)s\n\n"
            "Open %(today)s: %(url)s\n\n"
            "You chose to get this reminder. You can change its time or turn it off in %(settings)s.\n"
        ) % {
            "name": waiting.name,
            "lines": _lines(waiting),
            "today": _("Today"),
            "url": url,
            "settings": _("Settings"),
        }
        return subject, body
    body = _(
        "Hello %(name)s,\n\nHere is what is waiting for you today:\n%(lines)s\n\nOpen %(today)s: %(url)s\n\n"
    ) % {
        "name": waiting.name,
        "lines": _lines(waiting),
        "today": _("Today"),
        "url": url,
    }
    return subject, body + _footer(waiting)


def push_text(waiting: Waiting) -> tuple[str, str]:
    """(title, body) of a push notification: a lock screen shows a line or two, and never the exercise's
    name (a phone's lock screen is seen by others)."""
    title = _("EmotiPal")
    body = ngettext(
        "%(count)s practice is waiting for you today.",
        "%(count)s practices are waiting for you today.",
        waiting.count,
    ) % {"count": waiting.count}
    return title, body
