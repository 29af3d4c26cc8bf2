"""Instruments as a REDCap data dictionary (CSV): export and import. Pure Python, no Django.

A REDCap data dictionary is a CSV file with exactly the 18 columns of `REDCAP_HEADER`, one row per field.
Each REDCap "form" (instrument) becomes one EmotiPal instrument definition (see
emotipal.definitions.instruments), keyed by the form name.

Field types, EmotiPal -> REDCap (export) and back (import):

    choice        radio, choices "0, Not at all | 1, Several days | ..."   (import: radio, dropdown)
    multi_choice  checkbox
    scale         slider; slider labels "left | middle | right" from the anchors at min, (min + max) / 2 and
                  max; min and max in Text Validation Min / Max; "number" in the Show Slider Number column
                  (a slider without min / max is REDCap's 0-100)
    number        text with validation "number" and optional min / max (import: also integer and the
                  number_*dp / *_comma_decimal variants, reported as not enforced)
    short_text    text (import: text with any other validation, such as date_ymd or email, is reported as
                  not enforced)
    long_text     notes
    descriptive   descriptive
    (import only) yesno -> choice 1 Yes / 0 No; truefalse -> choice 1 True / 0 False

REDCap's calc, file (and signature) and sql fields, and text fields computed by @CALCTEXT / @CALCDATE, cannot
be represented in EmotiPal: the import leaves them out and says so in the report. Branching logic, matrix
groups, field notes, identifier flags, layout columns and other REDCap action tags are not kept either; the
field is imported and the report names what was dropped. Nothing is left out silently.

"Required Field?" is "y" when the item is required. A choice code that is an integer becomes an int option
value, any other code a string. The first field of a REDCap project is its record identifier: a first row named
`record_id` is skipped (and reported); `export_dictionary(..., record_id=True)` writes such a row so the file can
be uploaded as a whole project's dictionary.

EmotiPal-only information travels in the Field Annotation column as action-tag-like text, which REDCap keeps
as it is and ignores:

    @EMOTIPAL-REVERSE             the item is reverse-scored
    @EMOTIPAL-RISK                the item is a risk item
    @EMOTIPAL-LOINC=44260-8       the item's LOINC code
    @EMOTIPAL-ANCHORS=[[v, "l"]]  scale anchors that the three slider labels cannot hold, as [value, label] pairs
    @EMOTIPAL-EXTRA={json}        any other item property that the columns above do not reproduce exactly
    @EMOTIPAL-UNSET=["options"]   properties the columns suggest but the item does not have
    @EMOTIPAL-INSTRUMENT={json}   on the first item only: every instrument-level property except key and items
                                  (name, title, preamble, LOINC codes, direction, default options, scoring,
                                  subscales, bands, reliable_change, nhs), compact JSON

so that `import_dictionary(export_dictionary(d)).definitions == [d]`. A form without @EMOTIPAL-INSTRUMENT (a
file made in REDCap) becomes an instrument keyed by the form name (made lowercase, other characters turned into
_), named and titled by the form name, scored as the sum of its scored items, without severity bands.

Choice and slider labels cannot hold "|" or line breaks in REDCap: the export shows them with "/" and spaces
and keeps the exact labels in the annotation. An option value that is no REDCap choice code (an integer, or
letters, digits and _) cannot be exported: RedcapError.

Errors: a malformed file (not valid CSV, wrong header, a row with the wrong number of cells, an empty, invalid or duplicate
variable name, an unknown field type, bad choice syntax, a non-numeric or inverted min / max, a malformed
@EMOTIPAL tag, a form whose fields are not together) raises `RedcapError`, naming each problem's line and
column; nothing is imported. "line N" is the row number a spreadsheet shows (the header is line 1); when a
quoted cell spans several text lines, the text line where the row starts is given as well.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from emotipal.definitions.instruments import DefinitionError, check_definition, is_scored

REDCAP_HEADER: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

# The same 18 columns as REDCap's API ("Export Metadata", format csv) names them; accepted on import.
REDCAP_API_HEADER: tuple[str, ...] = (
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
)

(
    VARIABLE,
    FORM,
    SECTION,
    FIELD_TYPE,
    LABEL,
    CHOICES,
    NOTE,
    VALIDATION,
    VALIDATION_MIN,
    VALIDATION_MAX,
    IDENTIFIER,
    BRANCHING,
    REQUIRED,
    ALIGNMENT,
    QUESTION_NUMBER,
    MATRIX_GROUP,
    MATRIX_RANKING,
    ANNOTATION,
) = REDCAP_HEADER

_INDEX = {name: i for i, name in enumerate(REDCAP_HEADER)}

REDCAP_FIELD_TYPES = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "slider",
    "descriptive",
    "sql",
)
_UNSUPPORTED = {"calc": "a calculated field", "file": "a file upload", "sql": "a dynamic SQL field"}
_NUMBER_VALIDATIONS = (
    "number",
    "integer",
    "number_1dp",
    "number_2dp",
    "number_3dp",
    "number_4dp",
    "number_comma_decimal",
    "number_1dp_comma_decimal",
    "number_2dp_comma_decimal",
    "number_3dp_comma_decimal",
    "number_4dp_comma_decimal",
)
_YESNO = [{"value": 1, "label": "Yes"}, {"value": 0, "label": "No"}]
_TRUEFALSE = [{"value": 1, "label": "True"}, {"value": 0, "label": "False"}]

VARIABLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VARIABLE_MAX_LENGTH = 100
RECORD_ID = "record_id"
_CODE_RE = re.compile(r"^(-?\d+(\.\d+)?|[A-Za-z0-9_]+)$")
_INT_RE = re.compile(r"^-?\d+$")
_TAG_RE = re.compile(r"@EMOTIPAL-([A-Za-z]+)")
_LOINC_VALUE_RE = re.compile(r"=(\S+)")
_CALC_TAG_RE = re.compile(r"@CALC(TEXT|DATE)\b", re.IGNORECASE)
_JSON_TAGS = ("INSTRUMENT", "EXTRA", "UNSET", "ANCHORS")
_YES = ("y", "yes", "1")
_NO = ("", "n", "no", "0")


class RedcapError(ValueError):
    """A REDCap data dictionary that cannot be imported (or a definition that cannot be exported).

    `problems` lists every problem found, each naming its line and column."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            shown = self.problems[:50]
            more = len(self.problems) - len(shown)
            message = f"{len(self.problems)} problems in the REDCap data dictionary:\n" + "\n".join(shown)
            if more:
                message += f"\n... and {more} more"
        super().__init__(message)


@dataclass
class ImportResult:
    definitions: list[dict[str, Any]]
    report: list[str] = field(default_factory=list)


class _Problem(Exception):
    """One problem with one row; collected into a RedcapError."""


# --- export -------------------------------------------------------------------------------------------------


def export_dictionary(definition: dict[str, Any], *, record_id: bool = False) -> str:
    """The instrument as REDCap data dictionary CSV text: the header, then one row per item.

    With record_id=True a first row `record_id` (REDCap's record identifier) is written, as REDCap wants when the
    file is uploaded as a whole project's data dictionary; the import skips it."""
    check_definition(definition)
    key = str(definition["key"])
    meta = {k: v for k, v in definition.items() if k not in ("key", "items")}
    default_options = definition.get("options") or None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; also quotes cells holding "\r"
    writer.writerow(REDCAP_HEADER)
    if record_id:
        if any(item["id"] == RECORD_ID for item in definition["items"]):
            raise RedcapError(f"an item is called {RECORD_ID!r}, the name of REDCap's record identifier")
        writer.writerow(_cells({VARIABLE: RECORD_ID, FORM: key, FIELD_TYPE: "text", LABEL: "Record ID"}))
    for position, item in enumerate(definition["items"]):
        try:
            cells = _export_item(key, item, default_options, meta if position == 0 else None)
        except _Problem as exc:
            raise RedcapError(f"item {item['id']!r} cannot be written as REDCap: {exc}") from None
        writer.writerow(cells)
    return buffer.getvalue()


def _cells(values: dict[str, str]) -> list[str]:
    return [values.get(name, "") for name in REDCAP_HEADER]


def _export_item(
    key: str, item: dict[str, Any], default_options: list[dict[str, Any]] | None, meta: dict[str, Any] | None
) -> list[str]:
    item_type = item["type"]
    values = {
        VARIABLE: item["id"],
        FORM: key,
        SECTION: str(item.get("section") or ""),
        LABEL: str(item["text"]),
    }
    tags = _Tags()
    if item_type in ("choice", "multi_choice"):
        values[FIELD_TYPE] = "radio" if item_type == "choice" else "checkbox"
        values[CHOICES] = _format_choices(item.get("options") or default_options or [])
    elif item_type == "scale":
        lo, hi = int(item["min"]), int(item["max"])
        values[FIELD_TYPE] = "slider"
        values[VALIDATION] = "number"
        values[VALIDATION_MIN], values[VALIDATION_MAX] = str(lo), str(hi)
        anchors = item.get("anchors")
        labels = _slider_labels(lo, hi, anchors if isinstance(anchors, dict) else {})
        values[CHOICES] = " | ".join(labels)
        if anchors is not None and not _same(_anchors_from_labels(lo, hi, labels, []), anchors):
            if not isinstance(anchors, dict):
                raise _Problem("anchors must map values to labels")
            tags.anchors = [[value, label] for value, label in anchors.items()]
    elif item_type == "number":
        values[FIELD_TYPE] = "text"
        values[VALIDATION] = "number"
        for column, bound in ((VALIDATION_MIN, "min"), (VALIDATION_MAX, "max")):
            if _is_number(item.get(bound)):
                values[column] = str(item[bound])
    else:
        values[FIELD_TYPE] = {"short_text": "text", "long_text": "notes", "descriptive": "descriptive"}[
            item_type
        ]
    if item_type != "descriptive" and item.get("required", item_type in ("choice", "scale")) is True:
        values[REQUIRED] = "y"
    tags.reverse = item.get("reverse") is True
    tags.risk = item.get("risk") is True
    loinc = item.get("loinc")
    if isinstance(loinc, str) and re.fullmatch(r"\S+", loinc):
        tags.loinc = loinc
    # Whatever the columns and tags above do not reproduce exactly travels as JSON in @EMOTIPAL-EXTRA.
    values[ANNOTATION] = tags.text()
    row = _Row(line=0, text_line=0, cells=_cells(values))
    rebuilt = _build_item(row, tags, default_options, [])
    if rebuilt is None:
        raise _Problem("the REDCap row does not reproduce the item (internal error)")
    extra = {k: v for k, v in item.items() if k not in rebuilt or not _same(rebuilt[k], v)}
    tags.extra = extra or None
    tags.unset = [k for k in rebuilt if k not in item] or None
    tags.instrument = meta
    values[ANNOTATION] = tags.text()
    return _cells(values)


def _format_choices(options: list[dict[str, Any]]) -> str:
    parts = []
    for option in options:
        value, label = option.get("value"), str(option.get("label", ""))
        code = str(value)
        if isinstance(value, bool) or not isinstance(value, int | str) or not _CODE_RE.match(code):
            raise _Problem(
                f"option value {value!r} is not a REDCap choice code (an integer, or letters, digits and _)"
            )
        parts.append(f"{code}, {_redcap_label(label)}")
    return " | ".join(parts)


def _redcap_label(label: str) -> str:
    """A choice or slider label as REDCap can hold it: no '|' (the separator) and no line break. The import
    then differs from the item, so the exact options or anchors travel in @EMOTIPAL-EXTRA / -ANCHORS."""
    return " ".join(label.replace("|", "/").splitlines()).strip()


def _as_redcap(options: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if options is None:
        return None
    return [{**option, "label": _redcap_label(str(option.get("label", "")))} for option in options]


def _anchor(anchors: dict[Any, Any], value: int) -> str:
    label = anchors.get(value, anchors.get(str(value), ""))
    return str(label) if label is not None else ""


def _slider_labels(lo: int, hi: int, anchors: dict[Any, Any]) -> list[str]:
    left, right = _anchor(anchors, lo), _anchor(anchors, hi)
    middle = _anchor(anchors, (lo + hi) // 2) if (lo + hi) % 2 == 0 else ""
    left, middle, right = (_redcap_label(label) for label in (left, middle, right))
    if middle:
        return [left, middle, right]
    if right:
        return [left, right]
    return [left] if left else []


def _anchors_from_labels(lo: int, hi: int, labels: list[str], notes: list[str]) -> dict[int, str] | None:
    """REDCap's reading of slider labels: one label is the left one, two are left and right, three are left,
    middle and right."""
    left = labels[0] if labels else ""
    middle = labels[1] if len(labels) == 3 else ""
    right = labels[-1] if len(labels) >= 2 else ""
    anchors: dict[int, str] = {}
    if left:
        anchors[lo] = left
    if middle:
        if (lo + hi) % 2 == 0:
            anchors[(lo + hi) // 2] = middle
        else:
            notes.append(f"middle slider label {middle!r} dropped: the scale {lo}-{hi} has no whole midpoint")
    if right:
        anchors[hi] = right
    return anchors or None


# --- annotation tags ----------------------------------------------------------------------------------------


@dataclass
class _Tags:
    reverse: bool = False
    risk: bool = False
    loinc: str | None = None
    anchors: list[list[Any]] | None = None
    extra: dict[str, Any] | None = None
    unset: list[str] | None = None
    instrument: dict[str, Any] | None = None
    unknown: list[str] = field(default_factory=list)
    rest: str = ""

    def text(self) -> str:
        parts = []
        if self.reverse:
            parts.append("@EMOTIPAL-REVERSE")
        if self.risk:
            parts.append("@EMOTIPAL-RISK")
        if self.loinc:
            parts.append(f"@EMOTIPAL-LOINC={self.loinc}")
        if self.anchors is not None:
            parts.append(f"@EMOTIPAL-ANCHORS={_json(self.anchors)}")
        if self.extra:
            parts.append(f"@EMOTIPAL-EXTRA={_json(self.extra)}")
        if self.unset:
            parts.append(f"@EMOTIPAL-UNSET={_json(self.unset)}")
        if self.instrument is not None:
            parts.append(f"@EMOTIPAL-INSTRUMENT={_json(self.instrument)}")
        return " ".join(parts)


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _Problem(f"cannot be stored as JSON in the Field Annotation: {exc}") from None


def _parse_tags(row: _Row) -> _Tags:
    text = row.get(ANNOTATION)
    tags = _Tags()
    seen: set[str] = set()
    rest: list[str] = []
    decoder = json.JSONDecoder()
    position = 0
    while True:
        match = _TAG_RE.search(text, position)
        if match is None:
            rest.append(text[position:])
            break
        rest.append(text[position : match.start()])
        name, end = match.group(1).upper(), match.end()
        tag = f"@EMOTIPAL-{name}"
        if name in seen:
            raise _Problem(f"{row.where(ANNOTATION)}: {tag} appears twice")
        seen.add(name)
        if name in _JSON_TAGS:
            if not text.startswith("=", end):
                raise _Problem(f"{row.where(ANNOTATION)}: {tag} needs '=' and JSON")
            try:
                value, end = decoder.raw_decode(text, end + 1)
            except json.JSONDecodeError as exc:
                raise _Problem(f"{row.where(ANNOTATION)}: {tag} holds invalid JSON ({exc.msg})") from None
            if name == "ANCHORS":
                if not isinstance(value, list) or not all(
                    isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int | float | str)
                    for pair in value
                ):
                    raise _Problem(f"{row.where(ANNOTATION)}: {tag} must be a list of [value, label] pairs")
                tags.anchors = value
            elif name == "UNSET":
                if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
                    raise _Problem(f"{row.where(ANNOTATION)}: {tag} must be a list of property names")
                if {"id", "type", "text"} & set(value):
                    raise _Problem(
                        f"{row.where(ANNOTATION)}: {tag} may not remove the item's id, type or text"
                    )
                tags.unset = value
            elif not isinstance(value, dict):
                raise _Problem(f"{row.where(ANNOTATION)}: {tag} must be a JSON object")
            elif name == "EXTRA":
                if {"id", "type"} & set(value):
                    raise _Problem(f"{row.where(ANNOTATION)}: {tag} may not change the item's id or type")
                tags.extra = value
            else:
                if {"key", "items"} & set(value):
                    raise _Problem(f"{row.where(ANNOTATION)}: {tag} may not hold 'key' or 'items'")
                tags.instrument = value
        elif name == "LOINC":
            value_match = _LOINC_VALUE_RE.match(text, end)
            if value_match is None:
                raise _Problem(f"{row.where(ANNOTATION)}: {tag} needs a code, as in {tag}=44260-8")
            tags.loinc, end = value_match.group(1), value_match.end()
        elif name == "REVERSE":
            tags.reverse = True
        elif name == "RISK":
            tags.risk = True
        else:
            tags.unknown.append(tag)
        position = end
    tags.rest = " ".join("".join(rest).split())
    return tags


# --- import -------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int  # row number as a spreadsheet shows it, header = 1
    text_line: int  # text line where the row starts
    cells: list[str]

    def get(self, column: str) -> str:
        return self.cells[_INDEX[column]].strip()

    @property
    def name(self) -> str:
        return self.get(VARIABLE)

    def at(self) -> str:
        where = f"line {self.line}"
        if self.text_line != self.line:
            where += f" (text line {self.text_line})"
        return where

    def where(self, column: str) -> str:
        place = f"column {_letter(_INDEX[column])} ({column})"
        return f"{self.at()}, {place}" if self.line else place  # line 0: a row being exported

    def at_field(self) -> str:
        return f"{self.at()}, field {self.name!r}"


def _letter(index: int) -> str:
    """The spreadsheet letter of a column."""
    return chr(ord("A") + index) if index < 26 else f"#{index + 1}"


def import_dictionary(text: str, *, form: str | None = None) -> ImportResult:
    """Instrument definitions from REDCap data dictionary CSV text: one per form (or only `form`, by its REDCap
    form name or its EmotiPal key), with a report of everything that was left out or changed.

    Raises RedcapError, naming line and column, for a malformed file; then nothing is imported."""
    rows = _read_rows(text)
    problems: list[str] = []
    forms: dict[str, list[_Row]] = {}
    first_line: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    previous_form: str | None = None
    for row in rows:
        try:
            _check_row(row, seen_names)
        except _Problem as exc:
            problems.append(str(exc))
        form_name = row.get(FORM)
        if not form_name:
            continue
        if form_name in forms and form_name != previous_form:
            problems.append(
                f"{row.where(FORM)}: the fields of form {form_name!r} must be together (it also has fields "
                f"up to line {forms[form_name][-1].line}, before form {previous_form!r})"
            )
        forms.setdefault(form_name, []).append(row)
        first_line.setdefault(form_name, row.line)
        previous_form = form_name
    if problems:
        raise RedcapError(problems)
    if not forms:
        raise RedcapError("line 1: the file has REDCap's header but no fields")

    keys = {name: _form_key(name) for name in forms}
    if form is not None:
        chosen = [name for name in forms if form in (name, keys[name])]
        if not chosen:
            raise RedcapError(f"there is no form {form!r} in the file (its forms: {', '.join(forms)})")
    else:
        chosen = list(forms)
    by_key: dict[str, str] = {}
    for name in chosen:
        if keys[name] in by_key:
            raise RedcapError(
                f"line {first_line[name]}, column B ({FORM}): forms {by_key[keys[name]]!r} and {name!r} "
                f"both become instrument key {keys[name]!r}"
            )
        by_key[keys[name]] = name

    definitions: list[dict[str, Any]] = []
    report: list[str] = []
    first_row = rows[0]
    for name in chosen:
        try:
            definition = _build_definition(name, keys[name], forms[name], first_row, report)
        except _Problem as exc:
            problems.append(str(exc))
            continue
        if definition is None:
            if form is not None:
                problems.append(
                    f"line {first_line[name]}, column B ({FORM}): form {name!r} has no field EmotiPal can represent"
                )
            continue
        try:
            check_definition(definition)
        except DefinitionError as exc:
            problems.append(
                f"line {first_line[name]}, column B ({FORM}): form {name!r} does not make a valid EmotiPal "
                f"instrument: {exc}"
            )
            continue
        definitions.append(definition)
    if problems:
        raise RedcapError(problems)
    return ImportResult(definitions=definitions, report=report)


def _read_rows(text: str) -> list[_Row]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_Row] = []
    line = end_line = 0
    header: list[str] | None = None
    try:
        for cells in reader:
            line += 1
            start_line, end_line = end_line + 1, reader.line_num
            if header is None:
                header = cells
                _check_header(cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            row = _Row(line=line, text_line=start_line, cells=cells)
            if len(cells) < len(REDCAP_HEADER):
                raise RedcapError(
                    f"{row.at()}: {len(cells)} cells where REDCap has {len(REDCAP_HEADER)} columns "
                    f"(column {_letter(len(cells))} ({REDCAP_HEADER[len(cells)]}) and after are missing)"
                )
            for index in range(len(REDCAP_HEADER), len(cells)):
                if cells[index].strip():
                    raise RedcapError(
                        f"{row.at()}, column {_letter(index)}: a value beyond REDCap's "
                        f"{len(REDCAP_HEADER)} columns ({cells[index].strip()!r}); is a comma in a cell "
                        "not quoted?"
                    )
            row.cells = cells[: len(REDCAP_HEADER)]
            rows.append(row)
        if header is None:
            raise RedcapError("line 1: the file is empty; expected REDCap's data dictionary header")
    except csv.Error as exc:
        where = _Row(line=line + 1, text_line=end_line + 1, cells=[]).at()
        raise RedcapError(f"{where}: not valid CSV ({exc}); is a quote in a cell not doubled?") from None
    return rows


def _check_header(cells: list[str]) -> None:
    header = [cell.strip() for cell in cells]
    while header and not header[-1] and len(header) > len(REDCAP_HEADER):
        header.pop()
    if tuple(header) in (REDCAP_HEADER, REDCAP_API_HEADER):
        return
    if len(header) == 1 and ";" in header[0]:
        raise RedcapError(
            "line 1: the header is separated by ';'; a REDCap data dictionary is separated by commas"
        )
    missing = [name for name in REDCAP_HEADER if name not in header]
    unexpected = [name for name in header if name not in REDCAP_HEADER]
    if not missing and not unexpected:
        for index, (found, expected) in enumerate(zip(header, REDCAP_HEADER, strict=False)):
            if found != expected:
                raise RedcapError(
                    f"line 1, column {_letter(index)}: expected {expected!r} there, found {found!r} "
                    "(REDCap's columns must come in REDCap's order)"
                )
        raise RedcapError(f"line 1: expected REDCap's {len(REDCAP_HEADER)} columns, found {len(header)}")
    parts = ["line 1: not REDCap's data dictionary header"]
    if missing:
        parts.append("missing column(s) " + ", ".join(repr(name) for name in missing))
    if unexpected:
        positions = [f"{_letter(header.index(name))} {name!r}" for name in unexpected]
        parts.append("unexpected column(s) " + ", ".join(positions))
    message = "; ".join(parts)
    if CHOICES in missing and "Choices" in header:
        message += f" (the column name {CHOICES!r} holds commas, so it must be quoted)"
    raise RedcapError(message)


def _check_row(row: _Row, seen_names: dict[str, int]) -> None:
    """File-level rules for every row, whatever its form or type."""
    name = row.name
    if not name:
        raise _Problem(f"{row.where(VARIABLE)}: the variable name is empty")
    if not VARIABLE_RE.match(name):
        raise _Problem(
            f"{row.where(VARIABLE)}: {name!r} is not a valid REDCap variable name (lowercase letters, digits "
            "and _, starting with a letter)"
        )
    if len(name) > VARIABLE_MAX_LENGTH:
        raise _Problem(f"{row.where(VARIABLE)}: {name!r} is longer than {VARIABLE_MAX_LENGTH} characters")
    if name in seen_names:
        raise _Problem(
            f"{row.where(VARIABLE)}: duplicate variable name {name!r} (first on line {seen_names[name]})"
        )
    seen_names[name] = row.line
    if not row.get(FORM):
        raise _Problem(f"{row.where(FORM)}: the form name is empty")
    if not _form_key(row.get(FORM)):
        raise _Problem(f"{row.where(FORM)}: form name {row.get(FORM)!r} holds no letter or digit")
    field_type = row.get(FIELD_TYPE).lower()
    if field_type not in REDCAP_FIELD_TYPES:
        shown = repr(row.get(FIELD_TYPE)) if row.get(FIELD_TYPE) else "empty"
        raise _Problem(
            f"{row.where(FIELD_TYPE)}: unknown field type {shown} (REDCap's are {', '.join(REDCAP_FIELD_TYPES)})"
        )
    for column in (REQUIRED, IDENTIFIER, MATRIX_RANKING):
        _flag(row, column)
    _parse_tags(row)
    if field_type in ("radio", "dropdown", "checkbox"):
        _parse_choices(row)
    elif field_type == "slider":
        _slider_range(row)
    elif field_type == "text" and row.get(VALIDATION).lower() in _NUMBER_VALIDATIONS:
        _number_range(row)


def _form_key(form_name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", form_name.strip().lower())).strip("_")


def _flag(row: _Row, column: str) -> bool:
    value = row.get(column).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise _Problem(f"{row.where(column)}: {row.get(column)!r} should be 'y' or empty")


def _parse_choices(row: _Row) -> list[dict[str, Any]]:
    text = row.get(CHOICES)
    field_type = row.get(FIELD_TYPE).lower()
    if not text:
        raise _Problem(f"{row.where(CHOICES)}: a {field_type} field needs choices, as in '1, Yes | 0, No'")
    options: list[dict[str, Any]] = []
    codes: set[str] = set()
    pieces = [piece.strip() for piece in re.split(r"\||\r\n|\n|\r", text)]
    for number, piece in enumerate((piece for piece in pieces if piece), start=1):
        code, comma, label = piece.partition(",")
        code, label = code.strip(), label.strip()
        if not comma:
            raise _Problem(
                f"{row.where(CHOICES)}: choice {number} ({piece!r}) has no comma; write each choice as "
                "'code, label', separated by '|'"
            )
        if not code or not label:
            raise _Problem(f"{row.where(CHOICES)}: choice {number} ({piece!r}) needs both a code and a label")
        if not _CODE_RE.match(code):
            raise _Problem(
                f"{row.where(CHOICES)}: choice {number} has code {code!r}; a code is a number, or letters, "
                "digits and _"
            )
        if code in codes:
            raise _Problem(f"{row.where(CHOICES)}: choice code {code!r} appears twice")
        codes.add(code)
        value: int | str = int(code) if _INT_RE.match(code) and str(int(code)) == code else code
        options.append({"value": value, "label": label})
    if not options:
        raise _Problem(f"{row.where(CHOICES)}: a {field_type} field needs choices, as in '1, Yes | 0, No'")
    return options


def _parse_number(row: _Row, column: str, *, integer: bool) -> int | float | None:
    text = row.get(column)
    if not text:
        return None
    if "comma_decimal" in row.get(VALIDATION).lower():
        text = text.replace(",", ".")
    try:
        value: int | float = int(text) if _INT_RE.match(text) else float(text)
    except ValueError:
        value = math.nan
    if isinstance(value, float) and (integer or not math.isfinite(value)):
        kind = "a whole number" if integer else "a number"
        raise _Problem(f"{row.where(column)}: {row.get(column)!r} is not {kind}")
    return value


def _slider_range(row: _Row) -> tuple[int, int]:
    lo = _parse_number(row, VALIDATION_MIN, integer=True)
    hi = _parse_number(row, VALIDATION_MAX, integer=True)
    lo = 0 if lo is None else int(lo)
    hi = 100 if hi is None else int(hi)
    if lo >= hi:
        raise _Problem(f"{row.where(VALIDATION_MAX)}: the slider's max ({hi}) must be above its min ({lo})")
    return lo, hi


def _number_range(row: _Row) -> tuple[int | float | None, int | float | None]:
    lo = _parse_number(row, VALIDATION_MIN, integer=False)
    hi = _parse_number(row, VALIDATION_MAX, integer=False)
    if lo is not None and hi is not None and lo > hi:
        raise _Problem(f"{row.where(VALIDATION_MAX)}: the max ({hi}) is below the min ({lo})")
    return lo, hi


def _build_definition(
    form_name: str, key: str, rows: list[_Row], first_row: _Row, report: list[str]
) -> dict[str, Any] | None:
    tagged = [(row, _parse_tags(row)) for row in rows]
    instruments = [(row, tags) for row, tags in tagged if tags.instrument is not None]
    if len(instruments) > 1:
        row = instruments[1][0]
        raise _Problem(
            f"{row.where(ANNOTATION)}: a second @EMOTIPAL-INSTRUMENT in form {form_name!r} "
            f"(the first is on line {instruments[0][0].line})"
        )
    meta = dict(instruments[0][1].instrument or {}) if instruments else None
    default_options = (meta or {}).get("options") or None
    items: list[dict[str, Any]] = []
    head: list[str] = []  # about the whole form, reported before its fields
    lines: list[str] = []
    for row, tags in tagged:
        if row is first_row and row.name == RECORD_ID and row.get(FIELD_TYPE).lower() == "text":
            lines.append(f"{row.at_field()}: REDCap's record identifier, not a question; left out")
            continue
        notes: list[str] = []
        item = _build_item(row, tags, default_options, notes)
        lines.extend(f"{row.at_field()}: {note}" for note in notes)
        if item is None:
            continue
        if row is first_row and row.get(FIELD_TYPE).lower() == "text" and not row.get(ANNOTATION):
            lines.append(
                f"{row.at_field()}: the first field of a REDCap project is its record identifier; imported as a "
                "question, delete it if it is not one"
            )
        items.append(item)
    where = f"line {rows[0].line}: form {form_name!r}"
    definition: dict[str, Any] | None
    if not items:
        head.append(f"{where} has no field EmotiPal can represent; left out")
        definition = None
    elif meta is None:
        definition = {
            "key": key,
            "name": form_name,
            "title": form_name,
            "scoring": {"method": "sum"},
            "items": items,
        }
        scored = [item["id"] for item in items if is_scored(definition, item)]
        total = f"scored as the sum of {', '.join(scored)} (check this)" if scored else "no scored items"
        head.append(
            f"{where} has no @EMOTIPAL-INSTRUMENT annotation (not made by EmotiPal): named {form_name!r}, "
            f"{total}, no severity bands"
        )
    else:
        definition = {"key": key, **meta, "items": items}
    if key != form_name:
        head.append(f"{where} becomes instrument key {key!r}")
    report.extend(head + lines)
    return definition


def _build_item(
    row: _Row, tags: _Tags, default_options: list[dict[str, Any]] | None, notes: list[str]
) -> dict[str, Any] | None:
    """The EmotiPal item for one row, or None (with a note) when its type cannot be represented."""
    field_type = row.get(FIELD_TYPE).lower()
    validation = row.get(VALIDATION).lower()
    if field_type in _UNSUPPORTED:
        what = (
            "a signature" if field_type == "file" and validation == "signature" else _UNSUPPORTED[field_type]
        )
        notes.append(f"type {field_type!r} ({what}) cannot be represented in EmotiPal; left out")
        return None
    if field_type == "text" and _CALC_TAG_RE.search(row.get(ANNOTATION)):
        notes.append(
            "a text field calculated by @CALCTEXT / @CALCDATE cannot be represented in EmotiPal; left out"
        )
        return None
    label = row.get(LABEL)
    if not label:
        raise _Problem(f"{row.where(LABEL)}: the field label is empty; EmotiPal needs the question's wording")
    item: dict[str, Any] = {"id": row.name, "type": "", "text": label}
    if row.get(SECTION):
        item["section"] = row.get(SECTION)
    unused_choices = True
    if field_type in ("radio", "dropdown", "checkbox", "yesno", "truefalse"):
        item["type"] = "multi_choice" if field_type == "checkbox" else "choice"
        if field_type == "yesno":
            options = _YESNO
        elif field_type == "truefalse":
            options = _TRUEFALSE
        else:
            options = _parse_choices(row)
            unused_choices = False
            if len(options) < 2:
                notes.append(
                    f"a {field_type} field with a single choice cannot be represented in EmotiPal; left out"
                )
                return None
        if not _same(options, default_options) and not _same(options, _as_redcap(default_options)):
            item["options"] = [dict(option) for option in options]
    elif field_type == "slider":
        item["type"] = "scale"
        lo, hi = _slider_range(row)
        item["min"], item["max"] = lo, hi
        labels = [part.strip() for part in row.get(CHOICES).split("|", 2)] if row.get(CHOICES) else []
        unused_choices = False
        anchors = _anchors_from_labels(lo, hi, labels, [] if tags.anchors is not None else notes)
        if anchors is not None:
            item["anchors"] = anchors
    elif field_type == "text":
        if validation in _NUMBER_VALIDATIONS:
            item["type"] = "number"
            lo_number, hi_number = _number_range(row)
            if lo_number is not None:
                item["min"] = lo_number
            if hi_number is not None:
                item["max"] = hi_number
            if validation != "number":
                notes.append(f"text validation {validation!r} is not enforced; any number is accepted")
        else:
            item["type"] = "short_text"
            if validation:
                notes.append(f"text validation {validation!r} is not enforced; any text is accepted")
            bounds = [row.get(column) for column in (VALIDATION_MIN, VALIDATION_MAX) if row.get(column)]
            if bounds:
                notes.append(f"validation min / max {' / '.join(bounds)} dropped")
    elif field_type == "notes":
        item["type"] = "long_text"
    else:
        item["type"] = "descriptive"
    if unused_choices and row.get(CHOICES):
        notes.append(f"{CHOICES} {row.get(CHOICES)!r} not used for a {field_type} field; dropped")
    required = _flag(row, REQUIRED)
    if item["type"] == "descriptive":
        if required:
            notes.append("'required' means nothing for descriptive text; dropped")
    elif required != (item["type"] in ("choice", "scale")):
        item["required"] = required
    if tags.reverse:
        item["reverse"] = True
    if tags.risk:
        item["risk"] = True
    if tags.loinc:
        item["loinc"] = tags.loinc
    if tags.anchors is not None:
        item["anchors"] = {value: label for value, label in tags.anchors}
    if tags.extra:
        item.update(tags.extra)
    for key in tags.unset or []:
        item.pop(key, None)
    _note_dropped(row, tags, notes)
    return item


def _note_dropped(row: _Row, tags: _Tags, notes: list[str]) -> None:
    if row.get(BRANCHING):
        notes.append(f"branching logic {row.get(BRANCHING)!r} dropped; EmotiPal always shows the item")
    if row.get(MATRIX_GROUP):
        ranking = " (with matrix ranking)" if _flag(row, MATRIX_RANKING) else ""
        notes.append(f"matrix group {row.get(MATRIX_GROUP)!r}{ranking} dropped; the item stands on its own")
    elif row.get(MATRIX_RANKING):
        notes.append(f"matrix ranking {row.get(MATRIX_RANKING)!r} dropped")
    if row.get(NOTE):
        notes.append(f"field note {row.get(NOTE)!r} dropped")
    if _flag(row, IDENTIFIER):
        notes.append("REDCap's identifier flag dropped (EmotiPal protects all answers alike)")
    layout = [f"{column} {row.get(column)!r}" for column in (ALIGNMENT, QUESTION_NUMBER) if row.get(column)]
    if layout:
        notes.append(f"{', '.join(layout)} dropped")
    if row.get(FIELD_TYPE).lower() == "slider" and row.get(VALIDATION) not in ("", "number"):
        notes.append(f"{VALIDATION} {row.get(VALIDATION)!r} dropped")
    for tag in tags.unknown:
        notes.append(f"unknown tag {tag} ignored (made by a newer EmotiPal?)")
    if tags.rest:
        notes.append(f"field annotation {tags.rest!r} dropped (REDCap action tags are not supported)")


# --- helpers ------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True, and {1: x} from {"1": x}."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
