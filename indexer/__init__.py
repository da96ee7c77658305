"""Turn the vetted corpus into a searchable index.

Data flow: ``loading`` (read + validate documents) -> ``chunking`` (sections, sentences,
chunks with offsets) -> ``embedding`` (dense vectors) -> ``build`` (FAISS + BM25 written
atomically to an index folder) -> ``store`` (load it back, checked against the running code).

This package knows nothing about questions or answers; ``assistant`` builds on it.
"""
