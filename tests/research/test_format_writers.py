"""Every format writer together, as the export builder calls them (WRITERS): each keeps to its own folder, and an
export whose tables are empty (no participant consented yet) still gives valid files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pyreadstat

from emotipal.research.export.formats import WRITERS
from tests.research.export_fixture import export_data
from tests.research.psychds_rules import problems


def test_each_writer_keeps_to_its_own_folder(tmp_path: Path) -> None:
    data = export_data()
    seen: set[Path] = set()
    for name, write in WRITERS.items():
        written = write(data, tmp_path)
        assert written and all(p.is_file() and p.is_relative_to(tmp_path / name) for p in written), name
        assert not seen & set(written)
        seen |= set(written)
    assert {p.name for p in tmp_path.iterdir()} == set(WRITERS)


def test_empty_tables_give_valid_empty_files(tmp_path: Path) -> None:
    data = export_data()
    data.tables = {name: frame.iloc[0:0] for name, frame in data.tables.items()}
    for write in WRITERS.values():
        write(data, tmp_path)
    entries = pq.read_table(
        tmp_path / "parquet" / "study=homework-study" / "table=entries" / "part-0000.parquet"
    )
    assert entries.num_rows == 0 and entries.schema.field("helpfulness").metadata[b"label"]
    frame, meta = pyreadstat.read_sav(str(tmp_path / "spss" / "entries.sav"))
    assert len(frame) == 0 and meta.column_names_to_labels["helpfulness"]
    frame, meta = pyreadstat.read_dta(str(tmp_path / "stata" / "participants.dta"))
    assert len(frame) == 0 and meta.variable_value_labels["state"]
    assert problems(tmp_path / "psychds") == []
    bundle = json.loads((tmp_path / "fhir" / "research_study_bundle.json").read_text())
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["ResearchStudy"]
    records = (tmp_path / "redcap" / "records.csv").read_text().splitlines()
    assert len(records) == 1 and records[0].startswith("record_id,redcap_repeat_instrument")
