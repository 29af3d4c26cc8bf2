"""Stata: one .dta file per table (pyreadstat), with variable labels, value labels for every coded column and
dates as %td dates; `variables.csv` beside them records renamed variables and recoded values."""

from __future__ import annotations

from pathlib import Path

import pyreadstat

from emotipal.research.export.data import ExportData
from emotipal.research.export.formats.labelled import NameRules, prepare, write_variables_csv

# Stata: at most 32 characters, a letter first (we never start with _), none of its reserved words, and
# variable labels of at most 80 characters.
RULES = NameRules(
    max_length=32,
    reserved=frozenset(
        {
            "_all",
            "_b",
            "byte",
            "_coef",
            "_cons",
            "double",
            "float",
            "if",
            "in",
            "int",
            "long",
            "_n",
            "_pi",
            "_pred",
            "_rc",
            "_skip",
            "str",
            "strl",
            "using",
            "with",
        }
    ),
    max_label_length=80,
)


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    folder = Path(out_dir) / "stata"
    folder.mkdir(parents=True, exist_ok=True)
    prepared = {name: prepare(data, name, RULES) for name in data.tables}
    written = []
    for name, labelled in prepared.items():
        path = folder / f"{name}.dta"
        pyreadstat.write_dta(
            labelled.frame,
            str(path),
            file_label=f"{data.study.title}: {name}"[:80],
            column_labels=labelled.column_labels,
            variable_value_labels=labelled.value_labels,
            variable_format={name: "%8.0g" for name in labelled.whole_numbers},
        )
        written.append(path)
    written.append(write_variables_csv(folder / "variables.csv", prepared))
    return written
