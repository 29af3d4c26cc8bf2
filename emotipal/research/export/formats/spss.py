"""SPSS: one .sav file per table (pyreadstat), with variable labels, value labels for every coded column and
dates as SPSS dates; `variables.csv` beside them records renamed variables and recoded values."""

from __future__ import annotations

from pathlib import Path

import pyreadstat

from emotipal.research.export.data import ExportData
from emotipal.research.export.formats.labelled import NameRules, prepare, write_variables_csv

# SPSS: at most 64 bytes, a letter first, unique ignoring case, none of its reserved words.
RULES = NameRules(
    max_length=64,
    reserved=frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}),
    max_label_length=256,
)


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    folder = Path(out_dir) / "spss"
    folder.mkdir(parents=True, exist_ok=True)
    prepared = {name: prepare(data, name, RULES) for name in data.tables}
    written = []
    for name, labelled in prepared.items():
        path = folder / f"{name}.sav"
        pyreadstat.write_sav(
            labelled.frame,
            str(path),
            file_label=f"{data.study.title}: {name}"[:64],
            column_labels=labelled.column_labels,
            variable_value_labels=labelled.value_labels,
            variable_measure=labelled.measures,
            variable_format={name: "F8.0" for name in labelled.whole_numbers},
        )
        written.append(path)
    written.append(write_variables_csv(folder / "variables.csv", prepared))
    return written
