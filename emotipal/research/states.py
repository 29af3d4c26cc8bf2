"""Which participant state may follow which: the one place the enrollment flow's order is decided."""

from __future__ import annotations

from emotipal.research.models import ParticipantState as S

# Withdrawal is possible from every state after the invitation was seen, at any time, in one step.
NEXT: dict[str, frozenset[str]] = {
    S.CANDIDATE: frozenset({S.SCREENED, S.WITHDRAWN}),
    S.SCREENED: frozenset({S.ELIGIBLE, S.INELIGIBLE, S.WITHDRAWN}),
    S.ELIGIBLE: frozenset({S.CONSENTED, S.DECLINED, S.WITHDRAWN}),
    S.INELIGIBLE: frozenset({S.SCREENED}),  # screened again later, when the client's data changed
    S.DECLINED: frozenset({S.CONSENTED}),  # a participant may change their mind while the study recruits
    S.CONSENTED: frozenset({S.ENROLLED, S.WITHDRAWN}),
    S.ENROLLED: frozenset({S.COMPLETED, S.LOST, S.WITHDRAWN}),
    S.LOST: frozenset({S.ENROLLED, S.WITHDRAWN}),
    S.COMPLETED: frozenset({S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
}

# States in which the participant's data may be used (subject to the scopes of their current consent).
DATA_IN_USE = frozenset({S.ENROLLED, S.COMPLETED, S.LOST})


def may_move(current: str, new: str) -> bool:
    return new in NEXT.get(current, frozenset())
