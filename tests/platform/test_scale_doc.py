"""docs/scale.md agrees with the code it sizes: the export layout and row groups, and the settings it names."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from emotipal.research.export.formats import parquet

DOC = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text()


def test_the_document_states_the_exports_partition_layout_and_row_groups() -> None:
    assert "parquet/study=<slug>/table=<name>/part-NNNN.parquet" in DOC
    assert f"row groups of {parquet.ROWS_PER_GROUP:,} rows" in DOC


def test_the_settings_the_document_names_exist() -> None:
    for name in ("EMOTIPAL_EXPORT_ROOT", "EMOTIPAL_WEB_WORKERS"):
        assert f"`{name}`" in DOC
    assert hasattr(settings, "EMOTIPAL_EXPORT_ROOT")
    assert (
        "EMOTIPAL_WEB_WORKERS"
        in (Path(settings.BASE_DIR) / "emotipal" / "platform" / "gunicorn_conf.py").read_text()
    )
