"""Parquet: one file per table (pyarrow), with the codebook inside the file.

Every column's field carries its codebook entry as field metadata (label, type, unit, values as JSON, source,
kind, timing, note; empty entries left out), and the schema carries the table's whole codebook and the study's
facts as JSON under "emotipal.codebook" and "emotipal.study", so a file read on its own still says what each
column means. Dates are Parquet dates, datetimes UTC timestamps, integers with gaps stay integers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from emotipal.research.export.data import ExportData, Variable
from emotipal.research.export.formats.columns import table_variables, typed

ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}
CODEBOOK_KEY = b"emotipal.codebook"
STUDY_KEY = b"emotipal.study"


def field_metadata(variable: Variable) -> dict[bytes, bytes]:
    entries = {
        "label": variable.label,
        "type": variable.type,
        "unit": variable.unit,
        "values": json.dumps(variable.values, ensure_ascii=False) if variable.values else "",
        "source": variable.source,
        "kind": variable.kind,
        "timing": variable.timing,
        "note": variable.note,
    }
    return {key.encode(): value.encode() for key, value in entries.items() if value}


def table_for(data: ExportData, name: str) -> pa.Table:
    variables = table_variables(data, name)
    frame = typed(data.tables[name], variables)
    arrays, fields = [], []
    for variable in variables:
        column = frame[variable.name]
        if variable.type == "date":
            column = column.dt.date
        elif variable.type == "datetime":
            column = column.dt.tz_localize("UTC")
        arrow_type = ARROW_TYPES[variable.type]
        arrays.append(pa.array(column, type=arrow_type, from_pandas=True))
        fields.append(pa.field(variable.name, arrow_type, nullable=True, metadata=field_metadata(variable)))
    schema = pa.schema(
        fields,
        metadata={
            CODEBOOK_KEY: json.dumps([dataclasses.asdict(v) for v in variables], ensure_ascii=False).encode(),
            STUDY_KEY: json.dumps(dataclasses.asdict(data.study), ensure_ascii=False).encode(),
        },
    )
    return pa.Table.from_arrays(arrays, schema=schema)


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    folder = Path(out_dir) / "parquet"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in data.tables:
        path = folder / f"{name}.parquet"
        pq.write_table(table_for(data, name), path)
        written.append(path)
    return written
