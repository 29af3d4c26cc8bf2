"""Data set files are read in chunks of rows, with the same rows, the same line numbers and the same messages.

Pure tests: no database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from compliance_sim import dataset_dir

from emotipal.analysis.compliance import dataset, load_dataset
from emotipal.analysis.compliance.dataset import AnalysisInputError
from emotipal.analysis.meta.csvdata import read_table, read_table_chunks
from emotipal.analysis.meta.errors import MetaInputError


def test_chunks_hold_the_rows_and_line_numbers_of_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # A byte-order mark, semicolons, blank lines and a quoted value spanning two lines.
    path.write_bytes('\ufeffa;b\n1;2\n\n3;"x\ny"\n4;5\n\n\n6;7\n'.encode())
    whole = read_table(path)
    assert whole.columns == ["a", "b"]
    assert [r["a"] for r in whole.rows] == ["1", "3", "4", "6"]
    assert whole.lines == [2, 4, 6, 9]
    for size in (1, 2, 3, 100):
        chunks = list(read_table_chunks(path, size))
        assert all(len(c) <= size for c in chunks)
        assert [r for c in chunks for r in c.rows] == whole.rows
        assert [n for c in chunks for n in c.lines] == whole.lines
    header_only = tmp_path / "h.csv"
    header_only.write_text("a,b\n")
    assert [len(c) for c in read_table_chunks(header_only, 2)] == [0]  # one empty chunk: the header checks


def test_chunks_are_read_as_they_are_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n")  # the last row is bad
    chunks = read_table_chunks(path, 2)
    assert [r["a"] for r in next(chunks).rows] == ["1", "3"]  # read before the bad row is reached
    with pytest.raises(MetaInputError, match="line 4: more values than header columns"):
        next(chunks)


def test_a_data_set_loads_the_same_in_small_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = dataset_dir(tmp_path / "d", seed=3)
    whole = load_dataset(folder)
    monkeypatch.setattr(dataset, "ROWS_PER_CHUNK", 7)
    assert load_dataset(folder) == whole


def test_a_bad_value_in_a_later_chunk_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = dataset_dir(tmp_path / "d", seed=4)
    entries = folder / "entries.csv"
    lines = entries.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[40].split(",")
    cells[header.index("day")] = "soon"
    lines[40] = ",".join(cells)
    entries.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(dataset, "ROWS_PER_CHUNK", 5)
    with pytest.raises(
        AnalysisInputError, match=r"entries\.csv, line 41, column 'day': 'soon' is not a number"
    ):
        load_dataset(folder)


def test_an_entries_file_that_is_not_text_is_refused_with_a_reason(tmp_path: Path) -> None:
    folder = dataset_dir(tmp_path / "d", seed=5)
    (folder / "entries.csv").write_bytes(b"assignment_key,day,submitted\n\xff\xfe,1,True\n")
    with pytest.raises(MetaInputError, match=r"entries\.csv: not a UTF-8 text file"):
        load_dataset(folder)
    (folder / "entries.csv").write_text("  \n\n")  # nothing written yet: no entries, not an error
    assert all(not c.submitted_days for c in load_dataset(folder).clients)
