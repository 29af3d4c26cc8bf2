"""The export's file formats. Each writer is `write(data: ExportData, out_dir: Path) -> list[Path]`: it checks
that the codebook covers every column, writes its files into its own folder `out_dir/<format>/` and returns the
paths it wrote. (The CSV writer, which also makes the folder a data set `emotipal analyse` reads, is the
export builder's.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from emotipal.research.export.data import ExportData
from emotipal.research.export.formats import fhir, parquet, psychds, redcap, spss, stata

Writer = Callable[[ExportData, Path], list[Path]]

WRITERS: dict[str, Writer] = {
    "parquet": parquet.write,
    "spss": spss.write,
    "stata": stata.write,
    "redcap": redcap.write,
    "psychds": psychds.write,
    "fhir": fhir.write,
}
