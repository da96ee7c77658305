"""Training of the answer library's learned components (run by maintainers, not at answer time).

Each trainer reads its data, fits a small model on the frozen sentence embeddings, measures
it on held-out data, and writes the weights and a model card into ``assistant/models/``.
"""
