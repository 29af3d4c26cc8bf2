"""Psych-DS export: the dataset passes the Psych-DS rules (tests/research/psychds_rules.py), and the checker
catches each way a dataset can break them."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from emotipal.research.export.formats import psychds
from tests.research.export_fixture import LONG_NAME, export_data
from tests.research.psychds_rules import DATA_FILE, problems

ENTRIES = "data/study-homeworkStudy_table-entries_data.csv"


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    psychds.write(export_data(), tmp_path)
    return tmp_path / "psychds"


def _description(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "dataset_description.json").read_text(encoding="utf-8"))


def test_the_export_passes_the_psychds_rules(dataset: Path) -> None:
    assert problems(dataset) == []
    files = sorted(p.name for p in (dataset / "data").iterdir())
    assert "study-homeworkStudy_table-questionnaireScores_data.csv" in files
    assert all(DATA_FILE.match(name) for name in files) and len(files) == len(export_data().tables)


def test_variable_measured_describes_every_column(dataset: Path) -> None:
    meta = _description(dataset)
    assert (meta["@context"], meta["@type"], meta["schemaVersion"]) == (
        "https://schema.org/",
        "Dataset",
        "Psych-DS 0.1.0",
    )
    assert meta["name"] == "Which homework helps" and "Protocol version 1.2" in meta["description"]
    measured = {item["name"]: item for item in meta["variableMeasured"]}
    columns = {str(c) for frame in export_data().tables.values() for c in frame.columns}
    assert set(measured) == columns and len(meta["variableMeasured"]) == len(columns)
    assert all(item["@type"] == "PropertyValue" and item["description"] for item in measured.values())
    helpfulness = measured["helpfulness"]
    assert (helpfulness["minValue"], helpfulness["maxValue"]) == (0, 4)
    assert helpfulness["valueReference"][4] == {"@type": "PropertyValue", "value": "4", "name": "Completely"}
    assert helpfulness["measurementTechnique"] == "source: client; kind: likert; timing: contemporaneous"
    assert measured[LONG_NAME]["unitText"] == "minutes"
    assert "did not consent" in measured["free_text"]["description"]
    assert "participants: Participant state at export" in measured["state"]["description"]  # two meanings


def test_the_data_files_hold_the_tables(dataset: Path) -> None:
    with (dataset / ENTRIES).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["submitted_on"] == "2025-03-06" and rows[0]["submitted_at"] == "2025-03-06T18:30:00Z"
    assert rows[0]["free_text"] == "Wrote it down after the argument, which helped."
    assert [r["submitted"] for r in rows] == ["true"] * 4 + ["false", "true"]
    assert rows[3]["distress_before"] == "" and rows[3]["helpfulness"] == "2"


def _drop_description_field(root: Path) -> None:
    meta = _description(root)
    del meta["description"]
    (root / "dataset_description.json").write_text(json.dumps(meta))


def _drop_a_variable(root: Path) -> None:
    meta = _description(root)
    meta["variableMeasured"] = [v for v in meta["variableMeasured"] if v["name"] != "helpfulness"]
    (root / "dataset_description.json").write_text(json.dumps(meta))


def _wrong_type(root: Path) -> None:
    meta = _description(root)
    meta["@type"] = "CreativeWork"
    (root / "dataset_description.json").write_text(json.dumps(meta))


def _rename(root: Path) -> None:
    (root / ENTRIES).rename(root / "data" / "study-homework_study_entries.csv")


def _empty_column_name(root: Path) -> None:
    path = root / ENTRIES
    text = path.read_text(encoding="utf-8")
    path.write_text(",".join(["", *text.split(",")[1:]]), encoding="utf-8")


def _latin1(root: Path) -> None:
    path = root / ENTRIES
    path.write_bytes(
        path.read_text(encoding="utf-8").encode("latin-1", errors="replace").replace(b"?", b"\xab")
    )


def _ragged(root: Path) -> None:
    with (root / ENTRIES).open("a", encoding="utf-8") as handle:
        handle.write("C-1,E-9\n")


def _no_description(root: Path) -> None:
    (root / "dataset_description.json").unlink()


def _no_data(root: Path) -> None:
    shutil.rmtree(root / "data")


def _duplicate_row_id(root: Path) -> None:
    (root / "data" / "study-x_table-y_data.csv").write_text(
        "row_id,helpfulness\n1,2\n1,3\n", encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        (_drop_description_field, "description is missing"),
        (_drop_a_variable, "['helpfulness'] are not in variableMeasured"),
        (_wrong_type, "@type must be Dataset"),
        (_rename, "not a keyword file name"),
        (_empty_column_name, "a column has no name"),
        (_latin1, "not UTF-8"),
        (_ragged, "2 cells where the header has 9"),
        (_no_description, "dataset_description.json is missing"),
        (_no_data, "no data/ folder"),
        (_duplicate_row_id, "row_id values are not unique"),
    ],
)
def test_a_broken_dataset_fails_the_rules(
    dataset: Path, breaks: Callable[[Path], None], message: str
) -> None:
    breaks(dataset)
    found = problems(dataset)
    assert any(message in p for p in found), found


def test_keyword_values_hold_only_letters_and_digits() -> None:
    assert psychds.keyword_value("self_reviews") == "selfReviews"
    assert psychds.keyword_value("demo-study") == "demoStudy"
    assert psychds.keyword_value("phq9 2026") == "phq92026"
    with pytest.raises(ValueError, match="no letter or digit"):
        psychds.keyword_value("--")
