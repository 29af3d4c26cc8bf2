"""The CONSORT SVG: well-formed, accessible, scalable, every number of the table in the right box, escaping,
wrapping and truncation, and the layout for two to four arms."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.trials.consort import (
    MAX_LINES,
    PAD,
    STATES,
    Flow,
    FlowInput,
    Labels,
    flow,
    svg,
    table,
)

NS = {"s": "http://www.w3.org/2000/svg"}
S = "{http://www.w3.org/2000/svg}"
ARMS = [("control", "Usual app"), ("nudges", "App with nudges")]
PATH = (("candidate", ""), ("screened", ""), ("eligible", ""), ("consented", ""), ("enrolled", ""))


def parse(text: str) -> ET.Element:
    """Parse as an untrusting reader would (defusedxml is not in the venv): no DTD, no entity declarations."""
    assert "<!DOCTYPE" not in text and "<!ENTITY" not in text
    return ET.fromstring(text)  # noqa: S314 - the module's own output, checked above


def p(*trail: tuple[str, str], arm: str | None = None, **kw: object) -> FlowInput:
    return FlowInput(trail=trail, arm=arm, **kw)  # type: ignore[arg-type]


def example(arms: list[tuple[str, str]] = ARMS, reason: str = "moved away") -> Flow:
    people = [
        p(("screened", ""), ("ineligible", "PHQ-9 below 10")),
        p(("screened", ""), ("ineligible", "PHQ-9 below 10")),
        p(("screened", ""), ("ineligible", "under 18")),
        p(("screened", ""), ("eligible", ""), ("declined", "no time")),
        p(("screened", ""), ("eligible", ""), ("declined", "")),
        p(("screened", ""), ("eligible", ""), ("consented", ""), ("withdrawn", "")),
    ]
    for i, (key, _) in enumerate(arms):
        people += [p(*PATH, ("completed", ""), arm=key) for _ in range(3 + i)]
        people += [
            p(*PATH, ("lost", reason), arm=key, has_outcome=False),
            p(*PATH, ("withdrawn", "too busy"), arm=key, data_removed=True),
            p(*PATH, arm=key, received=False, not_received_reason="never opened the app"),
        ]
    return flow(people, arms)


@dataclass
class Drawn:
    kind: str
    arm: str
    x: float
    y: float
    w: float
    h: float
    texts: list[str]  # one per <text>, its tspans joined by spaces
    spans: list[tuple[float, float, str]]  # (x, y, line) of every tspan
    titles: list[str]


def boxes(root: ET.Element) -> list[Drawn]:
    out = []
    for g in root.iter(f"{S}g"):
        classes = g.get("class", "").split()
        if "consort-box" not in classes:
            continue
        kind = next(c.removeprefix("consort-") for c in classes if c != "consort-box")
        rect = g.find("s:rect", NS)
        assert rect is not None
        texts, spans = [], []
        for t in g.iter(f"{S}text"):
            lines = [span.text or "" for span in t.findall("s:tspan", NS)]
            texts.append(" ".join(lines))
            spans += [
                (float(s.get("x", 0)), float(s.get("y", 0)), s.text or "") for s in t.findall("s:tspan", NS)
            ]
        out.append(
            Drawn(
                kind=kind,
                arm=g.get("data-arm", ""),
                x=float(rect.get("x", 0)),
                y=float(rect.get("y", 0)),
                w=float(rect.get("width", 0)),
                h=float(rect.get("height", 0)),
                texts=texts,
                spans=spans,
                titles=[t.text or "" for t in g.iter(f"{S}title")],
            )
        )
    return out


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    return x, y, w, h


def all_text(root: ET.Element) -> str:
    return " ".join(t for t in root.itertext())


def test_parses_scales_and_is_accessible() -> None:
    root = parse(svg(example(), title="Nudges trial"))
    assert root.tag == f"{S}svg"
    assert root.get("width") == "100%" and root.get("height") is None
    _, _, w, h = view_box(root)
    assert w > 0 and h > 0
    assert root.get("role") == "img" and root.get("aria-label") == "Nudges trial"
    title = root.find("s:title", NS)
    assert title is not None and title.text == "Nudges trial"
    markers = root.findall("s:defs/s:marker", NS)
    assert len(markers) == 1
    arrows = [
        line for line in root.iter(f"{S}line") if line.get("marker-end") == f"url(#{markers[0].get('id')})"
    ]
    assert len(arrows) == 2 + 2 + 2 * 2  # stem and exclusion, split to two arms, two rows between phases
    untitled = parse(svg(example()))
    assert untitled.get("aria-label") == "CONSORT 2010 flow diagram"
    phases = [" ".join(g.itertext()) for g in untitled.iter(f"{S}g") if g.get("class") == "consort-phase"]
    assert phases == ["Enrollment", "Allocation", "Follow-up", "Analysis"]


ENGLISH = Labels()


def assert_every_table_number_is_in_its_box(f: Flow, labels: Labels = ENGLISH) -> None:
    root = parse(svg(f, labels))
    drawn = boxes(root)

    def box(kind: str, arm: str = "") -> Drawn:
        (found,) = [b for b in drawn if b.kind == kind and b.arm == arm]
        return found

    def has(b: Drawn, text: str) -> bool:  # shown whole, or truncated with the whole text in a <title>
        return any(t.removeprefix("• ").removeprefix("– ") == text for t in b.texts + b.titles)

    where = {
        labels.assessed: "assessed",
        labels.excluded: "excluded",
        labels.not_meeting_criteria: "excluded",
        labels.declined: "excluded",
        labels.other: "excluded",
        labels.randomised: "randomised",
        labels.allocated_to: "allocation",
        labels.received: "allocation",
        labels.not_received: "allocation",
        labels.lost: "follow-up",
        labels.discontinued: "follow-up",
        labels.analysed: "analysis",
        labels.excluded_from_analysis: "analysis",
    }
    keys = {a.label: a.arm for a in f.arms}
    rows = table(f, labels)
    table_numbers: list[int] = []
    for stage, arm_label, n, reasons in rows:
        b = box(where[stage], keys[arm_label] if arm_label else "")
        heading = f"{stage} {arm_label}" if stage == labels.allocated_to else stage
        assert has(b, f"{heading} ({labels.count(n)})"), (heading, n, b.texts)
        table_numbers.append(n)
        for reason, count in re.findall(r"(.+?) \((\d+)\)(?:; |$)", reasons):
            assert has(b, f"{reason} ({labels.count(int(count))})"), (reason, count, b.texts)
            table_numbers.append(int(count))
    # No number in the picture that the table does not have.
    pattern = re.escape(labels.n).replace(re.escape("{n}"), r"(\d+)")
    shown = [int(m) for m in re.findall(pattern, all_text(root))]
    assert sorted(shown) == sorted(table_numbers)


def test_every_number_of_the_table_is_in_the_right_box() -> None:
    f = example()
    assert f.check() == []
    assert_every_table_number_is_in_its_box(f)


def test_translated_labels_replace_every_english_word() -> None:
    spanish = Labels(
        enrollment="Reclutamiento",
        assessed="Evaluados para elegibilidad",
        excluded="Excluidos",
        not_meeting_criteria="No cumplen los criterios",
        declined="Rehusaron participar",
        other="Otras razones",
        randomised="Aleatorizados",
        allocation="Asignación",
        allocated_to="Asignados a",
        received="Recibieron la intervención asignada",
        not_received="No recibieron la intervención asignada",
        follow_up="Seguimiento",
        lost="Pérdidas de seguimiento",
        discontinued="Interrumpieron la intervención",
        analysis="Análisis",
        analysed="Analizados",
        excluded_from_analysis="Excluidos del análisis",
        n="n={n}",
        diagram="Diagrama de flujo CONSORT 2010",
    )
    f = example()
    assert_every_table_number_is_in_its_box(f, spanish)
    text = svg(f, spanish)
    root = parse(text)
    assert root.get("aria-label") == "Diagrama de flujo CONSORT 2010"
    for english in Labels().__dict__.values():
        assert english not in all_text(root), english


def test_text_is_escaped() -> None:
    nasty = "<script>alert(1)</script>&\"'"
    f = example(arms=[("a", 'Arm <b>"A"</b> & co'), ("b", "B")], reason=nasty)
    text = svg(f, title='Trial <i>&</i> "x"')
    assert "<script>" not in text and "<b>" not in text and "<i>" not in text
    root = parse(text)
    everything = all_text(root)
    assert nasty in everything
    assert 'Arm <b>"A"</b> & co' in everything
    assert root.get("aria-label") == 'Trial <i>&</i> "x"'
    assert_every_table_number_is_in_its_box(f)


def test_control_characters_do_not_break_the_xml() -> None:
    f = example(reason="bad\x00\x07\x1b[31m\ud800 byte")
    root = parse(svg(f, title="t\x0b"))
    assert "bad" in all_text(root)


def test_long_reasons_are_wrapped_inside_the_box_and_truncated_with_the_full_text_in_a_title() -> None:
    long = "the participant moved to another country and could not be reached by any means " * 4
    f = example(reason=long.strip())
    root = parse(svg(f))
    drawn = boxes(root)
    for b in drawn:
        for x, y, line in b.spans:
            assert b.x + PAD <= x and x + len(line) * 0.55 * 12 <= b.x + b.w, (line, b.w)
            assert b.y < y <= b.y + b.h
    follow_up = [b for b in drawn if b.kind == "follow-up"]
    assert len(follow_up) == 2
    for b in follow_up:
        assert b.titles == [f"– {long.strip()} (n = 1)"]
        truncated = [t for t in b.texts if t.startswith("– the participant")]
        assert len(truncated) == 1 and truncated[0].endswith("… (n = 1)")
    groups = [g for g in root.iter(f"{S}g") if g.find("s:title", NS) is not None]
    for g in groups:
        text = g.find("s:text", NS)
        assert text is not None and 1 < len(text.findall("s:tspan", NS)) <= MAX_LINES
    # A short reason is neither wrapped nor given a title.
    short = boxes(parse(svg(example(reason="moved"))))
    assert all(not b.titles for b in short)


def layout(k: int) -> tuple[float, list[Drawn]]:
    arms = [(f"arm{i}", f"Arm {i}") for i in range(k)]
    f = example(arms)
    assert f.check() == []
    root = parse(svg(f))
    _, _, width, height = view_box(root)
    drawn = boxes(root)
    for b in drawn:  # everything inside the picture, nothing on top of anything else
        assert b.x >= 0 and b.x + b.w <= width and b.y >= 0 and b.y + b.h <= height
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a.kind, a.arm, b.kind, b.arm)
    for kind in ("allocation", "follow-up", "analysis"):
        row = [b for b in drawn if b.kind == kind]
        assert [b.arm for b in row] == [key for key, _ in arms]
        assert len({b.y for b in row}) == 1  # one row
        assert [b.x for b in row] == sorted(b.x for b in row)  # display order, left to right
    (excluded,) = [b for b in drawn if b.kind == "excluded"]
    (assessed,) = [b for b in drawn if b.kind == "assessed"]
    assert excluded.x > assessed.x + assessed.w / 2  # right of the stem
    assert_every_table_number_is_in_its_box(f)
    return width, drawn


def test_two_three_and_four_arms_get_a_column_each_and_the_width_grows() -> None:
    widths = [layout(k)[0] for k in (1, 2, 3, 4)]
    assert widths[2] > widths[1] and widths[3] > widths[2]
    _, three = layout(3)
    allocation = [b for b in three if b.kind == "allocation"]
    assert len(allocation) == 3
    (randomised,) = [b for b in three if b.kind == "randomised"]
    centre = randomised.x + randomised.w / 2
    assert abs((allocation[1].x + allocation[1].w / 2) - centre) < 1  # the middle arm under the stem


def test_a_trial_without_arms_draws_the_enrollment_only() -> None:
    f = flow([p(("screened", ""), ("ineligible", "x"))], [])
    root = parse(svg(f))
    assert {b.kind for b in boxes(root)} == {"assessed", "excluded", "randomised"}
    assert_every_table_number_is_in_its_box(f)


reasons = st.text(max_size=60)


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.lists(
        st.builds(
            FlowInput,
            trail=st.lists(st.tuples(st.sampled_from(STATES), reasons), max_size=6).map(tuple),
            arm=st.sampled_from([None, "a", "b", "c"]),
            received=st.booleans(),
            not_received_reason=reasons,
            has_outcome=st.booleans(),
            data_removed=st.booleans(),
        ),
        max_size=25,
    ),
    st.text(max_size=30),
)
def test_any_text_gives_a_well_formed_svg_with_the_tables_numbers(
    people: list[FlowInput], label: str
) -> None:
    f = flow(people, [("a", label), ("b", "B"), ("c", "C")])
    assert f.check() == []
    root = parse(svg(f, title=label))
    pattern = r"n = (\d+)"
    shown = [int(m) for m in re.findall(pattern, all_text(root))]
    numbers = [n for _, _, n, _ in table(f)]
    numbers += [int(c) for _, _, _, r in table(f) for c in re.findall(r"\((\d+)\)(?:; |$)", r)]
    # Reason texts may themselves contain "n = 3": every number the table has must be shown.
    for n in set(numbers):
        assert shown.count(n) >= numbers.count(n)
