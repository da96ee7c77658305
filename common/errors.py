"""Domain errors for the whole project, in one place.

Library code raises these; only the CLI (``assistant.cli``) turns them into one line on
stderr and exit status 1, and the web chat into a message on the page. Each message says
what is wrong, where, and how to fix it, so no traceback is ever needed for bad input.

    DystoniaError
    ├── CorpusError          the corpus has problems (one line each); nothing was built
    ├── IndexError_          the index cannot be used
    │   ├── IndexMissing
    │   ├── IndexStale       built by other code, chunking settings or model
    │   └── IndexCorrupt     files missing, truncated or inconsistent
    ├── ModelError           the embedding model cannot be loaded
    ├── FeedbackError        the feedback store cannot be opened or written
    └── UsageError           a bad argument or input file given to a command
"""

from __future__ import annotations

REBUILD_HINT = "run `dystonia index` to rebuild it"


class DystoniaError(Exception):
    """Base class: an expected failure with a message meant for people."""


class CorpusError(DystoniaError):
    """Validation found problems; ``problems`` holds one formatted line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"corpus refused, {count}:\n" + "\n".join(problems))


class IndexError_(DystoniaError):
    """The index folder cannot be used as it is."""


class IndexMissing(IndexError_):
    pass


class IndexStale(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class ModelError(DystoniaError):
    pass


class FeedbackError(DystoniaError):
    pass


class UsageError(DystoniaError):
    pass
