"""The foundation every layer may import: the error hierarchy and the shared text tools.

It imports nothing from the project, so any package (``indexer``, ``assistant``, ``chat``,
``evals``, ``cli``) can use it without pointing a dependency the wrong way.
"""
