"""REDCap: a data dictionary, a records file REDCap imports as it is, and the repeating-instrument setup.

One REDCap record per participant (record_id = the study's pseudonym). The participants table is the record's
own form; every other table with a participant column is a repeating instrument, its rows instances
1, 2, ... of the record (redcap_repeat_instrument / redcap_repeat_instance); `repeating_instruments.csv` is the
file REDCap's "repeating instruments" upload takes to switch them on. Tables without a participant (therapists)
are not records and are left out; `README.txt` says so.

Field names are lower case, unique across the project, at most 100 characters (REDCap's rules); a clash takes
the form's name as a prefix. Coded columns become radio fields with choices "code, label | ..." (codes REDCap
cannot hold are numbered 1, 2, ... and the field note gives the original codes); booleans are yesno; dates
and datetimes are text validated as date_ymd / datetime_seconds_ymd. Units, notes, and the source / kind /
timing of compliance figures are in the field note.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emotipal.measures.redcap import RECORD_ID, REDCAP_HEADER
from emotipal.research.export.data import ExportData, Variable
from emotipal.research.export.formats.columns import participant_column, safe_names, table_variables, typed

PARTICIPANTS = "participants"
MAX_NAME = 100
_CODE = re.compile(r"^(-?\d+|[A-Za-z0-9_]+)$")
REPEAT_COLUMNS = ("redcap_repeat_instrument", "redcap_repeat_instance")
VALIDATIONS = {
    "integer": "integer",
    "number": "number",
    "date": "date_ymd",
    "datetime": "datetime_seconds_ymd",
}
# Names REDCap keeps for itself, and JavaScript's reserved words (REDCap runs branching logic as JavaScript).
RESERVED = frozenset(
    {"record", "event_name", "redcap_event_name", "redcap_data_access_group", "redcap_survey_identifier"}
    | set(REPEAT_COLUMNS)
    | set(
        [
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "default",
            "delete",
            "do",
            "else",
            "enum",
            "export",
            "extends",
            "false",
            "finally",
            "for",
            "function",
            "if",
            "import",
            "in",
            "instanceof",
            "let",
            "new",
            "null",
            "return",
            "super",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "typeof",
            "var",
            "void",
            "while",
            "with",
            "yield",
        ]
    )
)


@dataclass
class Field:
    variable: Variable
    name: str
    form: str
    codes: dict[str, str] = field(default_factory=dict)  # original code -> code in REDCap

    def row(self) -> list[str]:
        v = self.variable
        cells = dict.fromkeys(REDCAP_HEADER, "")
        cells["Variable / Field Name"] = self.name
        cells["Form Name"] = self.form
        cells["Field Label"] = v.label
        notes = [v.unit, v.note]
        if v.source or v.kind or v.timing:
            notes.append(f"source {v.source or '-'}, kind {v.kind or '-'}, timing {v.timing or '-'}")
        if self.codes and any(code != new for code, new in self.codes.items()):
            notes.append("codes: " + "; ".join(f"{new} = {code}" for code, new in self.codes.items()))
        cells["Field Note"] = ". ".join(n for n in notes if n)
        if self.codes:
            cells["Field Type"] = "radio"
            cells["Choices, Calculations, OR Slider Labels"] = " | ".join(
                f"{self.codes[code]}, {_label(label)}" for code, label in v.values.items()
            )
        elif v.type == "boolean":
            cells["Field Type"] = "yesno"
        else:
            cells["Field Type"] = "text"
            cells["Text Validation Type OR Show Slider Number"] = VALIDATIONS.get(v.type, "")
        return [cells[name] for name in REDCAP_HEADER]


def _label(label: str) -> str:
    """REDCap separates choices with '|' and cannot hold a line break in a choice label."""
    return " ".join(label.replace("|", "/").split())


def _codes(variable: Variable) -> dict[str, str]:
    if not variable.values or variable.type == "boolean":
        return {}
    if all(_CODE.match(code) for code in variable.values):
        return {code: code for code in variable.values}
    return {code: str(number) for number, code in enumerate(variable.values, start=1)}


@dataclass
class Project:
    fields: list[Field]
    forms: dict[str, str]  # table -> form name
    repeating: list[str]  # tables whose rows are instances
    left_out: list[str]


def plan(data: ExportData) -> Project:
    taken = {RECORD_ID, *RESERVED}
    fields: list[Field] = []
    forms = safe_names(list(data.tables), max_length=MAX_NAME, lower=True)
    repeating, left_out = [], []
    ordered = sorted(data.tables, key=lambda t: t != PARTICIPANTS)  # the record's own form first
    for table in ordered:
        id_column = participant_column(data.tables[table])
        if id_column is None:
            left_out.append(table)
            continue
        if table != PARTICIPANTS:
            repeating.append(table)
        for variable in table_variables(data, table):
            if variable.name == id_column:
                continue
            name = safe_names([variable.name], max_length=MAX_NAME, lower=True)[variable.name]
            if name in taken:
                prefixed = f"{forms[table]}_{variable.name}"
                name = safe_names([prefixed], max_length=MAX_NAME, lower=True, reserved=frozenset(taken))[
                    prefixed
                ]
            taken.add(name)
            fields.append(Field(variable, name, forms[table], _codes(variable)))
    return Project(fields, {t: forms[t] for t in ordered if t not in left_out}, repeating, left_out)


def dictionary_csv(project: Project) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REDCAP_HEADER)
    first_form = next(iter(project.forms.values()), PARTICIPANTS)
    record = dict.fromkeys(REDCAP_HEADER, "")
    record.update({"Variable / Field Name": RECORD_ID, "Form Name": first_form, "Field Type": "text"})
    record["Field Label"] = "Participant (pseudonymous id)"
    writer.writerow([record[name] for name in REDCAP_HEADER])
    for f in project.fields:
        writer.writerow(f.row())
    return buffer.getvalue()


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _cell(value: object, f: Field) -> str:
    if _missing(value):
        return ""
    kind = f.variable.type
    if f.codes:
        if str(value) not in f.codes:
            raise ValueError(f"{f.variable.table}.{f.variable.name}: value {value!r} is not in the codebook")
        return f.codes[str(value)]
    if kind == "boolean":
        return "1" if value else "0"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "integer":
        return str(int(value))  # type: ignore[call-overload]
    return str(value)


def records_csv(data: ExportData, project: Project) -> str:
    names = [f.name for f in project.fields]
    header = [RECORD_ID, *(REPEAT_COLUMNS if project.repeating else ()), *names]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for table, form in project.forms.items():
        frame = typed(data.tables[table], table_variables(data, table))
        id_column = participant_column(frame)
        assert id_column is not None  # tables without one were left out by plan()
        own = [f for f in project.fields if f.form == form]
        instances: dict[str, int] = {}
        for row in frame.to_dict("records"):
            record_id = str(row[id_column])
            out = {RECORD_ID: record_id}
            if table in project.repeating:
                instances[record_id] = instances.get(record_id, 0) + 1
                out.update({REPEAT_COLUMNS[0]: form, REPEAT_COLUMNS[1]: str(instances[record_id])})
            for f in own:
                out[f.name] = _cell(row[f.variable.name], f)
            writer.writerow(out)
    return buffer.getvalue()


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    folder = Path(out_dir) / "redcap"
    folder.mkdir(parents=True, exist_ok=True)
    project = plan(data)
    files = {
        "data_dictionary.csv": dictionary_csv(project),
        "records.csv": records_csv(data, project),
        "repeating_instruments.csv": "form_name,custom_form_label\r\n"
        + "".join(f"{project.forms[t]},\r\n" for t in project.repeating),
        "README.txt": _readme(data, project),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _readme(data: ExportData, project: Project) -> str:
    lines = [
        f"REDCap export of {data.study.title} ({data.study.slug}).",
        "1. Create a project and upload data_dictionary.csv as its data dictionary.",
        "2. Enable repeating instruments by uploading repeating_instruments.csv.",
        "3. Import records.csv (one record per participant; repeated tables as instances).",
    ]
    if project.left_out:
        lines.append(
            "Not in REDCap (their rows belong to no participant; see the CSV export): "
            + ", ".join(project.left_out)
        )
    return "\n".join(lines) + "\n"
