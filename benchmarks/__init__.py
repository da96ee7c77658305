"""Performance and scale benchmark: our index and retriever against a LangChain + FAISS peer.

Run from the project root: ``python -m benchmarks.run [--quick]``. See ``benchmarks/run.py``.
"""
