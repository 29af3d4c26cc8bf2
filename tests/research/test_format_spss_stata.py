"""SPSS and Stata exports: read back with pyreadstat, with their variable labels, value labels and dates."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pyreadstat
import pytest

from emotipal.research.export.data import Variable
from emotipal.research.export.formats import spss, stata
from emotipal.research.export.formats.columns import safe_names
from tests.research.export_fixture import LONG_NAME, RATING_LABELS, STATE_LABELS, export_data

Reader = Callable[..., Any]
FORMATS = [
    pytest.param(spss, "spss", "sav", pyreadstat.read_sav, 64, id="spss"),
    pytest.param(stata, "stata", "dta", pyreadstat.read_dta, 32, id="stata"),
]


def _variables(folder: Path) -> list[dict[str, str]]:
    with (folder / "variables.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("module", "folder", "ext", "read", "max_length"), FORMATS)
def test_labels_values_and_dates_survive(
    tmp_path: Path, module: ModuleType, folder: str, ext: str, read: Reader, max_length: int
) -> None:
    data = export_data()
    written = module.write(data, tmp_path)
    assert {p.name for p in written} == {f"{t}.{ext}" for t in data.tables} | {"variables.csv"}

    frame, meta = read(str(tmp_path / folder / f"entries.{ext}"))
    renamed = {row["variable"]: row["name_in_file"] for row in _variables(tmp_path / folder)}
    long_name = renamed[LONG_NAME]
    assert len(long_name) <= max_length and long_name.startswith("minutes_on_task")
    assert meta.column_names_to_labels[long_name] == "Time on task (minutes)"
    assert meta.column_names_to_labels["helpfulness"] == "How much the exercise helped (self-rating)"
    assert meta.variable_value_labels["helpfulness"] == {int(k): v for k, v in RATING_LABELS.items()}
    assert meta.variable_value_labels["submitted"] == {0: "No", 1: "Yes"}
    assert frame["helpfulness"].tolist()[:4] == [4, 3, 0, 2] and math.isnan(frame["helpfulness"][4])
    assert frame["submitted"].tolist() == [1, 1, 1, 1, 0, 1]
    assert frame["submitted_on"].tolist()[0] == dt.date(2025, 3, 6)
    assert frame["submitted_at"].tolist()[0] == dt.datetime(2025, 3, 6, 18, 30)
    assert frame[long_name].tolist()[3] == 20.25
    assert frame["free_text"].tolist()[:2] == [
        "Wrote it down after the argument, which helped.",
        "Calmer «today»",
    ]

    # A coded column of words becomes numbers labelled with the words' labels, recorded in variables.csv.
    people, meta = read(str(tmp_path / folder / f"participants.{ext}"))
    states = list(STATE_LABELS)
    assert meta.variable_value_labels["state"] == {i + 1: STATE_LABELS[s] for i, s in enumerate(states)}
    assert people["state"].tolist() == [1, 2, 3, 1]  # enrolled, withdrawn, completed, enrolled
    state_row = next(
        r for r in _variables(tmp_path / folder) if r["table"] == "participants" and r["variable"] == "state"
    )
    assert json.loads(state_row["recoded_values"]) == {str(i + 1): s for i, s in enumerate(states)}
    assert people["enrolled_on"].tolist()[:3] == [
        dt.date(2025, 3, 4),
        dt.date(2025, 2, 11),
        dt.date(2025, 1, 20),
    ]
    assert people["free_text_consent"].tolist()[:3] == [1, 0, 1] and math.isnan(
        people["free_text_consent"][3]
    )


def test_spss_marks_the_level_of_measurement(tmp_path: Path) -> None:
    spss.write(export_data(), tmp_path)
    _, meta = pyreadstat.read_sav(str(tmp_path / "spss" / "entries.sav"))
    assert meta.variable_measure["helpfulness"] == "ordinal"
    assert meta.variable_measure["submitted"] == "nominal"
    assert meta.variable_measure[safe_names([LONG_NAME], max_length=64)[LONG_NAME]] == "scale"
    assert meta.original_variable_types["helpfulness"] == "F8.0"


@pytest.mark.parametrize(
    ("names", "max_length", "expected"),
    [
        (["ok_name", "with space", "2nd", "ünïcode"], 32, ["ok_name", "with_space", "v_2nd", "unicode"]),
        (["to", "with"], 64, ["to_2", "with_2"]),  # SPSS reserved words
        (["Same", "same", "SAME"], 64, ["Same", "same_2", "SAME_3"]),  # SPSS ignores case
        (["a" * 40, "a" * 41], 32, ["a" * 32, "a" * 30 + "_2"]),
        (["(((", "___"], 32, ["v", "v_2"]),
    ],
)
def test_names_are_made_valid_and_unique(names: list[str], max_length: int, expected: list[str]) -> None:
    made = safe_names(names, max_length=max_length, reserved=spss.RULES.reserved)
    assert list(made.values()) == expected
    assert all(len(n) <= max_length and n[0].isalpha() for n in made.values())


def test_a_value_outside_the_codebook_is_refused(tmp_path: Path) -> None:
    data = export_data()
    data.tables["participants"].loc[0, "state"] = "invented"
    with pytest.raises(ValueError, match="not in the codebook"):
        stata.write(data, tmp_path)


def test_codes_that_are_not_whole_numbers_on_a_numeric_column_are_refused(tmp_path: Path) -> None:
    data = export_data()
    data.codebook = [
        Variable(v.table, v.name, v.label, v.type, values={"low": "Low"}) if v.name == "week" else v
        for v in data.codebook
    ]
    with pytest.raises(ValueError, match="whole numbers"):
        spss.write(data, tmp_path)


@pytest.mark.parametrize("writer", [spss, stata], ids=["spss", "stata"])
def test_pandas_missing_values_in_text_columns_are_missing_not_an_error(
    writer: ModuleType, tmp_path: Path
) -> None:
    # Live exports build some text columns as pandas' "string" dtype, whose missing value is pd.NA, not None.
    import pandas as pd

    data = export_data()
    participants = data.tables["participants"]
    participants["state"] = participants["state"].astype("string")
    participants.loc[1, "state"] = pd.NA
    paths = writer.write(data, tmp_path)
    target = next(p for p in paths if "participants" in p.name and p.suffix in {".sav", ".dta"})
    frame, _meta = (pyreadstat.read_sav if target.suffix == ".sav" else pyreadstat.read_dta)(str(target))
    state_column = next(c for c in frame.columns if c.lower().startswith("state"))
    assert math.isnan(frame[state_column][1]) and not math.isnan(frame[state_column][0])
