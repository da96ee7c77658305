"""Rebuild the vetted corpus: the seed pages (``seeds.yaml``) and the selected NIH pages
(``medquad.yaml``) from ``../shared/sources`` and the MedQuAD data set."""

from __future__ import annotations

from pathlib import Path

from indexer.importers import seeds
from indexer.importers.selection import import_selection

MEDQUAD_FOLDER = "medquad-dystonia"
DEFAULT_DATASET = Path("../shared/datasets/medquad-answered.tar.gz")


def import_sources(sources_dir: Path, out_dir: Path, dataset: Path | None = DEFAULT_DATASET) -> list[Path]:
    """Write ``out_dir/seeds/*.md`` and ``out_dir/medquad-dystonia/*.md``; returns the files written."""
    sources_dir, out_dir = Path(sources_dir), Path(out_dir)
    written = import_selection(sources_dir / MEDQUAD_FOLDER, dataset, out_dir / MEDQUAD_FOLDER)
    return seeds.import_seeds(sources_dir / "seeds", out_dir / "seeds") + written
