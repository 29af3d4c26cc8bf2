"""The allocation engine of EmotiPal's trial experiments: which arm the next participant joins (issue 11).

Pure Python and numpy. Five methods, each reproducible from the design's seed and the recorded state:

* ``simple``: every participant drawn independently with probabilities proportional to the arms' ratios;
* ``blocks``: permuted blocks, one sequence for the whole experiment; each block holds every arm ``ratio x m``
  times, the multiple ``m`` drawn at random from ``block_multiples`` for every new block;
* ``stratified``: the same permuted blocks, one block sequence per stratum (the combination of the
  participant's levels of ``design.factors``, e.g. site, PHQ-9 band and language);
* ``minimisation``: Pocock and Simon (1975, Biometrics 31:103-115). For each candidate arm, each factor's
  imbalance at the participant's level as if the participant joined it (counts divided by the arm's ratio,
  so unequal ratios are honoured; range ``max - min`` or the population variance), summed with the factor
  weights. The arm with the smallest total gets probability ``p_best`` and the others share ``1 - p_best``
  in proportion to their ratios; arms tied at the smallest total share ``p_best`` (in proportion to their
  ratios, equally when the ratios are equal); when every total ties the draw follows the ratios.
  ``p_best = 1`` is deterministic minimisation (ties still drawn at random);
* ``table``: a REDCap allocation table (:mod:`emotipal.analysis.trials.redcap_allocation`): the next unused row,
  in table order, whose strata match the participant.

Randomness. Allocation number ``sequence`` (1, 2, 3, ...) draws from its own numpy generator seeded with
``SeedSequence([seed (two 32-bit words), tag, sequence])``; a permuted block is drawn at the allocation that
opens it. So any allocation can be replayed from the design, the state recorded before it, its number and
the participant's factors alone, and :func:`replay` re-runs a whole log and reports the first entry where it
diverges. The state is small and JSON-serialisable: counts, the unused rest of each stratum's current block,
counters; never the history.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

METHODS: tuple[str, ...] = ("simple", "blocks", "stratified", "minimisation", "table")
IMBALANCE_MEASURES: tuple[str, ...] = ("range", "variance")
LOG_FORMAT = "emotipal-allocation-log"
LOG_VERSION = 1
SEED_LIMIT = 2**64  # seeds are integers in [0, 2**64)
_TIE_TOLERANCE = 1e-9
# Stream tags: allocation draws and the draws of a generated REDCap table never share a generator.
TAG_ALLOCATION = 1
TAG_TABLE = 2


class DesignError(ValueError):
    """A design, a participant's data or a log the engine cannot use; the message is plain English for the user."""


class MissingFactor(DesignError):
    """A participant has no value for a factor the design needs; ``factor`` names it."""

    def __init__(self, factor: str, message: str | None = None) -> None:
        self.factor = factor
        super().__init__(
            message
            or f"The participant has no value for the factor '{factor}'. Record it in the baseline data "
            "before randomising."
        )


class TableExhausted(DesignError):
    """The allocation table has no unused row for the participant's stratum; ``stratum`` names it."""

    def __init__(self, stratum: Mapping[str, str], message: str) -> None:
        self.stratum = dict(stratum)
        super().__init__(message)


@dataclass(frozen=True)
class ArmSpec:
    key: str
    ratio: int = 1


@dataclass(frozen=True)
class TableRow:
    """One row of a REDCap allocation table: the arm key and the row's strata (column name to level)."""

    group: str
    strata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Design:
    method: str
    arms: tuple[ArmSpec, ...]
    seed: int
    block_multiples: tuple[int, ...] = (1, 2)  # block size = multiple x sum(ratios), drawn per block
    factors: tuple[str, ...] = ()  # stratification factors (stratified, table) or minimisation factors
    weights: Mapping[str, float] = field(default_factory=dict)  # minimisation weight per factor (default 1)
    imbalance: str = "range"  # or "variance"
    p_best: float = 0.8  # minimisation: probability of the least-imbalancing arm, in (0.5, 1]
    table: tuple[TableRow, ...] = ()  # method "table": the rows imported from REDCap

    def __post_init__(self) -> None:
        # Lists from JSON or a form become tuples, so a design compares and serialises one way.
        object.__setattr__(self, "arms", tuple(self.arms))
        object.__setattr__(self, "block_multiples", tuple(self.block_multiples))
        object.__setattr__(self, "factors", tuple(self.factors))
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "table", tuple(self.table))

    @property
    def arm_keys(self) -> tuple[str, ...]:
        return tuple(arm.key for arm in self.arms)

    def weight(self, factor: str) -> float:
        return float(self.weights.get(factor, 1.0))

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "arms": [{"key": arm.key, "ratio": arm.ratio} for arm in self.arms],
            "seed": self.seed,
            "block_multiples": list(self.block_multiples),
            "factors": list(self.factors),
            "weights": {name: float(value) for name, value in self.weights.items()},
            "imbalance": self.imbalance,
            "p_best": self.p_best,
            "table": [{"group": row.group, "strata": dict(row.strata)} for row in self.table],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Design:
        if not isinstance(d, Mapping):
            raise DesignError("The design is not a JSON object.")
        try:
            return cls(
                method=str(d["method"]),
                arms=tuple(ArmSpec(key=str(arm["key"]), ratio=arm.get("ratio", 1)) for arm in d["arms"]),
                seed=d["seed"],
                block_multiples=tuple(d.get("block_multiples", (1, 2))),
                factors=tuple(str(name) for name in d.get("factors", ())),
                weights={str(name): value for name, value in dict(d.get("weights", {})).items()},
                imbalance=str(d.get("imbalance", "range")),
                p_best=d.get("p_best", 0.8),
                table=tuple(
                    TableRow(
                        group=str(row["group"]),
                        strata={str(k): str(v) for k, v in dict(row.get("strata", {})).items()},
                    )
                    for row in d.get("table", ())
                ),
            )
        except KeyError as missing:
            raise DesignError(f"The design has no '{missing.args[0]}' entry.") from None
        except (TypeError, AttributeError, ValueError):
            raise DesignError("The design is not in the expected form (method, arms, seed, ...).") from None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def check_arms(arms: Sequence[ArmSpec]) -> None:
    """Refuse fewer than two arms, blank or duplicate keys and ratios that are not whole numbers of at least 1."""
    if len(arms) < 2:
        raise DesignError("A randomised design needs at least two arms.")
    seen: set[str] = set()
    for arm in arms:
        if not isinstance(arm.key, str) or not arm.key.strip():
            raise DesignError("Every arm needs a key.")
        if arm.key in seen:
            raise DesignError(f"The arm '{arm.key}' appears twice.")
        seen.add(arm.key)
        if not _is_int(arm.ratio) or arm.ratio < 1:
            raise DesignError(f"The ratio of arm '{arm.key}' must be a whole number of at least 1.")


def check_block_multiples(multiples: Sequence[int]) -> None:
    if not multiples:
        raise DesignError("Permuted blocks need at least one block size.")
    for multiple in multiples:
        if not _is_int(multiple) or multiple < 1:
            raise DesignError("Block size multiples must be whole numbers of at least 1.")


def check_seed(seed: object) -> None:
    if not _is_int(seed) or not 0 <= seed < SEED_LIMIT:
        raise DesignError("The seed must be a whole number between 0 and 2^64 - 1.")


def check_design(design: Design) -> None:
    """Raise :class:`DesignError` (a plain message) for anything the engine cannot allocate with."""
    if design.method not in METHODS:
        raise DesignError(f"Unknown allocation method '{design.method}'; use one of {', '.join(METHODS)}.")
    check_arms(design.arms)
    check_seed(design.seed)
    check_block_multiples(design.block_multiples)
    p_best = design.p_best
    if isinstance(p_best, bool) or not isinstance(p_best, int | float) or not 0.5 < p_best <= 1:
        raise DesignError(
            "The probability of the least-imbalancing arm must be above 0.5 and at most 1 "
            f"(got {p_best!r}); 1 makes minimisation deterministic."
        )
    if design.imbalance not in IMBALANCE_MEASURES:
        raise DesignError(f"Unknown imbalance measure '{design.imbalance}'; use 'range' or 'variance'.")
    for name in design.factors:
        if not isinstance(name, str) or not name.strip():
            raise DesignError("Every factor needs a name.")
    if len(set(design.factors)) != len(design.factors):
        raise DesignError("A factor is listed twice.")
    for name, weight in design.weights.items():
        if name not in design.factors:
            raise DesignError(f"There is a weight for '{name}', which is not one of the design's factors.")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
            raise DesignError(f"The weight of factor '{name}' must be a number.")
        if weight <= 0:
            raise DesignError(f"The weight of factor '{name}' must be above 0.")
    if design.method in ("stratified", "minimisation") and not design.factors:
        raise DesignError(f"The method '{design.method}' needs at least one factor.")
    if design.method == "table":
        _check_table(design)


def _check_table(design: Design) -> None:
    if not design.table:
        raise DesignError("The allocation table has no rows; import a REDCap allocation table first.")
    keys = set(design.arm_keys)
    columns = set(design.table[0].strata)
    for number, row in enumerate(design.table, start=1):
        if row.group not in keys:
            raise DesignError(
                f"Row {number} of the allocation table names the arm '{row.group}', not in the design."
            )
        if set(row.strata) != columns:
            raise DesignError(
                f"Row {number} of the allocation table has different strata columns from row 1."
            )
        for column, level in row.strata.items():
            if not str(level).strip():
                raise DesignError(f"Row {number} of the allocation table has no value for '{column}'.")
    for column in sorted(columns):
        if column not in design.factors:
            raise DesignError(
                f"The allocation table is stratified by '{column}', which is not one of the design's factors."
            )


def _empty_arm_counts(design: Design) -> dict[str, int]:
    return {arm.key: 0 for arm in design.arms}


def initial_state(design: Design) -> dict[str, Any]:
    """The state before the first allocation (JSON-serialisable)."""
    check_design(design)
    state: dict[str, Any] = {"method": design.method, "n": 0, "arm_counts": _empty_arm_counts(design)}
    if design.method in ("blocks", "stratified"):
        state["blocks_started"] = 0
        state["strata"] = {}
    elif design.method == "minimisation":
        state["counts"] = {name: {} for name in design.factors}
    elif design.method == "table":
        state["used"] = {}  # stratum key -> how many of its rows (in table order) are used
    return state


@dataclass(frozen=True)
class Allocated:
    arm: str
    state: dict[str, Any]  # the state after this allocation
    detail: dict[
        str, Any
    ]  # JSON: probabilities, imbalance totals, stratum, block, table row, the random draw


def random_stream(seed: int, tag: int, *numbers: int) -> np.random.Generator:
    """A generator for one purpose; the seed enters as two fixed 32-bit words so no two inputs collide."""
    entropy = [seed & 0xFFFFFFFF, seed >> 32, tag, *numbers]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _choose(probabilities: Sequence[tuple[str, float]], draw: float) -> str:
    cumulative = 0.0
    for key, p in probabilities:
        cumulative += p
        if draw < cumulative:
            return key
    return next(key for key, p in reversed(probabilities) if p > 0)  # rounding at the top end


def _level(factors: Mapping[str, object], name: str) -> str:
    value = factors.get(name)
    level = "" if value is None else str(value).strip()
    if not level:
        raise MissingFactor(name)
    return level


def _levels(factors: Mapping[str, object], names: Iterable[str]) -> dict[str, str]:
    return {name: _level(factors, name) for name in names}


def stratum_key(levels: Mapping[str, str], names: Sequence[str]) -> str:
    """The state's key for a stratum: its levels in factor order, as a JSON list (unambiguous, readable)."""
    return json.dumps([levels[name] for name in names], ensure_ascii=False)


def permuted_block(
    arms: Sequence[ArmSpec], multiples: Sequence[int], rng: np.random.Generator
) -> tuple[int, list[str]]:
    """One permuted block: a multiple drawn from ``multiples``, every arm ``ratio x multiple`` times, shuffled."""
    multiple = int(multiples[int(rng.integers(len(multiples)))])
    block = [arm.key for arm in arms for _ in range(arm.ratio * multiple)]
    order = rng.permutation(len(block))
    return multiple, [block[int(i)] for i in order]


def _check_state(design: Design, state: Mapping[str, Any]) -> None:
    if not isinstance(state, Mapping) or state.get("method") != design.method:
        raise DesignError("The allocation state does not belong to this design's method.")
    needed = {
        "simple": (),
        "blocks": ("strata", "blocks_started"),
        "stratified": ("strata", "blocks_started"),
        "minimisation": ("counts",),
        "table": ("used",),
    }[design.method]
    for key in ("n", "arm_counts", *needed):
        if key not in state:
            raise DesignError(f"The allocation state has no '{key}' entry.")
    if set(state["arm_counts"]) != set(design.arm_keys):
        raise DesignError("The allocation state counts other arms than the design's.")


def allocate(
    design: Design, state: Mapping[str, Any], sequence: int, factors: Mapping[str, str]
) -> Allocated:
    """Allocate participant number ``sequence`` (1, 2, ...) with baseline ``factors``; ``state`` is not changed."""
    check_design(design)
    _check_state(design, state)
    if not _is_int(sequence) or sequence < 1:
        raise DesignError("The allocation number must be a whole number of at least 1.")
    new_state: dict[str, Any] = _normal(state)  # a copy, in JSON form
    rng = random_stream(design.seed, TAG_ALLOCATION, sequence)
    if design.method == "simple":
        arm, detail = _simple(design, rng)
    elif design.method in ("blocks", "stratified"):
        arm, detail = _blocks(design, new_state, factors, rng)
    elif design.method == "minimisation":
        arm, detail = _minimise(design, new_state, factors, rng)
    else:
        arm, detail = _table(design, new_state, factors)
    new_state["n"] = int(new_state["n"]) + 1
    new_state["arm_counts"][arm] = int(new_state["arm_counts"][arm]) + 1
    return Allocated(
        arm=arm, state=new_state, detail={"method": design.method, "sequence": sequence, **detail}
    )


def _by_ratio(arms: Sequence[ArmSpec]) -> list[tuple[str, float]]:
    total = sum(arm.ratio for arm in arms)
    return [(arm.key, arm.ratio / total) for arm in arms]


def _simple(design: Design, rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    probabilities = _by_ratio(design.arms)
    draw = float(rng.random())
    return _choose(probabilities, draw), {"probabilities": dict(probabilities), "draw": draw}


def _blocks(
    design: Design, state: dict[str, Any], factors: Mapping[str, str], rng: np.random.Generator
) -> tuple[str, dict[str, Any]]:
    names = design.factors if design.method == "stratified" else ()
    levels = _levels(factors, names)
    key = stratum_key(levels, names)
    current = state["strata"].get(key)
    detail: dict[str, Any] = {"stratum": levels}
    if not current or not current["remaining"]:
        multiple, block = permuted_block(design.arms, design.block_multiples, rng)
        state["blocks_started"] = int(state["blocks_started"]) + 1
        current = {"block": state["blocks_started"], "size": len(block), "remaining": block}
        detail.update(new_block=True, block_multiple=multiple, block_arms=list(block))
    else:
        current = dict(current, remaining=list(current["remaining"]))
        detail["new_block"] = False
    arm = str(current["remaining"].pop(0))
    if arm not in design.arm_keys:
        raise DesignError(f"The allocation state's block holds the arm '{arm}', not in the design.")
    state["strata"][key] = current
    detail.update(
        block=current["block"],
        block_size=current["size"],
        position=current["size"] - len(current["remaining"]),
    )
    return arm, detail


def _imbalance(values: Sequence[float], measure: str) -> float:
    if measure == "range":
        return float(max(values) - min(values))
    mean = sum(values) / len(values)
    return float(sum((v - mean) ** 2 for v in values) / len(values))  # population variance


def imbalance_scores(
    design: Design, counts: Mapping[str, Mapping[str, Mapping[str, int]]], levels: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """For each candidate arm: each factor's imbalance at the participant's level if they joined it, and the
    weighted total (counts divided by the arms' ratios)."""
    scores: dict[str, dict[str, Any]] = {}
    for candidate in design.arms:
        per_factor: dict[str, float] = {}
        for name in design.factors:
            at_level = counts.get(name, {}).get(levels[name], {})
            adjusted = [
                (int(at_level.get(arm.key, 0)) + (1 if arm.key == candidate.key else 0)) / arm.ratio
                for arm in design.arms
            ]
            per_factor[name] = _imbalance(adjusted, design.imbalance)
        total = sum(design.weight(name) * value for name, value in per_factor.items())
        scores[candidate.key] = {"factors": per_factor, "total": float(total)}
    return scores


def minimisation_probabilities(
    design: Design, totals: Mapping[str, float]
) -> tuple[list[str], dict[str, float]]:
    """The least-imbalancing arms and every arm's probability (see the module docstring)."""
    smallest = min(totals.values())
    best = [arm.key for arm in design.arms if totals[arm.key] <= smallest + _TIE_TOLERANCE]
    if len(best) == len(design.arms):
        return best, dict(_by_ratio(design.arms))
    best_arms = [arm for arm in design.arms if arm.key in best]
    other_arms = [arm for arm in design.arms if arm.key not in best]
    probabilities: dict[str, float] = {}
    for group, share in ((best_arms, design.p_best), (other_arms, 1 - design.p_best)):
        for key, p in _by_ratio(group) if len(group) > 1 else [(group[0].key, 1.0)]:
            probabilities[key] = share * p
    return best, {arm.key: probabilities[arm.key] for arm in design.arms}


def _minimise(
    design: Design, state: dict[str, Any], factors: Mapping[str, str], rng: np.random.Generator
) -> tuple[str, dict[str, Any]]:
    levels = _levels(factors, design.factors)
    counts = state["counts"]
    scores = imbalance_scores(design, counts, levels)
    best, probabilities = minimisation_probabilities(design, {key: s["total"] for key, s in scores.items()})
    draw = float(rng.random())
    arm = _choose(list(probabilities.items()), draw)
    for name in design.factors:
        at_level = counts.setdefault(name, {}).setdefault(levels[name], {})
        at_level[arm] = int(at_level.get(arm, 0)) + 1
    detail = {
        "factors": levels,
        "imbalance": {key: s["factors"] for key, s in scores.items()},
        "totals": {key: s["total"] for key, s in scores.items()},
        "least_imbalancing": best,
        "probabilities": probabilities,
        "draw": draw,
    }
    return arm, detail


def _table(design: Design, state: dict[str, Any], factors: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    columns = [name for name in design.factors if name in design.table[0].strata]
    levels = _levels(factors, columns)
    key = stratum_key(levels, columns)
    rows = [
        number
        for number, row in enumerate(design.table, start=1)
        if all(str(row.strata[c]).strip() == levels[c] for c in columns)
    ]
    used = int(state["used"].get(key, 0))
    described = ", ".join(f"{c}={levels[c]}" for c in columns) or "the whole table"
    if not rows:
        raise TableExhausted(levels, f"The allocation table has no rows for the stratum {described}.")
    if used >= len(rows):
        raise TableExhausted(
            levels, f"All {len(rows)} rows of the allocation table for the stratum {described} are used."
        )
    number = rows[used]
    state["used"][key] = used + 1
    detail = {"stratum": levels, "row": number, "used_in_stratum": used + 1, "rows_in_stratum": len(rows)}
    return design.table[number - 1].group, detail


# --- The log and its replay ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    sequence: int
    factors: Mapping[str, str]
    arm: str
    state_before: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "factors": dict(self.factors),
            "arm": self.arm,
            "state_before": _normal(self.state_before),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LogEntry:
        """An entry from its JSON; other keys (who triggered it, when, the participant) are ignored."""
        try:
            return cls(
                sequence=d["sequence"],
                factors={str(k): str(v) for k, v in dict(d.get("factors") or {}).items()},
                arm=str(d["arm"]),
                state_before=dict(d["state_before"]),
            )
        except KeyError as missing:
            raise DesignError(f"A log entry has no '{missing.args[0]}' entry.") from None
        except (TypeError, ValueError):
            raise DesignError("A log entry is not in the expected form.") from None


@dataclass(frozen=True)
class Replay:
    ok: bool
    checked: int  # entries that replayed to the same state and arm
    diverges_at: int | None  # the sequence number of the first entry that did not
    expected_arm: str | None
    logged_arm: str | None
    reason: str


def _normal(value: Any) -> Any:
    """JSON's view of a value (tuples become lists, keys strings), for comparing a stored state with ours."""
    return json.loads(json.dumps(value, sort_keys=True))


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                return where
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], where)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path or "(the whole state)"


def _replay_problem(
    design: Design, state: dict[str, Any], expected: int, entry: LogEntry
) -> Replay | dict[str, Any]:
    """Entry number ``expected`` of a log replayed on ``state``: the state after it, or the divergence."""
    checked = expected - 1
    if entry.sequence != expected:
        kind = (
            "repeats an earlier number" if _is_int(entry.sequence) and entry.sequence < expected else "skips"
        )
        return Replay(
            False,
            checked,
            entry.sequence,
            None,
            None,
            f"Entry {expected} of the log has allocation number {entry.sequence}, expected {expected}: the log "
            f"{kind} (an entry is missing, duplicated or out of order).",
        )
    recorded, replayed = _normal(entry.state_before), _normal(state)
    if recorded != replayed:
        return Replay(
            False,
            checked,
            entry.sequence,
            None,
            entry.arm,
            f"Allocation {entry.sequence}: the recorded state before it differs from the replayed state at "
            f"'{_first_difference(recorded, replayed)}' (this or an earlier entry was altered).",
        )
    try:
        result = allocate(design, state, entry.sequence, entry.factors)
    except DesignError as error:
        return Replay(
            False,
            checked,
            entry.sequence,
            None,
            entry.arm,
            f"Allocation {entry.sequence} cannot be replayed: {error}",
        )
    if result.arm != entry.arm:
        return Replay(
            False,
            checked,
            entry.sequence,
            result.arm,
            entry.arm,
            f"Allocation {entry.sequence}: the log records arm '{entry.arm}' but the replay gives '{result.arm}'.",
        )
    return result.state


def replay(design: Design, log: Sequence[LogEntry]) -> Replay:
    """Re-run ``log`` from the initial state: each entry's recorded state must be the replayed one and its arm
    the replayed arm, with numbers 1, 2, 3, ... in order. Reports the first entry where that fails."""
    check_design(design)
    state: dict[str, Any] = initial_state(design)
    for checked, entry in enumerate(log):
        problem = _replay_problem(design, state, checked + 1, entry)
        if isinstance(problem, Replay):
            return problem
        state = problem
    count = len(log)
    return Replay(
        True, count, None, None, None, f"All {count} allocations replay to the logged arms and states."
    )


def log_document(design: Design, entries: Sequence[LogEntry], **extra: Any) -> dict[str, Any]:
    """The downloadable log: the design and the entries (``extra`` adds, e.g., the experiment's name)."""
    return {
        "format": LOG_FORMAT,
        "version": LOG_VERSION,
        **extra,
        "design": design.to_json(),
        "entries": [entry.to_json() for entry in entries],
    }


def read_log_document(document: Mapping[str, Any]) -> tuple[Design, tuple[LogEntry, ...]]:
    if not isinstance(document, Mapping) or document.get("format") != LOG_FORMAT:
        raise DesignError("This is not an EmotiPal allocation log.")
    if document.get("version") != LOG_VERSION:
        raise DesignError(
            f"This allocation log has version {document.get('version')!r}; this engine reads 1."
        )
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise DesignError("The allocation log has no list of entries.")
    return Design.from_json(document.get("design", {})), tuple(LogEntry.from_json(e) for e in entries)


def replay_document(document: Mapping[str, Any]) -> Replay:
    design, entries = read_log_document(document)
    return replay(design, entries)


# --- Balance ----------------------------------------------------------------------------------------------


def marginal_imbalance(
    arms: Sequence[ArmSpec], allocations: Sequence[tuple[str, Mapping[str, str]]], factors: Sequence[str]
) -> dict[str, Any]:
    """Counts by arm at every level of every factor, and the largest ratio-adjusted imbalance among them.

    Returns ``{"counts": {factor: {level: {arm: n}}}, "largest": float, "largest_at": [factor, level] | None,
    "imbalance": {factor: {level: float}}}``, the imbalance of a level being ``max - min`` of count/ratio.
    """
    check_arms(arms)
    ratios = {arm.key: arm.ratio for arm in arms}
    counts: dict[str, dict[str, dict[str, int]]] = {name: {} for name in factors}
    for arm, participant in allocations:
        if arm not in ratios:
            raise DesignError(f"An allocation names the arm '{arm}', not one of the arms.")
        for name in factors:
            at_level = counts[name].setdefault(_level(participant, name), dict.fromkeys(ratios, 0))
            at_level[arm] += 1
    imbalance = {
        name: {
            level: _imbalance([by_arm[key] / ratios[key] for key in ratios], "range")
            for level, by_arm in levels.items()
        }
        for name, levels in counts.items()
    }
    largest: float = 0.0
    largest_at: list[str] | None = None
    for name in factors:
        for level, value in imbalance[name].items():
            if largest_at is None or value > largest:
                largest, largest_at = value, [name, level]
    return {"counts": counts, "imbalance": imbalance, "largest": largest, "largest_at": largest_at}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m emotipal.analysis.trials.allocation LOG.json``: replay a downloaded allocation log."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m emotipal.analysis.trials.allocation LOG.json", file=sys.stderr)
        return 2
    try:
        result = replay_document(json.loads(Path(args[0]).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, DesignError) as error:
        print(f"Cannot replay: {error}", file=sys.stderr)
        return 2
    print(result.reason)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
