"""The pure CONSORT module spells the participant states exactly as the research app's model does."""

from __future__ import annotations

from itertools import pairwise

from emotipal.analysis.trials import consort
from emotipal.research.models import ParticipantState
from emotipal.research.states import NEXT


def test_the_states_match_the_model() -> None:
    assert set(consort.STATES) == set(ParticipantState.values)
    assert set(NEXT) == set(consort.STATES)


def test_a_trail_the_state_machine_allows_is_counted_once() -> None:
    # Every participant who may be randomised went screened -> eligible -> consented -> enrolled.
    path = [ParticipantState.CANDIDATE, ParticipantState.SCREENED, ParticipantState.ELIGIBLE]
    path += [ParticipantState.CONSENTED, ParticipantState.ENROLLED]
    assert all(b in NEXT[a] for a, b in pairwise(path))
    trail = tuple((str(state), "") for state in path)
    f = consort.flow(
        [consort.FlowInput(trail=trail, arm="a"), consort.FlowInput(trail=trail, arm=None)], [("a", "A")]
    )
    assert (f.assessed, f.randomised, f.other.n, f.arms[0].allocated) == (2, 1, 1, 1)
    assert f.check() == []
