"""Rebuild the vetted corpus from ``../shared/sources`` (seed pages + MedQuAD dystonia pages)."""

from __future__ import annotations

from pathlib import Path

from indexer.importers import medquad, seeds

MEDQUAD_COLLECTION = "medquad-dystonia"


def import_sources(sources_dir: Path, out_dir: Path) -> list[Path]:
    """Write ``out_dir/seeds/*.md`` and ``out_dir/medquad-dystonia/*.md``; returns the files written."""
    sources_dir, out_dir = Path(sources_dir), Path(out_dir)
    reviewed_on = seeds.load_spec()["reviewed_on"]
    written = seeds.import_seeds(sources_dir / "seeds", out_dir / "seeds")
    written += medquad.import_folder(sources_dir / "medquad-dystonia", out_dir / MEDQUAD_COLLECTION,
                                     collection=MEDQUAD_COLLECTION, reviewed_on=str(reviewed_on))
    return written
