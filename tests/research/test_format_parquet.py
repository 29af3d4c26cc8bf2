"""Parquet export: one file per table whose schema carries the codebook, read back by pyarrow and DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emotipal.research.export.data import Variable
from emotipal.research.export.formats import parquet
from tests.research.export_fixture import FREE_TEXT_NOTE, LONG_NAME, RATING_LABELS, export_data


def test_one_file_per_table_with_the_values_and_types_of_the_table(tmp_path: Path) -> None:
    data = export_data()
    written = parquet.write(data, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}.parquet" for name in data.tables)
    entries = pq.read_table(tmp_path / "parquet" / "entries.parquet")
    schema = entries.schema
    assert schema.field("submitted_on").type == pa.date32()
    assert schema.field("submitted_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("helpfulness").type == pa.int64()
    assert schema.field("submitted").type == pa.bool_()
    frame = entries.to_pandas()
    assert frame["submitted_on"].tolist()[:2] == [dt.date(2025, 3, 6), dt.date(2025, 3, 9)]
    assert frame["submitted_on"].isna().tolist() == [False, False, False, False, True, False]
    assert frame["helpfulness"].tolist()[:4] == [4, 3, 0, 2] and pd.isna(frame["helpfulness"][4])
    assert frame[LONG_NAME].tolist()[0] == 12.5
    assert frame["free_text"].tolist()[2:] == ["", "", "", ""]


def test_the_codebook_round_trips_through_field_and_schema_metadata(tmp_path: Path) -> None:
    data = export_data()
    parquet.write(data, tmp_path)
    for name in data.tables:
        schema = pq.read_schema(tmp_path / "parquet" / f"{name}.parquet")
        stored = json.loads(schema.metadata[parquet.CODEBOOK_KEY])
        assert [Variable(**v) for v in stored] == data.variables(name)
        assert json.loads(schema.metadata[parquet.STUDY_KEY])["slug"] == "homework-study"
        for variable in data.variables(name):
            meta = schema.field(variable.name).metadata
            assert meta[b"label"].decode() == variable.label and meta[b"type"].decode() == variable.type
    entries = pq.read_schema(tmp_path / "parquet" / "entries.parquet")
    helpfulness = entries.field("helpfulness").metadata
    assert json.loads(helpfulness[b"values"]) == RATING_LABELS
    assert (helpfulness[b"source"], helpfulness[b"kind"], helpfulness[b"timing"]) == (
        b"client",
        b"likert",
        b"contemporaneous",
    )
    assert entries.field(LONG_NAME).metadata[b"unit"] == b"minutes"
    assert entries.field("free_text").metadata[b"note"].decode() == FREE_TEXT_NOTE
    assert b"unit" not in entries.field("free_text").metadata  # empty entries are left out


def test_duckdb_reads_the_rows_and_the_codebook(tmp_path: Path) -> None:
    data = export_data()
    parquet.write(data, tmp_path)
    path = str(tmp_path / "parquet" / "entries.parquet")
    connection = duckdb.connect()
    entries = connection.read_parquet(path)
    aggregate = entries.aggregate(f'count(*), sum("{LONG_NAME}"), min(submitted_on)').fetchall()
    assert aggregate == [(6, 58.75, dt.date(2025, 1, 22))]
    assert entries.filter("helpfulness is null").aggregate("count(*)").fetchall() == [(1,)]
    kv = dict(connection.execute("select key, value from parquet_kv_metadata(?)", [path]).fetchall())
    codebook = json.loads(kv[parquet.CODEBOOK_KEY])
    assert [v["name"] for v in codebook] == list(data.tables["entries"].columns)


def test_a_table_with_an_undocumented_column_is_refused(tmp_path: Path) -> None:
    data = export_data()
    data.tables["entries"]["email"] = "someone@example.org"
    with pytest.raises(ValueError, match="undocumented"):
        parquet.write(data, tmp_path)
