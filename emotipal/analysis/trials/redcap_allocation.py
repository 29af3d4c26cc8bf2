"""REDCap allocation tables: read one a trial team already has, or write one EmotiPal can hand to REDCap.

A REDCap randomisation allocation table is a CSV file with a ``redcap_randomization_group`` column (the coded
value of the randomisation field: ``1`` .. ``k``) and one column per stratification field, one row per
allocation; REDCap uses, for each participant, the first unused row whose strata match. :func:`read_table`
accepts group codes ``1`` .. ``k`` in the design's arm order or the arm keys themselves, and gives rows with
arm keys for :class:`~emotipal.analysis.trials.allocation.Design` ``(method="table")``. :func:`write_table`
generates a table of permuted blocks per stratum, reproducible from the design's seed.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Mapping, Sequence

from emotipal.analysis.trials.allocation import (
    TAG_TABLE,
    ArmSpec,
    Design,
    DesignError,
    TableRow,
    check_arms,
    check_block_multiples,
    check_seed,
    permuted_block,
    random_stream,
)

__all__ = ["GROUP_COLUMN", "TableRow", "read_table", "write_table"]

GROUP_COLUMN = "redcap_randomization_group"


def _group_key(value: str, arms: Sequence[ArmSpec], line: int) -> str:
    keys = [arm.key for arm in arms]
    if value in keys:
        return value
    if value.isdigit() and 1 <= int(value) <= len(keys):
        return keys[int(value) - 1]
    raise DesignError(
        f"Line {line} of the allocation table has the group '{value}'; use 1 to {len(keys)} "
        f"(in the order {', '.join(keys)}) or an arm's key."
    )


def read_table(text: str, arms: Sequence[ArmSpec]) -> tuple[tuple[TableRow, ...], tuple[str, ...]]:
    """The rows (group as arm key) and the strata column names of a REDCap allocation table's CSV text."""
    check_arms(arms)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header: list[str] | None = None
    for fields in reader:
        if any(f.strip() for f in fields):
            header = [f.strip() for f in fields]
            break
    if header is None:
        raise DesignError("The allocation table is empty.")
    if GROUP_COLUMN not in header:
        raise DesignError(f"The allocation table has no '{GROUP_COLUMN}' column.")
    if any(not name for name in header):
        raise DesignError(f"Line {reader.line_num} of the allocation table has a column without a name.")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DesignError(f"The allocation table has the column '{duplicates[0]}' twice.")
    columns = tuple(name for name in header if name != GROUP_COLUMN)
    rows: list[TableRow] = []
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise DesignError(
                f"Line {line} of the allocation table has {len(fields)} values; the header has {len(header)}."
            )
        values = dict(zip(header, (f.strip() for f in fields), strict=True))
        group = values[GROUP_COLUMN]
        if not group:
            raise DesignError(f"Line {line} of the allocation table has no group.")
        for name in columns:
            if not values[name]:
                raise DesignError(f"Line {line} of the allocation table has no value for '{name}'.")
        rows.append(
            TableRow(group=_group_key(group, arms, line), strata={name: values[name] for name in columns})
        )
    if not rows:
        raise DesignError("The allocation table has a header but no rows.")
    return tuple(rows), columns


def write_table(design: Design, strata_levels: Mapping[str, Sequence[str]], per_stratum: int) -> str:
    """A REDCap allocation table (CSV, group codes 1 .. k in the design's arm order): ``per_stratum`` rows for
    every combination of ``strata_levels``, made of permuted blocks (sizes from ``design.block_multiples``;
    the last block is cut at ``per_stratum``). The same design seed gives the same table."""
    check_arms(design.arms)
    check_seed(design.seed)
    check_block_multiples(design.block_multiples)
    if isinstance(per_stratum, bool) or not isinstance(per_stratum, int) or per_stratum < 1:
        raise DesignError("The table needs at least one row per stratum.")
    names = list(strata_levels)
    for name in names:
        if not name.strip() or name == GROUP_COLUMN:
            raise DesignError(f"'{name}' cannot be the name of a strata column.")
        levels = [str(level) for level in strata_levels[name]]
        if not levels or any(not level.strip() for level in levels):
            raise DesignError(f"The stratum '{name}' needs at least one level, none of them blank.")
        if len(set(levels)) != len(levels):
            raise DesignError(f"The stratum '{name}' lists a level twice.")
    codes = {arm.key: str(number) for number, arm in enumerate(design.arms, start=1)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([GROUP_COLUMN, *names])
    combinations = itertools.product(*(list(strata_levels[name]) for name in names))
    for index, combination in enumerate(combinations):
        rng = random_stream(design.seed, TAG_TABLE, index)
        groups: list[str] = []
        while len(groups) < per_stratum:
            groups.extend(permuted_block(design.arms, design.block_multiples, rng)[1])
        for key in groups[:per_stratum]:
            writer.writerow([codes[key], *combination])
    return out.getvalue()
