"""Reading an exported (or simulated) data set directory for the compliance-outcome analysis.

The directory holds the CSV files that :func:`emotipal.analysis.simulate.write_dataset` writes (the export
format). Only the columns the analysis needs are required; every bad value is reported with the file, the
line (line 1 is the header) and the column, as an :class:`AnalysisInputError`.

Files and the columns read:

* ``clients.csv``: ``key``, ``therapist_key``, optionally ``discharged_day`` (empty: still in treatment)
* ``therapists.csv`` (optional): ``key``, ``display_name`` (labels only)
* ``scores.csv``: ``client_key``, ``week``, ``phq9`` (0..27)
* ``assignments.csv``: ``key``, ``client_key``, ``start_day``, ``end_day``, ``practice_weekdays``
  (a JSON list of weekdays, 0 = Monday)
* ``entries.csv``: ``assignment_key``, ``day``, ``submitted`` (True/False)
* ``self_reviews.csv``: ``client_key``, ``assignment_key``, ``session_key``, ``quantity`` (0..4)
* ``therapist_reviews.csv``: ``assignment_key``, ``session_key``, ``quantity``, ``mastery`` (0..4), optionally
  ``day`` (when the review was made; the mediation analysis needs it to put the mediator in time order)
* ``retro_ratings.csv``: ``client_key``, ``rater`` (client/therapist), ``quantity`` (0..4)
* ``truth.json`` (optional): the simulator's ground truth (population values under ``truth``, this
  sample's under ``realised``), shown alongside the results

Days are counted from the clinic start (day 0 is a Monday), so ``day // 7`` is the week.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotipal.analysis.meta.csvdata import Table, read_table, read_table_chunks
from emotipal.analysis.meta.design import COMMON_MISSING_TOKENS, is_missing
from emotipal.analysis.meta.errors import MetaInputError

PHQ9_MAX = 27
RATING_MAX = 4
RATERS = ("client", "therapist")
# In these numeric columns a word can never be a value, so "NA", "none" and the like mean missing too.
NUMBER_MISSING = COMMON_MISSING_TOKENS
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})


class AnalysisInputError(MetaInputError):
    """A data set that cannot be analysed; the message names the file, line and column where it can."""


@dataclass
class ClientData:
    """Everything the analysis uses about one client."""

    key: str
    therapist_key: str
    scores: dict[int, float] = field(default_factory=dict)  # week -> PHQ-9
    planned_days: list[int] = field(default_factory=list)  # one item per planned practice
    submitted_days: list[int] = field(default_factory=list)  # one item per submitted entry
    # The same practices per assignment key, so completion can be capped per assignment.
    planned_by_assignment: dict[str, int] = field(default_factory=dict)
    submitted_by_assignment: dict[str, int] = field(default_factory=dict)
    self_quantity: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (assignment, session)
    therapist_quantity: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    therapist_mastery: list[float] = field(default_factory=list)
    therapist_mastery_days: list[tuple[int, float]] = field(default_factory=list)  # (review day, mastery)
    discharged_week: int | None = None  # the week of an early discharge; None: not discharged (or unknown)
    retro_quantity: dict[str, list[float]] = field(default_factory=dict)  # rater -> ratings


@dataclass(frozen=True)
class Dataset:
    path: str
    clients: tuple[ClientData, ...]
    therapist_names: dict[str, str]
    truth: dict[str, Any] | None

    @property
    def therapists(self) -> tuple[str, ...]:
        """Therapist keys with at least one client, in sorted order."""
        return tuple(sorted({c.therapist_key for c in self.clients}))

    @property
    def weeks(self) -> int:
        """Number of weeks covered by the scores (the highest week + 1)."""
        return 1 + max((w for c in self.clients for w in c.scores), default=-1)


# --- cells -------------------------------------------------------------------------------------------


def _raw(table: Table, i: int, col: str) -> str:
    return table.rows[i].get(col) or ""


def _text(table: Table, i: int, col: str) -> str:
    raw = _raw(table, i, col).strip()
    if not raw:
        raise AnalysisInputError(f"{table.where(i, col)}: value is missing")
    return raw


def _number(table: Table, i: int, col: str, lo: float | None = None, hi: float | None = None) -> float:
    raw = _raw(table, i, col)
    if is_missing(raw, NUMBER_MISSING):
        raise AnalysisInputError(f"{table.where(i, col)}: value is missing")
    text = raw.strip()
    if not _NUMBER.match(text):
        raise AnalysisInputError(f"{table.where(i, col)}: '{raw}' is not a number")
    value = float(text)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise AnalysisInputError(f"{table.where(i, col)}: {text} is outside {lo:g}..{hi:g}")
    return value


def _optional_number(table: Table, i: int, col: str, lo: float, hi: float) -> float | None:
    return None if is_missing(_raw(table, i, col), NUMBER_MISSING) else _number(table, i, col, lo, hi)


def _integer(table: Table, i: int, col: str, lo: int = 0) -> int:
    value = _number(table, i, col)
    if value != math.floor(value) or value < lo:
        raise AnalysisInputError(
            f"{table.where(i, col)}: '{_raw(table, i, col)}' is not a whole number >= {lo}"
        )
    return int(value)


def _boolean(table: Table, i: int, col: str) -> bool:
    raw = _text(table, i, col).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise AnalysisInputError(f"{table.where(i, col)}: '{_raw(table, i, col)}' is not True or False")


def _weekdays(table: Table, i: int, col: str) -> set[int]:
    raw = _text(table, i, col)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw.split(",")  # also accept a plain "0,2,4"
    try:
        days = {int(str(v).strip()) for v in value} if isinstance(value, list) else None
    except ValueError:
        days = None
    if not days or not all(0 <= d <= 6 for d in days):
        raise AnalysisInputError(
            f"{table.where(i, col)}: '{raw}' is not a list of weekdays (0 = Monday .. 6 = Sunday), e.g. [0, 2, 4]"
        )
    return days


# --- files -------------------------------------------------------------------------------------------


ROWS_PER_CHUNK = 100_000  # rows of a file held at once while loading


def _rows(
    directory: Path, name: str, columns: tuple[str, ...], *, may_be_empty: bool = False
) -> Iterator[tuple[Table, int]]:
    """Each data row of a file as (its chunk, its index in the chunk), read in chunks (read_table_chunks).

    The cell helpers above take a table and an index, so a loop over a file reads as one over a table;
    only a chunk of rows is held at a time (an entries file of a gigabyte held whole took 9 GB).
    """
    path = directory / name
    if not path.exists():
        raise AnalysisInputError(f"{path}: file not found (the data set needs it)")
    if may_be_empty and path.is_file() and not _has_text(path):
        return  # a table nobody wrote a row into yet
    for table in read_table_chunks(path, ROWS_PER_CHUNK):
        for col in columns:
            table.require(col)
        for i in range(len(table)):
            yield table, i


def _has_text(path: Path) -> bool:
    """Whether the file holds anything but white space, read a block at a time."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            while block := handle.read(1 << 16):
                if block.strip():
                    return True
    except UnicodeDecodeError:
        return True  # not text: read_table_chunks says so
    return False


def _unknown(table: Table, i: int, col: str, what: str, other: str) -> AnalysisInputError:
    return AnalysisInputError(
        f"{table.where(i, col)}: unknown {what} '{_raw(table, i, col)}' (not in {other})"
    )


def load_dataset(directory: str | Path) -> Dataset:
    """Read and check a data set directory."""
    root = Path(directory)
    if not root.exists():
        raise AnalysisInputError(f"{directory}: no such directory")
    if not root.is_dir():
        raise AnalysisInputError(f"{directory}: not a directory (give the folder holding the CSV files)")

    clients: dict[str, ClientData] = {}
    for clients_t, i in _rows(root, "clients.csv", ("key", "therapist_key")):
        key = _text(clients_t, i, "key")
        if key in clients:
            raise AnalysisInputError(f"{clients_t.where(i, 'key')}: client '{key}' appears twice")
        clients[key] = ClientData(key, _text(clients_t, i, "therapist_key"))
        if "discharged_day" in clients_t.columns and not is_missing(_raw(clients_t, i, "discharged_day")):
            clients[key].discharged_week = _integer(clients_t, i, "discharged_day") // 7

    def client_of(table: Table, i: int, col: str = "client_key") -> ClientData:
        client = clients.get(_text(table, i, col))
        if client is None:
            raise _unknown(table, i, col, "client", "clients.csv")
        return client

    for scores_t, i in _rows(root, "scores.csv", ("client_key", "week", "phq9")):
        client = client_of(scores_t, i)
        week = _integer(scores_t, i, "week")
        if week in client.scores:
            raise AnalysisInputError(
                f"{scores_t.where(i, 'week')}: client '{client.key}' has a second score for week {week}"
            )
        client.scores[week] = _number(scores_t, i, "phq9", 0, PHQ9_MAX)

    assignment_cols = ("key", "client_key", "start_day", "end_day", "practice_weekdays")
    owner: dict[str, ClientData] = {}
    for assignments_t, i in _rows(root, "assignments.csv", assignment_cols, may_be_empty=True):
        key = _text(assignments_t, i, "key")
        client = client_of(assignments_t, i)
        start, end = _integer(assignments_t, i, "start_day"), _integer(assignments_t, i, "end_day")
        if end < start:
            raise AnalysisInputError(
                f"{assignments_t.where(i, 'end_day')}: {end} is before start_day {start}"
            )
        weekdays = _weekdays(assignments_t, i, "practice_weekdays")
        owner[key] = client
        days = [d for d in range(start, end + 1) if d % 7 in weekdays]
        client.planned_days.extend(days)
        client.planned_by_assignment[key] = client.planned_by_assignment.get(key, 0) + len(days)

    def assignment_of(table: Table, i: int) -> ClientData:
        client = owner.get(_text(table, i, "assignment_key"))
        if client is None:
            raise _unknown(table, i, "assignment_key", "assignment", "assignments.csv")
        return client

    entry_cols = ("assignment_key", "day", "submitted")
    for entries_t, i in _rows(root, "entries.csv", entry_cols, may_be_empty=True):
        client = assignment_of(entries_t, i)
        day = _integer(entries_t, i, "day")
        if _boolean(entries_t, i, "submitted"):
            client.submitted_days.append(day)
            key = _text(entries_t, i, "assignment_key")
            client.submitted_by_assignment[key] = client.submitted_by_assignment.get(key, 0) + 1

    self_cols = ("client_key", "assignment_key", "session_key", "quantity")
    for self_t, i in _rows(root, "self_reviews.csv", self_cols, may_be_empty=True):
        client = client_of(self_t, i)
        if assignment_of(self_t, i) is not client:
            raise AnalysisInputError(
                f"{self_t.where(i, 'assignment_key')}: assignment belongs to another client than '{client.key}'"
            )
        pair = (_text(self_t, i, "assignment_key"), _text(self_t, i, "session_key"))
        value = _optional_number(self_t, i, "quantity", 0, RATING_MAX)
        if value is not None:
            client.self_quantity.setdefault(pair, []).append(value)

    therapist_cols = ("assignment_key", "session_key", "quantity", "mastery")
    for therapist_t, i in _rows(root, "therapist_reviews.csv", therapist_cols, may_be_empty=True):
        client = assignment_of(therapist_t, i)
        pair = (_text(therapist_t, i, "assignment_key"), _text(therapist_t, i, "session_key"))
        quantity = _optional_number(therapist_t, i, "quantity", 0, RATING_MAX)
        if quantity is not None:
            client.therapist_quantity.setdefault(pair, []).append(quantity)
        mastery = _optional_number(therapist_t, i, "mastery", 0, RATING_MAX)
        if mastery is not None:
            client.therapist_mastery.append(mastery)
            if "day" in therapist_t.columns and not is_missing(_raw(therapist_t, i, "day")):
                client.therapist_mastery_days.append((_integer(therapist_t, i, "day"), mastery))

    retro_cols = ("client_key", "rater", "quantity")
    for retro_t, i in _rows(root, "retro_ratings.csv", retro_cols, may_be_empty=True):
        client = client_of(retro_t, i)
        rater = _text(retro_t, i, "rater").lower()
        if rater not in RATERS:
            raise AnalysisInputError(
                f"{retro_t.where(i, 'rater')}: '{_raw(retro_t, i, 'rater')}' is not a rater (client or therapist)"
            )
        value = _optional_number(retro_t, i, "quantity", 0, RATING_MAX)
        if value is not None:
            client.retro_quantity.setdefault(rater, []).append(value)

    return Dataset(str(directory), tuple(clients.values()), _therapist_names(root), _truth(root))


def _therapist_names(root: Path) -> dict[str, str]:
    path = root / "therapists.csv"
    if not path.is_file():
        return {}
    table = read_table(path)
    if "key" not in table.columns or "display_name" not in table.columns:
        return {}
    return {
        row["key"].strip(): (row.get("display_name") or "").strip()
        for row in table.rows
        if (row.get("key") or "").strip()
    }


def _truth(root: Path) -> dict[str, Any] | None:
    """The simulator's ground truth, if present; only its numbers (not its prose) are kept.

    Top-level settings, and the nested population values ("truth") and sample values ("realised").
    """
    path = root / "truth.json"
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnalysisInputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise AnalysisInputError(f"{path}: expected a JSON object")
    keys = (
        "true_r",
        "halo",
        "seed",
        "n_clients",
        "n_therapists",
        "weeks",
        "therapist_sd",
        "therapist_r",
    )
    kept: dict[str, Any] = {k: doc[k] for k in keys if _is_number(doc.get(k))}
    if isinstance(doc.get("reference_figure"), str):
        kept["reference_figure"] = doc["reference_figure"]
    for section in ("truth", "realised"):
        if isinstance(doc.get(section), dict):
            kept[section] = _numbers(doc[section])
    return kept


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(doc: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a nested dict (and nulls, which say 'not computed'), without any text."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out[key] = _numbers(value)
        elif value is None or _is_number(value):
            out[key] = value
    return out
