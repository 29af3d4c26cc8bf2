"""The clinical summary a client's page opens with: what changed, and what needs the therapist's attention.

Read from the caseload's read model (homework) and, through the caseload_outcomes slot, the questionnaires app's
flags (open alerts, first -> latest scores with the outcomes page's reliable-change words): homework never
imports measures. A fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext, ngettext

from emotipal.accounts.models import ClientProfile
from emotipal.homework.engagement_view import EngagementPage
from emotipal.homework.queries import CaseloadRow, client_row
from emotipal.platform import extensions, formatting

# Practice is "low" when fewer than half the practices planned so far this week are done (and at least two
# were planned: one missed day early in the week is not yet a pattern).
LOW_PRACTICE_SHARE = 0.5
LOW_PRACTICE_MIN_PLANNED = 2


@dataclass
class Attention:
    text: str
    url: str
    level: str  # "danger" (risk) or "warn"


@dataclass
class ClientSummary:
    changes: list[Any]  # measures.queries.OutcomeChange, one per questionnaire with a total
    attention: list[Attention] = field(default_factory=list)
    row: CaseloadRow | None = None

    @property
    def has_scores(self) -> bool:
        return bool(self.changes)


def build(client: ClientProfile, engagement: EngagementPage) -> ClientSummary:
    """From the page's engagement section: its (assignment, session) pairs whose review session has come,
    and the client's homework record it read (not read again for the week's figures)."""
    to_review = engagement.to_review
    row = client_row(client, engagement.records, len(to_review))
    outcomes = extensions.caseload_outcomes.answer([client.pk])[client.pk]
    detail = reverse("client_detail", args=[client.pk])
    attention: list[Attention] = []
    if outcomes.open_alerts:
        n = outcomes.open_alerts
        text = ngettext("%(n)s open risk alert to acknowledge", "%(n)s open risk alerts to acknowledge", n)
        attention.append(Attention(text % {"n": n}, reverse("alerts"), "danger"))
    for name in outcomes.deteriorated:
        text = gettext("%(name)s: reliable deterioration since the first score") % {"name": name}
        attention.append(Attention(text, reverse("client_measures", args=[client.pk]), "danger"))
    for assignment, session in to_review:  # each homework by name: the link opens its review session
        text = gettext("%(title)s: due for review in session %(n)s (%(day)s)") % {
            "title": assignment.template_version.title,
            "n": session.number,
            "day": formatting.day(session.date),
        }
        attention.append(Attention(text, reverse("session_review", args=[client.pk, session.pk]), "warn"))
    if row.unreviewed:
        n = row.unreviewed
        text = ngettext("%(n)s entry not reviewed", "%(n)s entries not reviewed", n)
        attention.append(Attention(text % {"n": n}, f"{detail}#entries", "warn"))
    if row.open_barriers:
        n = row.open_barriers
        text = ngettext("%(n)s obstacle not talked through", "%(n)s obstacles not talked through", n)
        attention.append(Attention(text % {"n": n}, f"{detail}#obstacles", "warn"))
    planned, done = row.planned_this_week, row.done_this_week
    if planned >= LOW_PRACTICE_MIN_PLANNED and done < LOW_PRACTICE_SHARE * planned:
        text = ngettext(
            "Low practice: %(done)s of %(planned)s planned practice done this week",
            "Low practice: %(done)s of %(planned)s planned practices done this week",
            planned,
        )
        attention.append(Attention(text % {"done": done, "planned": planned}, f"{detail}#homework", "warn"))
    return ClientSummary(changes=outcomes.changes, attention=attention, row=row)
