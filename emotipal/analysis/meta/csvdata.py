"""Reading study tables from CSV with messages that name the file, line and column of any bad value.

Only the standard library is used: the messages must point at what a researcher sees in a text editor or
spreadsheet, which is easier to guarantee with ``csv`` than with a data-frame reader.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._stats import FloatArray
from .design import is_missing
from .errors import MetaInputError

# A plain decimal number: no "nan"/"inf" (float() accepts them), no "1_000" or hex (float() accepts those too).
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Table:
    """Rows of a CSV file as strings, keyed by the (stripped) header names."""

    path: str
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]  # the file line on which each data row starts (header = line 1)

    def __len__(self) -> int:
        return len(self.rows)

    def require(self, name: str) -> None:
        if name not in self.columns:
            listed = ", ".join(self.columns)
            raise MetaInputError(f"{self.path}: column '{name}' not found (columns are: {listed})")

    def where(self, index: int, column: str) -> str:
        return f"{self.path}, line {self.lines[index]}, column '{column}'"

    def text(self, name: str) -> list[str]:
        self.require(name)
        return [row.get(name, "") for row in self.rows]

    def numbers(self, name: str, missing: Collection[str] = ()) -> FloatArray:
        """A column that must hold a number in every row (an empty cell, or one of ``missing``, is an
        error naming its line)."""
        out = []
        for i, raw in enumerate(self.text(name)):
            if is_missing(raw, missing):
                raise MetaInputError(f"{self.where(i, name)}: value is missing")
            out.append(self._parse(i, name, raw))
        return np.array(out, dtype=float)

    def optional_numbers(self, name: str, missing: Collection[str] = ()) -> list[float | None]:
        """A moderator column: empty cells, and cells spelled as one of ``missing``, become None (the row
        is left out of that model)."""
        return [
            None if is_missing(raw, missing) else self._parse(i, name, raw, hint=True)
            for i, raw in enumerate(self.text(name))
        ]

    def _parse(self, index: int, name: str, raw: str, hint: bool = False) -> float:
        text = raw.strip()
        if not _NUMBER.match(text):
            # Only empty cells are missing unless the user says otherwise; point at the way to say it.
            tip = f" (if it marks a missing value, add --missing '{text}')" if hint and text else ""
            raise MetaInputError(f"{self.where(index, name)}: '{raw}' is not a number{tip}")
        return float(text)


def _delimiter(first_line: str) -> str:
    # Comma is standard; spreadsheets in decimal-comma locales write ';', and some tools write tabs.
    for delim in (",", ";", "\t"):
        if delim in first_line:
            return delim
    return ","


def read_table(path: str | Path) -> Table:
    """Read a CSV file with a header row; blank lines are skipped."""
    chunks = list(read_table_chunks(path, rows_per_chunk=None))
    first = chunks[0]
    return Table(
        first.path,
        first.columns,
        [row for c in chunks for row in c.rows],
        [line for c in chunks for line in c.lines],
    )


def read_table_chunks(path: str | Path, rows_per_chunk: int | None = 100_000) -> Iterator[Table]:
    """The file as Tables of at most ``rows_per_chunk`` rows each (at least one, maybe empty), streamed.

    A data set's entries file can be a gigabyte: read whole, as one text and a dict per row, it took 9 GB.
    Each chunk keeps the file's line numbers, so messages name the same line as :func:`read_table`'s.
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)  # the decoder is reset too: a byte-order mark is skipped again
            yield from _chunks(name, csv.reader(handle, delimiter=_delimiter(first)), rows_per_chunk)
    except FileNotFoundError:
        raise MetaInputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise MetaInputError(f"{name}: is a directory, not a CSV file") from None
    except PermissionError:
        raise MetaInputError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise MetaInputError(f"{name}: not a UTF-8 text file") from None
    except OSError as exc:
        raise MetaInputError(f"{name}: cannot be read ({exc.strerror})") from None


def _chunks(name: str, reader: Any, rows_per_chunk: int | None) -> Iterator[Table]:
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = 1
    yielded = False
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                start = reader.line_num + 1
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                dupes = sorted({c for c in header if header.count(c) > 1})
                if dupes:
                    raise MetaInputError(f"{name}: column '{dupes[0]}' appears more than once in the header")
            else:
                if len(record) > len(header):
                    raise MetaInputError(f"{name}, line {start}: more values than header columns")
                rows.append(dict(zip(header, record, strict=False)))
                lines.append(start)
                if rows_per_chunk is not None and len(rows) >= rows_per_chunk:
                    yield Table(name, header, rows, lines)
                    rows, lines, yielded = [], [], True
            start = reader.line_num + 1
    except csv.Error as exc:
        raise MetaInputError(f"{name}, line {reader.line_num}: malformed CSV ({exc})") from None
    if header is None:
        raise MetaInputError(f"{name}: the file is empty (a header row is needed)")
    if rows or not yielded:
        yield Table(name, header, rows, lines)


LABEL_COLUMNS = ("study", "label", "author", "authors", "name", "trial", "id")


def study_labels(table: Table) -> list[str]:
    """Labels for plots: the first study-like column (study, label, author, ...), plus the year if there is
    a 'year' column (so 'Rosenthal et al (1960)' and '(1961)' stay distinct); else 'Study 1', 'Study 2'."""
    lower = {c.lower(): c for c in table.columns}
    col = next((lower[c] for c in LABEL_COLUMNS if c in lower), None)
    if col is None:
        return [f"Study {i + 1}" for i in range(len(table))]
    labels = [row.get(col, "").strip() or f"Study {i + 1}" for i, row in enumerate(table.rows)]
    year = lower.get("year")
    if year is not None and year != col:
        labels = [
            f"{lab} ({row.get(year, '').strip()})" if row.get(year, "").strip() else lab
            for lab, row in zip(labels, table.rows, strict=True)
        ]
    return labels
