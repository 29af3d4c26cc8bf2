"""REDCap allocation tables: written from a seed, read back (codes or arm keys, BOM, blank lines), allocated
through in table order per stratum; bad tables and an exhausted stratum named."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from emotipal.analysis.trials.allocation import (
    ArmSpec,
    Design,
    DesignError,
    MissingFactor,
    TableExhausted,
    allocate,
    initial_state,
    replay,
)
from emotipal.analysis.trials.redcap_allocation import GROUP_COLUMN, TableRow, read_table, write_table
from tests.analysis.trials.allocation_sim import run

ARMS = (ArmSpec("emotipal", 2), ArmSpec("control"))
LEVELS = {"site": ["north", "south"], "language": ["en", "es", "ar"]}


def table_design(
    rows: tuple[TableRow, ...], columns: tuple[str, ...], factors: tuple[str, ...] = ()
) -> Design:
    return Design(method="table", arms=ARMS, seed=0, factors=factors or columns, table=rows)


def test_a_written_table_reads_back_and_allocates_in_table_order_per_stratum() -> None:
    generator = Design(method="blocks", arms=ARMS, seed=42, block_multiples=(1, 2))
    text = write_table(generator, LEVELS, per_stratum=12)
    assert text.splitlines()[0] == f"{GROUP_COLUMN},site,language"
    assert len(text.splitlines()) == 1 + 6 * 12
    raw = list(csv.DictReader(io.StringIO(text)))
    assert {row[GROUP_COLUMN] for row in raw} == {"1", "2"}  # codes 1..k in the design's arm order
    rows, columns = read_table(text, ARMS)
    assert columns == ("site", "language") and len(rows) == 72
    for site in LEVELS["site"]:
        for language in LEVELS["language"]:
            groups = [r.group for r in rows if r.strata == {"site": site, "language": language}]
            # Blocks of 3 or 6 (2:1), so 12 rows are whole blocks: exactly 8 emotipal and 4 control.
            assert Counter(groups) == {"emotipal": 8, "control": 4}

    design = table_design(rows, columns, factors=("site", "phq9_band", "language"))
    people = [{"site": "south", "language": "es", "phq9_band": "mild"}] * 5 + [
        {"site": "north", "language": "en", "phq9_band": "severe"}
    ] * 3
    results, log = run(design, people)
    expected_south_es = [r.group for r in rows if r.strata == {"site": "south", "language": "es"}][:5]
    expected_north_en = [r.group for r in rows if r.strata == {"site": "north", "language": "en"}][:3]
    assert [r.arm for r in results] == expected_south_es + expected_north_en
    first_row = next(
        i for i, r in enumerate(rows, start=1) if r.strata == {"site": "south", "language": "es"}
    )
    assert results[0].detail["row"] == first_row and results[0].detail["rows_in_stratum"] == 12
    assert results[-1].state["used"] == {'["south", "es"]': 5, '["north", "en"]': 3}
    assert replay(design, log).ok


def test_write_table_is_reproducible_from_the_seed() -> None:
    def table(seed: int) -> str:
        return write_table(Design(method="blocks", arms=ARMS, seed=seed), LEVELS, per_stratum=30)

    assert table(1) == table(1)
    assert table(1) != table(2)
    unstratified = write_table(Design(method="blocks", arms=ARMS, seed=1, block_multiples=(1,)), {}, 7)
    rows, columns = read_table(unstratified, ARMS)
    assert columns == () and len(rows) == 7
    assert Counter(r.group for r in rows[:6]) == {"emotipal": 4, "control": 2}


def test_write_table_refuses_bad_requests() -> None:
    d = Design(method="blocks", arms=ARMS, seed=1)
    with pytest.raises(DesignError, match="at least one row"):
        write_table(d, LEVELS, 0)
    with pytest.raises(DesignError, match="'site' needs at least one level"):
        write_table(d, {"site": []}, 4)
    with pytest.raises(DesignError, match="lists a level twice"):
        write_table(d, {"site": ["a", "a"]}, 4)
    with pytest.raises(DesignError, match="cannot be the name"):
        write_table(d, {GROUP_COLUMN: ["a"]}, 4)


def test_a_redcap_export_with_codes_or_keys_a_bom_and_blank_lines_is_read() -> None:
    text = "\ufeffredcap_randomization_group,site\r\n1,north\r\n\r\n2,north\r\ncontrol, south \r\nemotipal,south\r\n"
    rows, columns = read_table(text, ARMS)
    assert columns == ("site",)
    assert rows == (
        TableRow("emotipal", {"site": "north"}),
        TableRow("control", {"site": "north"}),
        TableRow("control", {"site": "south"}),
        TableRow("emotipal", {"site": "south"}),
    )
    # Column order does not matter.
    rows, columns = read_table("site,redcap_randomization_group\nnorth,2\n", ARMS)
    assert rows == (TableRow("control", {"site": "north"}),) and columns == ("site",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("site,arm\nnorth,1\n", "no 'redcap_randomization_group' column"),
        ("redcap_randomization_group,site\n", "header but no rows"),
        ("redcap_randomization_group,site\n1,north\n3,north\n", "Line 3 .* group '3'.* 1 to 2"),
        ("redcap_randomization_group,site\n1,north\nplacebo,north\n", "Line 3 .* group 'placebo'"),
        ("redcap_randomization_group,site\n1,north\n2,\n", "Line 3 .* no value for 'site'"),
        ("redcap_randomization_group,site\n1,north\n,south\n", "Line 3 .* no group"),
        ("redcap_randomization_group,site\n1,north,extra\n", "Line 2 .* 3 values; the header has 2"),
        ("redcap_randomization_group,site,site\n1,a,b\n", "column 'site' twice"),
        ("redcap_randomization_group,,site\n1,a,b\n", "without a name"),
    ],
)
def test_bad_tables_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        read_table(text, ARMS)


def test_an_exhausted_or_unknown_stratum_is_named() -> None:
    rows, columns = read_table(
        "redcap_randomization_group,site,language\n1,north,en\n2,north,en\n1,south,es\n", ARMS
    )
    design = table_design(rows, columns)
    state = initial_state(design)
    for sequence in (1, 2):
        state = allocate(design, state, sequence, {"site": "north", "language": "en"}).state
    with pytest.raises(TableExhausted, match=r"All 2 rows .* site=north, language=en are used") as caught:
        allocate(design, state, 3, {"site": "north", "language": "en"})
    assert caught.value.stratum == {"site": "north", "language": "en"}
    with pytest.raises(TableExhausted, match="no rows for the stratum site=east, language=en"):
        allocate(design, state, 3, {"site": "east", "language": "en"})
    with pytest.raises(MissingFactor, match="'language'"):
        allocate(design, state, 3, {"site": "south"})
    # The failed attempts changed nothing: the south row is still there.
    assert allocate(design, state, 3, {"site": "south", "language": "es"}).arm == "emotipal"


def test_a_table_with_arms_or_strata_the_design_lacks_is_refused() -> None:
    rows, columns = read_table("redcap_randomization_group,site\n1,north\n", ARMS)
    with pytest.raises(DesignError, match="stratified by 'site'"):
        initial_state(table_design(rows, columns, factors=("language",)))
    other_arms = Design(
        method="table", arms=(ArmSpec("a"), ArmSpec("b")), seed=0, factors=columns, table=rows
    )
    with pytest.raises(DesignError, match="the arm 'emotipal', not in the design"):
        initial_state(other_arms)
