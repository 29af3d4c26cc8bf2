"""The Psych-DS rules (the errors of the specification's "Rules and Conventions") that apply to a dataset of
tables, as a checker: problems(root) lists every rule broken, [] for a valid dataset.

- dataset_description.json in the root: valid JSON, "@context" schema.org (or the fields' full schema.org
  names), "@type" (or "type") Dataset, and name, description and variableMeasured;
- variableMeasured: a list of strings or PropertyValue objects naming every column of every data file;
- a data/ folder with at least one data file; data files are .csv files under data/ named by keywords
  ("key-value" pairs joined by "_", keys a-z, values a-zA-Z0-9) with the suffix "_data";
- a data file is UTF-8 CSV with a header of non-empty, distinct names in its first row, every row as long as
  the header, and unique values in a row_id column if it has one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

DATA_FILE = re.compile(r"^([a-z]+-[a-zA-Z0-9]+_)+data\.csv$")
CONTEXTS = {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}
REQUIRED = ("name", "description", "variableMeasured")


def _field(meta: dict[str, Any], name: str, has_context: bool) -> Any:
    if has_context and name in meta:
        return meta[name]
    for context in CONTEXTS:
        full = context.rstrip("/") + "/" + name
        if full in meta:
            return meta[full]
    return None


def _description_problems(root: Path) -> tuple[list[str], set[str] | None]:
    path = root / "dataset_description.json"
    if not path.is_file():
        return ["dataset_description.json is missing from the dataset's root"], None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"dataset_description.json is not valid JSON: {exc}"], None
    if not isinstance(meta, dict):
        return ["dataset_description.json must hold a JSON object"], None
    problems = []
    has_context = meta.get("@context") in CONTEXTS
    if not has_context and not any(_field(meta, name, False) is not None for name in REQUIRED):
        problems.append("dataset_description.json: @context must be https://schema.org")
    if meta.get("@type", meta.get("type")) not in ("Dataset", "https://schema.org/Dataset"):
        problems.append("dataset_description.json: @type must be Dataset")
    for name in REQUIRED:
        value = _field(meta, name, has_context)
        if value in (None, "", []):
            problems.append(f"dataset_description.json: {name} is missing")
    measured = _field(meta, "variableMeasured", has_context)
    names: set[str] = set()
    if measured is not None:
        if not isinstance(measured, list):
            problems.append("dataset_description.json: variableMeasured must be a list")
            measured = []
        for index, item in enumerate(measured):
            if isinstance(item, str):
                names.add(item)
            elif isinstance(item, dict) and item.get("@type", item.get("type")) == "PropertyValue":
                if not isinstance(item.get("name"), str) or not item["name"]:
                    problems.append(f"variableMeasured[{index}]: a PropertyValue needs a name")
                else:
                    names.add(item["name"])
            else:
                problems.append(f"variableMeasured[{index}]: must be a string or a PropertyValue")
    return problems, names


def _data_file_problems(path: Path, where: str, measured: set[str] | None) -> list[str]:
    if not DATA_FILE.match(path.name):
        return [f"{where}: not a keyword file name ending in _data.csv"]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return [f"{where}: not UTF-8"]
    try:
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True))
    except csv.Error as exc:
        return [f"{where}: not valid CSV ({exc})"]
    if not rows:
        return [f"{where}: empty, without a header"]
    header, problems = rows[0], []
    if any(not name.strip() for name in header):
        problems.append(f"{where}: a column has no name")
    if len(set(header)) != len(header):
        problems.append(f"{where}: two columns share a name")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(f"{where}, line {number}: {len(row)} cells where the header has {len(header)}")
    if "row_id" in header:
        ids = [row[header.index("row_id")] for row in rows[1:] if len(row) == len(header)]
        if len(set(ids)) != len(ids):
            problems.append(f"{where}: row_id values are not unique")
    if measured is not None:
        missing = [name for name in header if name.strip() and name not in measured]
        if missing:
            problems.append(f"{where}: columns {missing} are not in variableMeasured")
    return problems


def problems(root: Path) -> list[str]:
    found, measured = _description_problems(root)
    data = root / "data"
    if not data.is_dir():
        return [*found, "the dataset has no data/ folder"]
    csvs = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix == ".csv")
    if not csvs:
        found.append("data/ holds no data file")
    for path in csvs:
        found.extend(_data_file_problems(path, str(path.relative_to(root)), measured))
    return found
