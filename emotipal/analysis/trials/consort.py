"""The CONSORT 2010 flow diagram of a trial, drawn from the participants' state trails.

The Django side gathers one :class:`FlowInput` per participant (the trail of ``(state, reason)`` pairs in
order, the arm if they were randomised, and three facts about what happened after allocation); :func:`flow`
turns them into the counts of the diagram, :func:`table` lists the same numbers as rows, and :func:`svg`
draws the standard CONSORT 2010 layout. Every word the diagram prints comes from :class:`Labels` and
:class:`Reasons`, so callers pass translated strings. Pure Python: no Django, nothing else from emotipal.

How participants are counted
----------------------------

The states are those of ``emotipal.research.models.ParticipantState``: candidate, screened, eligible,
ineligible, consented, declined, enrolled, withdrawn, completed, lost. Each participant is counted once,
in exactly one box of each level, by these rules (intention to treat):

Enrollment

* **Assessed for eligibility**: everyone who reached ``screened`` (screening is the eligibility
  assessment), or a state only screening leads to (eligible, ineligible, consented, declined, enrolled,
  completed, lost), and everyone who was randomised. A candidate who withdrew or was never screened was not
  assessed and is not in the diagram.
* **Excluded**: assessed but never randomised (``arm`` is None), split into three parts:

  - *Not meeting inclusion criteria*: their latest screening outcome (the last ``eligible`` or
    ``ineligible`` in the trail) is ``ineligible``; reason: that entry's reason.
  - *Declined to participate*: otherwise, their latest consent decision (the last ``declined`` or
    ``consented``) is ``declined``; a participant who declined and later consented is not counted here.
    Reason: that entry's reason.
  - *Other reasons*: every other assessed participant who was not randomised. If their latest state is
    ``withdrawn`` (or ``lost``) the reason is that entry's reason, or "withdrew before allocation" ("lost to
    follow-up before allocation") when it has none; anyone still screened, eligible, consented or enrolled
    but not allocated is "not yet allocated".

* **Randomised**: ``arm`` is not None.

Per arm

* **Allocated**: randomised to the arm. *Received allocated intervention* when ``received`` (the arm's
  features were in effect for them), else *did not receive* with ``not_received_reason``.
* **Lost to follow-up**: their latest state is ``lost``; reason from that trail entry.
* **Discontinued intervention**: their latest state is ``withdrawn`` (they were randomised, so they
  withdrew after allocation); reason from that trail entry. Lost and discontinued never overlap: both look
  at the latest state.
* **Analysed** (intention to treat): everyone allocated, in the arm they were allocated to, whether or not
  they received the intervention, were lost or discontinued, minus those **excluded from analysis**:
  ``data_removed`` (they withdrew under the protocol's "remove" policy: "withdrew; data removed under the
  protocol") or, otherwise, no outcome data after allocation (``has_outcome`` is False: "no outcome data").

Empty reasons read "no reason recorded". Reasons are listed by count (highest first), then by text. The
sums the diagram must obey are checked by :meth:`Flow.check`.

Typical use::

    f = flow(inputs, [("control", "Usual app"), ("nudges", "App with nudges")])
    assert f.check() == []
    rows = table(f)          # (stage, arm label or "", n, "reason (n); ...")
    picture = svg(f, title="EmotiPal nudges trial")
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET  # builds the diagram, parses none  # nosec B405
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

CANDIDATE = "candidate"
SCREENED = "screened"
ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
CONSENTED = "consented"
DECLINED = "declined"
ENROLLED = "enrolled"
WITHDRAWN = "withdrawn"
COMPLETED = "completed"
LOST = "lost"

STATES: tuple[str, ...] = (
    CANDIDATE,
    SCREENED,
    ELIGIBLE,
    INELIGIBLE,
    CONSENTED,
    DECLINED,
    ENROLLED,
    WITHDRAWN,
    COMPLETED,
    LOST,
)
# States a participant can only be in after their eligibility was assessed.
_ASSESSED_STATES = frozenset({SCREENED, ELIGIBLE, INELIGIBLE, CONSENTED, DECLINED, ENROLLED, COMPLETED, LOST})


@dataclass(frozen=True)
class FlowInput:
    """One participant, as the Django side gathers them."""

    trail: tuple[tuple[str, str], ...]  # (state, reason) in order, as strings
    arm: str | None  # arm key if allocated (randomised), else None
    received: bool = True  # the arm's features were in effect for them
    not_received_reason: str = ""
    has_outcome: bool = True  # any outcome data after allocation
    data_removed: bool = False  # withdrew with the protocol's "remove" policy


@dataclass(frozen=True)
class Box:
    """A count and its reasons: (reason text, count), sorted by count (highest first), then by text."""

    n: int
    reasons: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ArmFlow:
    arm: str
    label: str
    allocated: int
    received: Box
    not_received: Box
    lost: Box
    discontinued: Box
    analysed: int
    excluded_from_analysis: Box


@dataclass(frozen=True)
class Flow:
    assessed: int
    excluded: Box  # its reasons are in the three parts below
    not_meeting_criteria: Box
    declined: Box
    other: Box
    randomised: int
    arms: tuple[ArmFlow, ...]

    def check(self) -> list[str]:
        """The sums a CONSORT diagram must obey; an empty list when they all hold."""
        problems: list[str] = []

        def need(ok: bool, message: str) -> None:
            if not ok:
                problems.append(message)

        need(
            self.assessed == self.excluded.n + self.randomised,
            f"assessed {self.assessed} != excluded {self.excluded.n} + randomised {self.randomised}",
        )
        parts = self.not_meeting_criteria.n + self.declined.n + self.other.n
        need(
            self.excluded.n == parts,
            f"excluded {self.excluded.n} != not meeting criteria {self.not_meeting_criteria.n}"
            f" + declined {self.declined.n} + other {self.other.n}",
        )
        allocated = sum(a.allocated for a in self.arms)
        need(self.randomised == allocated, f"randomised {self.randomised} != sum of allocated {allocated}")
        boxes = [
            ("not meeting criteria", self.not_meeting_criteria),
            ("declined", self.declined),
            ("other", self.other),
        ]
        for a in self.arms:
            need(
                a.allocated == a.received.n + a.not_received.n,
                f"{a.arm}: allocated {a.allocated} != received {a.received.n}"
                f" + not received {a.not_received.n}",
            )
            need(
                a.analysed + a.excluded_from_analysis.n == a.allocated,
                f"{a.arm}: analysed {a.analysed} + excluded from analysis {a.excluded_from_analysis.n}"
                f" != allocated {a.allocated}",
            )
            need(
                a.lost.n + a.discontinued.n <= a.allocated,
                f"{a.arm}: lost {a.lost.n} + discontinued {a.discontinued.n} > allocated {a.allocated}",
            )
            boxes += [
                (f"{a.arm}: not received", a.not_received),
                (f"{a.arm}: lost", a.lost),
                (f"{a.arm}: discontinued", a.discontinued),
                (f"{a.arm}: excluded from analysis", a.excluded_from_analysis),
            ]
        for name, box in boxes:
            total = sum(c for _, c in box.reasons)
            need(box.n == total, f"{name}: n {box.n} != sum of its reasons {total}")
        for name, value in [("assessed", self.assessed), ("randomised", self.randomised)]:
            need(value >= 0, f"{name} is negative")
        return problems


@dataclass(frozen=True)
class Labels:
    """Every piece of text the diagram and the table print (English defaults; pass translations)."""

    enrollment: str = "Enrollment"
    assessed: str = "Assessed for eligibility"
    excluded: str = "Excluded"
    not_meeting_criteria: str = "Not meeting inclusion criteria"
    declined: str = "Declined to participate"
    other: str = "Other reasons"
    randomised: str = "Randomised"
    allocation: str = "Allocation"
    allocated_to: str = "Allocated to"
    received: str = "Received allocated intervention"
    not_received: str = "Did not receive allocated intervention"
    follow_up: str = "Follow-up"
    lost: str = "Lost to follow-up"
    discontinued: str = "Discontinued intervention"
    analysis: str = "Analysis"
    analysed: str = "Analysed"
    excluded_from_analysis: str = "Excluded from analysis"
    n: str = "n = {n}"  # a count; must contain {n}
    diagram: str = "CONSORT 2010 flow diagram"  # the accessible name when there is no title

    def count(self, n: int) -> str:
        return self.n.format(n=n)


@dataclass(frozen=True)
class Reasons:
    """The reasons :func:`flow` writes when the trail or the input gives none (pass translations)."""

    no_reason: str = "no reason recorded"
    not_yet_allocated: str = "not yet allocated"
    withdrew_before_allocation: str = "withdrew before allocation"
    lost_before_allocation: str = "lost to follow-up before allocation"
    data_removed: str = "withdrew; data removed under the protocol"
    no_outcome: str = "no outcome data"


# ---------------------------------------------------------------------------------------------------------
# Counting


def _last(trail: tuple[tuple[str, str], ...], states: frozenset[str]) -> tuple[str, str] | None:
    for entry in reversed(trail):
        if entry[0] in states:
            return entry
    return None


def _text(reason: str, default: str) -> str:
    cleaned = _clean(reason)
    return cleaned or default


def _box(reasons: Sequence[str]) -> Box:
    counts = Counter(reasons)
    return Box(len(reasons), tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))))


def _exclusion(p: FlowInput, r: Reasons) -> tuple[str, str]:
    """Which part of the exclusion box a not-randomised, assessed participant is in, and why."""
    screening = _last(p.trail, frozenset({ELIGIBLE, INELIGIBLE}))
    if screening is not None and screening[0] == INELIGIBLE:
        return "not_meeting", _text(screening[1], r.no_reason)
    decision = _last(p.trail, frozenset({DECLINED, CONSENTED}))
    if decision is not None and decision[0] == DECLINED:
        return "declined", _text(decision[1], r.no_reason)
    state, reason = p.trail[-1]
    if state == WITHDRAWN:
        return "other", _text(reason, r.withdrew_before_allocation)
    if state == LOST:
        return "other", _text(reason, r.lost_before_allocation)
    return "other", r.not_yet_allocated


def flow(
    inputs: Sequence[FlowInput], arms: Sequence[tuple[str, str]], *, reasons: Reasons = Reasons()
) -> Flow:
    """The CONSORT counts of one trial. ``arms``: (key, label) in display order.

    Raises ValueError for an unknown state, a duplicate arm key, or a participant in an arm not listed.
    """
    keys = [key for key, _ in arms]
    if len(set(keys)) != len(keys):
        raise ValueError(f"arm keys must be unique, got {keys}")
    known = set(STATES)
    parts: dict[str, list[str]] = {"not_meeting": [], "declined": [], "other": []}
    per_arm: dict[str, list[FlowInput]] = {key: [] for key in keys}
    assessed = 0
    for i, p in enumerate(inputs):
        unknown = sorted({state for state, _ in p.trail} - known)
        if unknown:
            raise ValueError(f"participant {i}: unknown state(s) {unknown}; expected one of {list(STATES)}")
        if p.arm is not None:
            if p.arm not in per_arm:
                raise ValueError(f"participant {i}: arm {p.arm!r} is not one of the trial's arms {keys}")
            per_arm[p.arm].append(p)
            assessed += 1
        elif any(state in _ASSESSED_STATES for state, _ in p.trail):
            assessed += 1
            part, reason = _exclusion(p, reasons)
            parts[part].append(reason)
    arm_flows = []
    for key, label in arms:
        people = per_arm[key]
        not_received = [_text(p.not_received_reason, reasons.no_reason) for p in people if not p.received]
        lost = [
            _text(p.trail[-1][1], reasons.no_reason) for p in people if p.trail and p.trail[-1][0] == LOST
        ]
        discontinued = [
            _text(p.trail[-1][1], reasons.no_reason)
            for p in people
            if p.trail and p.trail[-1][0] == WITHDRAWN
        ]
        excluded = [
            reasons.data_removed if p.data_removed else reasons.no_outcome
            for p in people
            if p.data_removed or not p.has_outcome
        ]
        arm_flows.append(
            ArmFlow(
                arm=key,
                label=label,
                allocated=len(people),
                received=Box(len(people) - len(not_received)),
                not_received=_box(not_received),
                lost=_box(lost),
                discontinued=_box(discontinued),
                analysed=len(people) - len(excluded),
                excluded_from_analysis=_box(excluded),
            )
        )
    randomised = sum(len(people) for people in per_arm.values())
    return Flow(
        assessed=assessed,
        excluded=Box(assessed - randomised),
        not_meeting_criteria=_box(parts["not_meeting"]),
        declined=_box(parts["declined"]),
        other=_box(parts["other"]),
        randomised=randomised,
        arms=tuple(arm_flows),
    )


# ---------------------------------------------------------------------------------------------------------
# Table


def _reasons_text(box: Box) -> str:
    return "; ".join(f"{reason} ({count})" for reason, count in box.reasons)


def table(flow: Flow, labels: Labels = Labels()) -> list[tuple[str, str, int, str]]:
    """The diagram's numbers as rows: (stage, arm label or "", n, "reason (n); ..."), in reading order.

    Enrollment first, then each of allocation, follow-up and analysis arm by arm.
    """
    rows: list[tuple[str, str, int, str]] = [
        (labels.assessed, "", flow.assessed, ""),
        (labels.excluded, "", flow.excluded.n, ""),
        (
            labels.not_meeting_criteria,
            "",
            flow.not_meeting_criteria.n,
            _reasons_text(flow.not_meeting_criteria),
        ),
        (labels.declined, "", flow.declined.n, _reasons_text(flow.declined)),
        (labels.other, "", flow.other.n, _reasons_text(flow.other)),
        (labels.randomised, "", flow.randomised, ""),
    ]
    for a in flow.arms:
        rows += [
            (labels.allocated_to, a.label, a.allocated, ""),
            (labels.received, a.label, a.received.n, ""),
            (labels.not_received, a.label, a.not_received.n, _reasons_text(a.not_received)),
        ]
    for a in flow.arms:
        rows += [
            (labels.lost, a.label, a.lost.n, _reasons_text(a.lost)),
            (labels.discontinued, a.label, a.discontinued.n, _reasons_text(a.discontinued)),
        ]
    for a in flow.arms:
        rows += [
            (labels.analysed, a.label, a.analysed, ""),
            (
                labels.excluded_from_analysis,
                a.label,
                a.excluded_from_analysis.n,
                _reasons_text(a.excluded_from_analysis),
            ),
        ]
    return rows


# ---------------------------------------------------------------------------------------------------------
# SVG

SVG_NS = "http://www.w3.org/2000/svg"
FONT = 12  # px, body text
PHASE_FONT = 13
TITLE_FONT = 15
LINE = 16  # px between lines
PAD = 8  # inside a box
MAX_LINES = 3  # lines of one item before it is truncated (the full text goes in a <title>)
MARGIN = 16
PHASE_W = 110  # the phase labels' column
PHASE_GAP = 20
COL_W = 250  # one arm's column
COL_GAP = 30
ENROL_W = 250  # the assessed and randomised boxes
EXCL_W = 270  # the exclusion box
EXCL_OFFSET = 30  # from the enrollment stem to the exclusion box
V_GAP = 26  # between boxes, for the arrows
ARROW = "consort-arrow"
STROKE = "#333333"
PHASE_FILL = "#dbe9f6"

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text safe for XML 1.0 on one line: no control characters or lone surrogates, spaces collapsed."""
    return " ".join(_INVALID_XML.sub(" ", text).split())


def _char_width(ch: str, size: float, bold: bool) -> float:
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return size
    # Generous for the common sans-serif fonts (DejaVu Sans is the widest), so text stays inside its box.
    return (0.62 if bold else 0.55) * size


def _width(text: str, size: float, bold: bool = False) -> float:
    return sum(_char_width(ch, size, bold) for ch in text)


def _fit(text: str, width: float, size: float, suffix: str = "", bold: bool = False) -> str:
    """The longest start of ``text`` that fits ``width`` with ``suffix`` after it."""
    out = ""
    for ch in text:
        if _width(out + ch + suffix, size, bold) > width:
            break
        out += ch
    return out.rstrip() + suffix


def _wrap(words: Sequence[str], width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy line breaking; a word wider than a line is split."""
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if _width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while _width(word, size, bold) > width and len(word) > 1:
            piece = _fit(word, width, size, bold=bold) or word[0]
            lines.append(piece)
            word = word[len(piece) :]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


@dataclass(frozen=True)
class _Item:
    lines: tuple[str, ...]
    indent: float
    bold: bool
    full: str  # the whole text, for a <title>, when the lines are truncated; else ""


def _item(text: str, count: str | None, width: float, indent: float, bold: bool = False) -> _Item:
    """One line of a box (a heading, a part or a reason) wrapped to ``width`` minus ``indent``."""
    text = _clean(text)
    words = text.split()
    if count is not None:
        words.append(f"({count})")  # the count is never split across lines
    available = width - indent
    lines = _wrap(words, available, FONT, bold)
    full = ""
    if len(lines) > MAX_LINES:
        full = " ".join(words)
        tail = f" ({count})" if count is not None else ""
        rest = " ".join(lines[MAX_LINES - 1 :]).removesuffix(tail)
        lines = [*lines[: MAX_LINES - 1], _fit(rest, available, FONT, "…" + tail, bold)]
    return _Item(tuple(lines), indent, bold, full)


def _reason_items(box: Box, labels: Labels, width: float, indent: float) -> list[_Item]:
    return [_item(f"– {reason}", labels.count(n), width, indent) for reason, n in box.reasons]


def _height(items: Sequence[_Item]) -> float:
    return 2 * PAD + LINE * sum(len(i.lines) for i in items)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


class _Drawing:
    def __init__(self) -> None:
        self.parts: list[ET.Element] = []

    def box(
        self, x: float, y: float, w: float, items: Sequence[_Item], h: float, kind: str, arm: str = ""
    ) -> None:
        group = ET.Element("g", {"class": f"consort-box consort-{kind}"})
        if arm:
            group.set("data-arm", _clean(arm))
        ET.SubElement(
            group,
            "rect",
            {
                "x": _num(x),
                "y": _num(y),
                "width": _num(w),
                "height": _num(h),
                "rx": "3",
                "fill": "#ffffff",
                "stroke": STROKE,
            },
        )
        line_y = y + PAD + FONT
        for item in items:
            parent = group
            if item.full:
                parent = ET.SubElement(group, "g")
                ET.SubElement(parent, "title").text = item.full
            text = ET.SubElement(parent, "text", {"x": _num(x + PAD + item.indent), "y": _num(line_y)})
            if item.bold:
                text.set("font-weight", "bold")
            for line in item.lines:
                span = ET.SubElement(text, "tspan", {"x": _num(x + PAD + item.indent), "y": _num(line_y)})
                span.text = line
                line_y += LINE
        self.parts.append(group)

    def phase(self, label: str, y: float, h: float) -> None:
        group = ET.Element("g", {"class": "consort-phase"})
        ET.SubElement(
            group,
            "rect",
            {
                "x": _num(MARGIN),
                "y": _num(y),
                "width": _num(PHASE_W),
                "height": _num(h),
                "rx": "6",
                "fill": PHASE_FILL,
            },
        )
        lines = _wrap(_clean(label).split(), PHASE_W - 2 * PAD, PHASE_FONT, bold=True)
        top = y + h / 2 - (len(lines) - 1) * LINE / 2 + PHASE_FONT / 3
        text = ET.SubElement(
            group,
            "text",
            {
                "x": _num(MARGIN + PHASE_W / 2),
                "y": _num(top),
                "text-anchor": "middle",
                "font-weight": "bold",
                "font-size": str(PHASE_FONT),
            },
        )
        for k, line in enumerate(lines):
            span = ET.SubElement(text, "tspan", {"x": _num(MARGIN + PHASE_W / 2), "y": _num(top + k * LINE)})
            span.text = line
        self.parts.append(group)

    def line(self, x1: float, y1: float, x2: float, y2: float, arrow: bool = True) -> None:
        attrs = {
            "x1": _num(x1),
            "y1": _num(y1),
            "x2": _num(x2),
            "y2": _num(y2),
            "stroke": STROKE,
            "stroke-width": "1.2",
        }
        if arrow:
            attrs["marker-end"] = f"url(#{ARROW})"
        self.parts.append(ET.Element("line", attrs))


def svg(flow: Flow, labels: Labels = Labels(), title: str = "") -> str:
    """The standard CONSORT 2010 flow diagram as a standalone SVG document (scales to its container).

    Phase labels on the left, the exclusion box to the right of the enrollment stem, one column per arm;
    the width grows with the number of arms. Long text is wrapped, and truncated after a few lines with
    the full text in a <title>. Every number shown is in :func:`table`.
    """
    k = len(flow.arms)
    arms_w = k * COL_W + max(k - 1, 0) * COL_GAP
    content_w = max(arms_w, 2 * (EXCL_OFFSET + EXCL_W), ENROL_W)
    x0 = MARGIN + PHASE_W + PHASE_GAP
    total_w = x0 + content_w + MARGIN
    cx = x0 + content_w / 2
    title = _clean(title)
    name = title or _clean(labels.diagram)
    d = _Drawing()

    y = float(MARGIN)
    heading: list[str] = []
    if title:
        heading = _wrap(title.split(), total_w - 2 * MARGIN, TITLE_FONT, bold=True)
        y += len(heading) * (TITLE_FONT + 5) + 8

    # Enrollment: assessed, the exclusion box beside the stem, randomised.
    assessed = [_item(labels.assessed, labels.count(flow.assessed), ENROL_W - 2 * PAD, 0, bold=True)]
    ew = EXCL_W - 2 * PAD
    excluded = [_item(labels.excluded, labels.count(flow.excluded.n), ew, 0, bold=True)]
    for label, box in [
        (labels.not_meeting_criteria, flow.not_meeting_criteria),
        (labels.declined, flow.declined),
        (labels.other, flow.other),
    ]:
        excluded.append(_item(f"• {label}", labels.count(box.n), ew, 0))
        excluded += _reason_items(box, labels, ew, 12)
    randomised = [_item(labels.randomised, labels.count(flow.randomised), ENROL_W - 2 * PAD, 0, bold=True)]
    y_assessed = y
    h_assessed = _height(assessed)
    y_excl = y_assessed + h_assessed + V_GAP
    h_excl = _height(excluded)
    y_rand = y_excl + h_excl + V_GAP
    h_rand = _height(randomised)
    d.phase(labels.enrollment, y_assessed, y_rand + h_rand - y_assessed)
    d.box(cx - ENROL_W / 2, y_assessed, ENROL_W, assessed, h_assessed, "assessed")
    d.box(cx + EXCL_OFFSET, y_excl, EXCL_W, excluded, h_excl, "excluded")
    d.box(cx - ENROL_W / 2, y_rand, ENROL_W, randomised, h_rand, "randomised")
    d.line(cx, y_assessed + h_assessed, cx, y_rand)
    d.line(cx, y_excl + h_excl / 2, cx + EXCL_OFFSET, y_excl + h_excl / 2)
    bottom = y_rand + h_rand

    if k:
        cw = COL_W - 2 * PAD
        left = cx - arms_w / 2
        xs = [left + i * (COL_W + COL_GAP) for i in range(k)]
        centres = [x + COL_W / 2 for x in xs]
        allocation, follow_up, analysis = [], [], []
        for a in flow.arms:
            allocation.append(
                [
                    _item(f"{labels.allocated_to} {a.label}", labels.count(a.allocated), cw, 0, bold=True),
                    _item(f"• {labels.received}", labels.count(a.received.n), cw, 0),
                    _item(f"• {labels.not_received}", labels.count(a.not_received.n), cw, 0),
                    *_reason_items(a.not_received, labels, cw, 12),
                ]
            )
            follow_up.append(
                [
                    _item(labels.lost, labels.count(a.lost.n), cw, 0, bold=True),
                    *_reason_items(a.lost, labels, cw, 12),
                    _item(labels.discontinued, labels.count(a.discontinued.n), cw, 0, bold=True),
                    *_reason_items(a.discontinued, labels, cw, 12),
                ]
            )
            analysis.append(
                [
                    _item(labels.analysed, labels.count(a.analysed), cw, 0, bold=True),
                    _item(
                        f"• {labels.excluded_from_analysis}", labels.count(a.excluded_from_analysis.n), cw, 0
                    ),
                    *_reason_items(a.excluded_from_analysis, labels, cw, 12),
                ]
            )
        # The split below the randomised box, with an arrow to each arm.
        y_split = bottom + V_GAP / 2
        y_row = y_split + V_GAP
        d.line(cx, bottom, cx, y_split, arrow=False)
        d.line(min(centres), y_split, max(centres), y_split, arrow=False)
        for c in centres:
            d.line(c, y_split, c, y_row)
        rows = [
            (labels.allocation, "allocation", allocation),
            (labels.follow_up, "follow-up", follow_up),
            (labels.analysis, "analysis", analysis),
        ]
        for n_row, (phase, kind, per_arm) in enumerate(rows):
            h = max(_height(items) for items in per_arm)
            d.phase(phase, y_row, h)
            for a, x, items in zip(flow.arms, xs, per_arm, strict=True):
                d.box(x, y_row, COL_W, items, h, kind, arm=a.arm)
            if n_row < len(rows) - 1:
                for c in centres:
                    d.line(c, y_row + h, c, y_row + h + V_GAP)
            bottom = y_row + h
            y_row = bottom + V_GAP

    total_h = bottom + MARGIN
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {_num(total_w)} {_num(total_h)}",
            "width": "100%",
            "preserveAspectRatio": "xMidYMin meet",
            "role": "img",
            "aria-label": name,
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
            "font-size": str(FONT),
            "fill": "#111111",
            "class": "consort",
        },
    )
    ET.SubElement(root, "title").text = name
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {
            "id": ARROW,
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "7",
            "markerHeight": "7",
            "orient": "auto",
        },
    )
    ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": STROKE})
    if heading:
        text = ET.SubElement(
            root,
            "text",
            {
                "x": _num(total_w / 2),
                "y": _num(MARGIN + TITLE_FONT),
                "text-anchor": "middle",
                "font-weight": "bold",
                "font-size": str(TITLE_FONT),
                "class": "consort-title",
            },
        )
        for i, line in enumerate(heading):
            span = ET.SubElement(
                text, "tspan", {"x": _num(total_w / 2), "y": _num(MARGIN + TITLE_FONT + i * (TITLE_FONT + 5))}
            )
            span.text = line
    root.extend(d.parts)
    return ET.tostring(root, encoding="unicode")
