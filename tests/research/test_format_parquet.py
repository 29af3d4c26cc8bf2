"""Parquet export: a Hive-partitioned folder (study=, table=) whose every part carries the codebook, read back by
pyarrow and DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from emotipal.research.export.data import Variable
from emotipal.research.export.formats import parquet
from tests.research.export_fixture import FREE_TEXT_NOTE, LONG_NAME, RATING_LABELS, export_data

STUDY = "homework-study"


def part(out: Path, table: str, number: int = 0) -> Path:
    return out / "parquet" / f"study={STUDY}" / f"table={table}" / f"part-{number:04d}.parquet"


def test_one_part_per_small_table_with_the_values_and_types_of_the_table(tmp_path: Path) -> None:
    data = export_data()
    written = parquet.write(data, tmp_path)
    assert sorted(written) == sorted(part(tmp_path, name) for name in data.tables)
    entries = pq.read_table(part(tmp_path, "entries"))
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
        schema = pq.read_schema(part(tmp_path, name))
        stored = json.loads(schema.metadata[parquet.CODEBOOK_KEY])
        assert [Variable(**v) for v in stored] == data.variables(name)
        assert json.loads(schema.metadata[parquet.STUDY_KEY])["slug"] == "homework-study"
        for variable in data.variables(name):
            meta = schema.field(variable.name).metadata
            assert meta[b"label"].decode() == variable.label and meta[b"type"].decode() == variable.type
    entries = pq.read_schema(part(tmp_path, "entries"))
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
    path = str(part(tmp_path, "entries"))
    connection = duckdb.connect()
    entries = connection.read_parquet(path)
    aggregate = entries.aggregate(f'count(*), sum("{LONG_NAME}"), min(submitted_on)').fetchall()
    assert aggregate == [(6, 58.75, dt.date(2025, 1, 22))]
    assert entries.filter("helpfulness is null").aggregate("count(*)").fetchall() == [(1,)]
    kv = dict(connection.execute("select key, value from parquet_kv_metadata(?)", [path]).fetchall())
    codebook = json.loads(kv[parquet.CODEBOOK_KEY])
    assert [v["name"] for v in codebook] == list(data.tables["entries"].columns)


def test_duckdb_and_pyarrow_read_the_folder_as_a_hive_partitioned_data_set(tmp_path: Path) -> None:
    data = export_data()
    parquet.write(data, tmp_path)
    files = str(tmp_path / "parquet" / "**" / "*.parquet")
    connection = duckdb.connect()
    for name, table in data.tables.items():
        read = connection.execute(
            'select * exclude (study, "table") from read_parquet(?, hive_partitioning = true, union_by_name = true)'
            ' where study = ? and "table" = ?',
            [files, STUDY, name],
        )
        columns = [d[0] for d in read.description]
        rows = [
            {c: v for c, v in zip(columns, row, strict=True) if c in table.columns} for row in read.fetchall()
        ]
        expected = parquet.table_for(data, name).to_pylist()  # the values the first test checks
        assert len(rows) == len(table) and rows == expected
    counts = connection.execute(
        'select "table", count(*) from read_parquet(?, hive_partitioning = true, union_by_name = true) group by 1',
        [files],
    ).fetchall()
    assert dict(counts) == {name: len(t) for name, t in data.tables.items() if len(t)}
    dataset = ds.dataset(tmp_path / "parquet" / f"study={STUDY}" / "table=entries", format="parquet")
    assert dataset.to_table().num_rows == len(data.tables["entries"])
    whole = ds.dataset(tmp_path / "parquet", format="parquet", partitioning="hive")
    assert {"study", "table"} <= set(whole.schema.names)


def test_a_table_larger_than_a_chunk_is_written_in_parts_of_row_groups(tmp_path: Path) -> None:
    data = export_data()
    entries = data.tables["entries"]
    data.tables["entries"] = pd.concat([entries] * 5, ignore_index=True)  # 30 rows
    written = parquet.write(data, tmp_path, rows_per_group=4, rows_per_part=8)
    parts = sorted(p for p in written if p.parent.name == "table=entries")
    assert [p.name for p in parts] == [f"part-{i:04d}.parquet" for i in range(4)]
    assert [pq.ParquetFile(p).metadata.num_row_groups for p in parts] == [2, 2, 2, 2]
    assert [pq.ParquetFile(p).metadata.num_rows for p in parts] == [8, 8, 8, 6]
    for path in parts:  # every part says on its own what its columns mean
        assert json.loads(pq.read_schema(path).metadata[parquet.CODEBOOK_KEY])
    read = ds.dataset(parts, format="parquet").to_table().to_pandas()
    assert read["entry_id"].tolist() == data.tables["entries"]["entry_id"].tolist()
    assert read[LONG_NAME].sum() == 5 * 58.75


def test_a_table_with_an_undocumented_column_is_refused(tmp_path: Path) -> None:
    data = export_data()
    data.tables["entries"]["email"] = "someone@example.org"
    with pytest.raises(ValueError, match="undocumented"):
        parquet.write(data, tmp_path)
