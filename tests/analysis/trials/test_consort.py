"""The CONSORT flow counts: a worked example box by box, the ITT rules, bad input, and the sums (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.trials.consort import (
    STATES,
    ArmFlow,
    Box,
    Flow,
    FlowInput,
    Labels,
    Reasons,
    flow,
    table,
)

ARMS = [("control", "Usual app"), ("nudges", "App with nudges")]


def person(*trail: str | tuple[str, str], arm: str | None = None, **kw: object) -> FlowInput:
    steps = tuple(t if isinstance(t, tuple) else (t, "") for t in trail)
    return FlowInput(trail=steps, arm=arm, **kw)  # type: ignore[arg-type]


RANDOMISED_PATH = ("candidate", "screened", "eligible", "consented", "enrolled")


def worked_example() -> list[FlowInput]:
    """20 assessed: 3 ineligible, 2 declined, 1 other, 14 randomised 7/7 (plus 3 never assessed)."""
    people = [
        # Never assessed: not in the diagram.
        person("candidate"),
        person("candidate"),
        person("candidate", ("withdrawn", "not interested")),
        # Not meeting the inclusion criteria (3); for the rescreened one the latest outcome's reason counts.
        person("candidate", "screened", ("ineligible", "PHQ-9 below 10")),
        person(
            "candidate",
            "screened",
            ("ineligible", "under 18"),
            "screened",
            ("ineligible", "PHQ-9 below 10"),
        ),
        person("candidate", "screened", ("ineligible", "under 18")),
        # Declined (2): one with no reason; the other declined after being found eligible on a rescreen.
        person("candidate", "screened", "eligible", ("declined", "no time")),
        person("candidate", "screened", ("ineligible", "under 18"), "screened", "eligible", "declined"),
        # Other (1): consented, then withdrew before allocation, no reason given.
        person("candidate", "screened", "eligible", "consented", "withdrawn"),
    ]
    # Control arm (7): 1 did not receive, 1 lost, 1 discontinued with data removed, 1 without outcome data.
    people += [
        person(
            *RANDOMISED_PATH,
            "completed",
            arm="control",
            received=False,
            not_received_reason="never opened the app",
        ),
        person(*RANDOMISED_PATH, ("lost", "moved away"), arm="control"),
        person(
            *RANDOMISED_PATH, ("withdrawn", "too busy"), arm="control", data_removed=True, has_outcome=False
        ),
        person(*RANDOMISED_PATH, "completed", arm="control", has_outcome=False),
        # Was ineligible once, rescreened eligible and randomised: counted as randomised only.
        person(
            "candidate",
            "screened",
            ("ineligible", "x"),
            "screened",
            "eligible",
            "consented",
            "enrolled",
            arm="control",
        ),
        # Declined, then changed their mind: randomised.
        person("candidate", "screened", "eligible", "declined", "consented", "enrolled", arm="control"),
        person(*RANDOMISED_PATH, arm="control"),
    ]
    # Nudges arm (7): 2 lost for the same reason, one of them with no outcome data; 1 came back after being lost.
    people += [
        person(*RANDOMISED_PATH, ("lost", "no reply"), arm="nudges"),
        person(*RANDOMISED_PATH, ("lost", "no reply"), arm="nudges", has_outcome=False),
        person(*RANDOMISED_PATH, "lost", "enrolled", "completed", arm="nudges"),
        *[person(*RANDOMISED_PATH, "completed", arm="nudges") for _ in range(4)],
    ]
    return people


def test_worked_example_box_by_box() -> None:
    f = flow(worked_example(), ARMS)
    assert f.check() == []
    assert f.assessed == 20
    assert f.excluded == Box(6)
    assert f.not_meeting_criteria == Box(3, (("PHQ-9 below 10", 2), ("under 18", 1)))
    assert f.declined == Box(2, (("no reason recorded", 1), ("no time", 1)))
    assert f.other == Box(1, (("withdrew before allocation", 1),))
    assert f.randomised == 14
    control, nudges = f.arms
    assert control == ArmFlow(
        arm="control",
        label="Usual app",
        allocated=7,
        received=Box(6),
        not_received=Box(1, (("never opened the app", 1),)),
        lost=Box(1, (("moved away", 1),)),
        discontinued=Box(1, (("too busy", 1),)),
        analysed=5,
        excluded_from_analysis=Box(
            2, (("no outcome data", 1), ("withdrew; data removed under the protocol", 1))
        ),
    )
    assert nudges == ArmFlow(
        arm="nudges",
        label="App with nudges",
        allocated=7,
        received=Box(7),
        not_received=Box(0),
        lost=Box(2, (("no reply", 2),)),
        discontinued=Box(0),
        analysed=6,
        excluded_from_analysis=Box(1, (("no outcome data", 1),)),
    )


def test_latest_screening_outcome_decides_and_rescreened_ineligible_stays_excluded() -> None:
    f = flow(
        [
            # Ineligible, rescreened, now eligible but not yet consented: other ("not yet allocated").
            person("candidate", "screened", ("ineligible", "a"), "screened", "eligible"),
            # Ineligible and rescreened, outcome pending: the latest outcome is still ineligible.
            person("candidate", "screened", ("ineligible", "b"), "screened"),
            # Screening not finished: other.
            person("candidate", "screened"),
            # Enrolled but not allocated; lost before allocation.
            person(*RANDOMISED_PATH),
            person(*RANDOMISED_PATH, "lost"),
            person(*RANDOMISED_PATH, ("lost", "phone off")),
            # Withdrew during screening with a reason.
            person("candidate", "screened", ("withdrawn", "changed mind")),
            # Declined, changed their mind and consented, not yet enrolled: not "declined" but other.
            person("candidate", "screened", "eligible", ("declined", "no time"), "consented"),
        ],
        ARMS,
    )
    assert f.check() == []
    assert f.assessed == 8 and f.randomised == 0
    assert f.not_meeting_criteria == Box(1, (("b", 1),))
    assert f.declined == Box(0)
    assert f.other == Box(
        7,
        (
            ("not yet allocated", 4),
            ("changed mind", 1),
            ("lost to follow-up before allocation", 1),
            ("phone off", 1),
        ),
    )


def test_randomised_without_screening_in_the_trail_is_still_assessed() -> None:
    f = flow([person("enrolled", arm="nudges"), person(arm="control")], ARMS)
    assert f.check() == []
    assert (f.assessed, f.randomised, f.excluded.n) == (2, 2, 0)


def test_translated_default_reasons_and_reason_text_cleaned() -> None:
    r = Reasons(no_reason="sin motivo", data_removed="datos eliminados", no_outcome="sin datos")
    f = flow(
        [
            person("screened", ("ineligible", "  too\n young  ")),
            person("screened", "ineligible"),
            person(*RANDOMISED_PATH, "withdrawn", arm="control", data_removed=True),
            person(*RANDOMISED_PATH, arm="control", has_outcome=False),
        ],
        ARMS,
        reasons=r,
    )
    assert f.not_meeting_criteria.reasons == (("sin motivo", 1), ("too young", 1))
    assert f.arms[0].discontinued.reasons == (("sin motivo", 1),)
    assert f.arms[0].excluded_from_analysis.reasons == (("datos eliminados", 1), ("sin datos", 1))


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        flow([person("screened", "accepted")], ARMS)
    with pytest.raises(ValueError, match="not one of the trial's arms"):
        flow([person("screened", arm="placebo")], ARMS)
    with pytest.raises(ValueError, match="unique"):
        flow([], [("a", "A"), ("a", "B")])


def test_check_reports_every_broken_sum() -> None:
    good = flow(worked_example(), ARMS)
    assert good.check() == []
    arm = good.arms[0]
    broken = Flow(
        assessed=good.assessed + 1,
        excluded=Box(good.excluded.n + 2),
        not_meeting_criteria=Box(3, (("x", 2),)),
        declined=good.declined,
        other=good.other,
        randomised=good.randomised,
        arms=(
            ArmFlow(
                arm=arm.arm,
                label=arm.label,
                allocated=arm.allocated + 1,
                received=arm.received,
                not_received=arm.not_received,
                lost=arm.lost,
                discontinued=arm.discontinued,
                analysed=arm.analysed,
                excluded_from_analysis=arm.excluded_from_analysis,
            ),
            good.arms[1],
        ),
    )
    problems = broken.check()
    assert any(p.startswith("assessed") for p in problems)
    assert any(p.startswith("excluded") for p in problems)
    assert any(p.startswith("randomised") for p in problems)
    assert any("control: allocated" in p for p in problems)
    assert any("control: analysed" in p for p in problems)
    assert any("not meeting criteria: n 3 != sum of its reasons 2" in p for p in problems)


def test_table_has_the_same_numbers_as_the_flow() -> None:
    f = flow(worked_example(), ARMS)
    rows = table(f)
    assert rows[:6] == [
        ("Assessed for eligibility", "", 20, ""),
        ("Excluded", "", 6, ""),
        ("Not meeting inclusion criteria", "", 3, "PHQ-9 below 10 (2); under 18 (1)"),
        ("Declined to participate", "", 2, "no reason recorded (1); no time (1)"),
        ("Other reasons", "", 1, "withdrew before allocation (1)"),
        ("Randomised", "", 14, ""),
    ]
    by = {(stage, arm): (n, reasons) for stage, arm, n, reasons in rows}
    assert len(by) == len(rows) == 6 + 7 * 2
    assert by[("Allocated to", "Usual app")] == (7, "")
    assert by[("Did not receive allocated intervention", "Usual app")] == (1, "never opened the app (1)")
    assert by[("Lost to follow-up", "App with nudges")] == (2, "no reply (2)")
    assert by[("Analysed", "Usual app")] == (5, "")
    assert by[("Excluded from analysis", "Usual app")] == (
        2,
        "no outcome data (1); withdrew; data removed under the protocol (1)",
    )
    translated = table(f, Labels(assessed="Evaluados", analysed="Analizados"))
    assert translated[0] == ("Evaluados", "", 20, "")
    assert ("Analizados", "App with nudges", 6, "") in translated


# --- Property: random trails and arms always add up ------------------------------------------------------

reasons_text = st.sampled_from(["", "moved", "busy", "no reply", '<script>&"', "  spaced  out "])
trails = st.lists(st.tuples(st.sampled_from(STATES), reasons_text), max_size=8).map(tuple)


@st.composite
def trials(draw: st.DrawFn) -> tuple[list[FlowInput], list[tuple[str, str]]]:
    k = draw(st.integers(min_value=1, max_value=4))
    arms = [(f"arm{i}", f"Arm {i}") for i in range(k)]
    people = draw(
        st.lists(
            st.builds(
                FlowInput,
                trail=trails,
                arm=st.one_of(st.none(), st.sampled_from([key for key, _ in arms])),
                received=st.booleans(),
                not_received_reason=reasons_text,
                has_outcome=st.booleans(),
                data_removed=st.booleans(),
            ),
            max_size=40,
        )
    )
    return people, arms


ASSESSED = {"screened", "eligible", "ineligible", "consented", "declined", "enrolled", "completed", "lost"}


def parse_reasons(text: str) -> list[int]:
    return [int(m) for m in re.findall(r"\((\d+)\)(?:;|$)", text)]


@settings(max_examples=150, deadline=None, database=None)
@given(trials())
def test_random_trails_add_up_and_the_table_matches(
    trial: tuple[list[FlowInput], list[tuple[str, str]]],
) -> None:
    people, arms = trial
    f = flow(people, arms)
    assert f.check() == []
    # Independent counts of the top of the diagram.
    randomised = [p for p in people if p.arm is not None]
    assessed = [p for p in people if p.arm is not None or ASSESSED & {s for s, _ in p.trail}]
    assert f.randomised == len(randomised)
    assert f.assessed == len(assessed)
    for a in f.arms:
        mine = [p for p in randomised if p.arm == a.arm]
        assert a.allocated == len(mine)
        assert a.not_received.n == sum(not p.received for p in mine)
        assert a.analysed == sum(p.has_outcome and not p.data_removed for p in mine)
        assert a.lost.n == sum(bool(p.trail) and p.trail[-1][0] == "lost" for p in mine)
        assert a.discontinued.n == sum(bool(p.trail) and p.trail[-1][0] == "withdrawn" for p in mine)
    # Every box's reasons are distinct, sorted by count then text, and count each person once.
    boxes = [f.not_meeting_criteria, f.declined, f.other]
    for a in f.arms:
        boxes += [a.not_received, a.lost, a.discontinued, a.excluded_from_analysis]
    for box in boxes:
        texts = [t for t, _ in box.reasons]
        assert len(set(texts)) == len(texts) and all(texts)
        assert list(box.reasons) == sorted(box.reasons, key=lambda r: (-r[1], r[0]))
    # The table carries exactly the Flow's numbers.
    rows = table(f)
    labels = Labels()
    by = {(stage, arm): (n, reasons) for stage, arm, n, reasons in rows}
    assert len(by) == len(rows) == 6 + 7 * len(arms)
    assert by[(labels.assessed, "")][0] == f.assessed
    assert by[(labels.excluded, "")][0] == f.excluded.n
    assert by[(labels.randomised, "")][0] == f.randomised
    for label, box in [
        (labels.not_meeting_criteria, f.not_meeting_criteria),
        (labels.declined, f.declined),
        (labels.other, f.other),
    ]:
        n, reasons = by[(label, "")]
        assert n == box.n and parse_reasons(reasons) == [c for _, c in box.reasons]
    for a in f.arms:
        assert by[(labels.allocated_to, a.label)][0] == a.allocated
        assert by[(labels.received, a.label)][0] == a.received.n
        assert by[(labels.analysed, a.label)][0] == a.analysed
        for label, box in [
            (labels.not_received, a.not_received),
            (labels.lost, a.lost),
            (labels.discontinued, a.discontinued),
            (labels.excluded_from_analysis, a.excluded_from_analysis),
        ]:
            n, reasons = by[(label, a.label)]
            assert n == box.n and parse_reasons(reasons) == [c for _, c in box.reasons]
