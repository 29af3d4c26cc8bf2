"""REDCap export: a data dictionary the project's own REDCap importer reads, and records that fit it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from emotipal.measures.redcap import REDCAP_HEADER, import_dictionary
from emotipal.research.export.data import Variable
from emotipal.research.export.formats import redcap
from tests.research.export_fixture import LONG_NAME, export_data

CHOICES = re.compile(r"^[A-Za-z0-9_-]+, [^|]+( \| [A-Za-z0-9_-]+, [^|]+)*$")
VALID = {
    "date_ymd": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime_seconds_ymd": re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"),
    "integer": re.compile(r"^-?\d+$"),
    "number": re.compile(r"^-?\d+(\.\d+)?$"),
}


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_the_dictionary_follows_redcaps_rules_and_imports(tmp_path: Path) -> None:
    redcap.write(export_data(), tmp_path)
    text = (tmp_path / "redcap" / "data_dictionary.csv").read_text(encoding="utf-8")
    assert next(csv.reader(io.StringIO(text))) == list(REDCAP_HEADER)
    rows = _rows(tmp_path / "redcap" / "data_dictionary.csv")
    names = [r["Variable / Field Name"] for r in rows]
    assert names[0] == "record_id" and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) and len(n) <= 100 for n in names)
    for row in rows:
        if row["Field Type"] == "radio":
            assert CHOICES.match(row["Choices, Calculations, OR Slider Labels"]), row
    # The measures app's importer (what REDCap's upload checks, and more) accepts it: one form per record table.
    imported = import_dictionary(text)
    assert [d["key"] for d in imported.definitions] == [
        "participants",
        "entries",
        "questionnaire_scores",
        "participant_states",
    ]
    by_name = {r["Variable / Field Name"]: r for r in rows}
    assert by_name["helpfulness"]["Choices, Calculations, OR Slider Labels"].startswith("0, Not at all | 1,")
    assert by_name["submitted"]["Field Type"] == "yesno"
    assert by_name["submitted_on"]["Text Validation Type OR Show Slider Number"] == "date_ymd"
    assert "source client, kind likert, timing contemporaneous" in by_name["helpfulness"]["Field Note"]
    assert "did not consent" in by_name["free_text"]["Field Note"]
    # A name used by two tables takes its form's name; a name too odd for REDCap is made valid.
    assert by_name["participant_states_state"]["Form Name"] == "participant_states"
    assert "minutes_on_task_as_measured_by_the_app_timer" in by_name


def test_records_fit_the_dictionary_one_record_per_participant(tmp_path: Path) -> None:
    data = export_data()
    redcap.write(data, tmp_path)
    fields = {r["Variable / Field Name"]: r for r in _rows(tmp_path / "redcap" / "data_dictionary.csv")}
    records = _rows(tmp_path / "redcap" / "records.csv")
    people = list(data.tables["participants"]["participant_id"])
    own = [r for r in records if not r["redcap_repeat_instrument"]]
    assert [r["record_id"] for r in own] == people
    for record in records:
        form = record["redcap_repeat_instrument"] or "participants"
        for name, value in record.items():
            if name in ("record_id", *redcap.REPEAT_COLUMNS) or value == "":
                continue
            spec = fields[name]
            assert spec["Form Name"] == form, (name, form)  # a row fills only its own form's fields
            if spec["Field Type"] == "radio":
                codes = [
                    c.split(",")[0] for c in spec["Choices, Calculations, OR Slider Labels"].split(" | ")
                ]
                assert value in codes, (name, value)
            elif spec["Field Type"] == "yesno":
                assert value in ("0", "1")
            elif spec["Text Validation Type OR Show Slider Number"]:
                assert VALID[spec["Text Validation Type OR Show Slider Number"]].match(value), (name, value)
    entries = [r for r in records if r["redcap_repeat_instrument"] == "entries"]
    assert len(entries) == len(data.tables["entries"])
    assert [(r["record_id"], r["redcap_repeat_instance"]) for r in entries[:3]] == [
        (people[0], "1"),
        (people[0], "2"),
        (people[1], "1"),
    ]
    assert entries[4]["submitted_on"] == "" and entries[4]["submitted"] == "0"
    assert entries[0]["minutes_on_task_as_measured_by_the_app_timer"] == "12.5"
    assert entries[0]["submitted_at"] == "2025-03-06 18:30:00"
    repeating = (tmp_path / "redcap" / "repeating_instruments.csv").read_text().split()
    assert repeating == [
        "form_name,custom_form_label",
        "entries,",
        "questionnaire_scores,",
        "participant_states,",
    ]
    assert "therapists" in (tmp_path / "redcap" / "README.txt").read_text()


def test_codes_redcap_cannot_hold_are_numbered_and_explained(tmp_path: Path) -> None:
    data = export_data()
    bands = {"18-24": "18 to 24", "25-34": "25 to 34", "35-44": "35 to 44", "45-54": "45 | 54"}
    data.codebook = [
        Variable(v.table, v.name, v.label, v.type, values=bands) if v.name == "age_band" else v
        for v in data.codebook
    ]
    redcap.write(data, tmp_path)
    row = next(
        r
        for r in _rows(tmp_path / "redcap" / "data_dictionary.csv")
        if r["Variable / Field Name"] == "age_band"
    )
    assert (
        row["Choices, Calculations, OR Slider Labels"]
        == "1, 18 to 24 | 2, 25 to 34 | 3, 35 to 44 | 4, 45 / 54"
    )
    assert "1 = 18-24" in row["Field Note"]
    records = [r for r in _rows(tmp_path / "redcap" / "records.csv") if not r["redcap_repeat_instrument"]]
    assert [r["age_band"] for r in records] == ["2", "3", "1", "4"]
    import_dictionary((tmp_path / "redcap" / "data_dictionary.csv").read_text())


def test_a_value_outside_the_codebook_is_refused(tmp_path: Path) -> None:
    data = export_data()
    data.tables["entries"].loc[0, "helpfulness"] = 7
    with pytest.raises(ValueError, match="not in the codebook"):
        redcap.write(data, tmp_path)


def test_an_unused_long_name_is_cut_to_redcaps_limit(tmp_path: Path) -> None:
    data = export_data()
    long = "x" * 150
    data.tables["entries"] = data.tables["entries"].rename(columns={LONG_NAME: long})
    data.codebook = [
        Variable(v.table, long, v.label, v.type, unit=v.unit) if v.name == LONG_NAME else v
        for v in data.codebook
    ]
    project = redcap.plan(data)
    assert "x" * 100 in [f.name for f in project.fields]
