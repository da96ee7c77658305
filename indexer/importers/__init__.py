"""Converters from raw source material to corpus documents (Markdown + YAML front matter).

Run once by a maintainer; the output is committed to ``corpus/``. They are deterministic:
re-running them on the same sources reproduces the corpus byte for byte (a test checks it).

- ``seeds``   the five founding web pages, with per-page repairs listed in ``seeds.yaml``
- ``medquad`` NIH pages from MedQuAD XML (the dystonia subset, or the full data set for
              benchmarks)
"""

from indexer.importers.markdown import write_document

__all__ = ["write_document"]
