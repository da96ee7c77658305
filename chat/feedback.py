"""Feedback storage: thumbs up/down and comments on answers, for maintainers.

Only what a user chose to rate is stored: the question, the answer, its citations, the
rating, an optional comment, the audience and the time. Nothing identifies the browser or
the person: tables made by earlier versions had a ``session`` column; it is emptied when the
store opens and left empty (dropping it would break a chat of the older version still
writing to the same database), and it is not exported. Text is stored through
``safe_text``, so a lone surrogate or a NUL (which PostgreSQL refuses) cannot fail a write.

Two back ends behind one small interface, chosen by the location string:
- a file path (or ``sqlite:///path``): SQLite in WAL mode, safe for several threads and
  processes on one machine; the default.
- ``postgresql://...``: PostgreSQL, for several chat processes on several machines.

Every failure to open or write raises ``FeedbackError``, whose message names the store
(without its password) and the database's one-line reason (never the row, which holds what
a user typed); the chat catches it, keeps answering, and tells the user their feedback was
not saved.

The CSV export is for spreadsheets: a text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (OWASP's rule for CSV injection; also a line feed and the
full-width forms) is prefixed with ``'`` so no spreadsheet runs it as a formula. Numbers
(id, rating) are written as numbers: ``-1`` is a rating, not a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chat.text import safe_text
from common.errors import FeedbackError

COLUMNS = ("id", "created_at", "rating", "comment", "kind", "audience", "question", "answer", "citations")
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id {id_type},
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL,          -- 1 helpful, -1 not helpful (0: a comment without rating, older versions)
    comment TEXT,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL           -- JSON list of citations (n, doc_id, title, publisher, url, quote)
)"""
LEGACY_COLUMN = "session"  # written by earlier versions, NOT NULL there: kept empty
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")  # OWASP's, plus LF and full-width forms


@dataclass(frozen=True)
class Feedback:
    rating: int
    question: str
    answer: str
    kind: str
    audience: str
    citations: list[dict] = field(default_factory=list)
    comment: str | None = None
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def row(self) -> tuple:
        """The values for ``COLUMNS[1:]``, every text made encodable."""
        record = asdict(self)
        record["citations"] = json.dumps(self.citations, ensure_ascii=False)
        return tuple(safe_text(value) if isinstance(value, str) else value
                     for value in (record[c] for c in COLUMNS[1:]))


class FeedbackStore:
    """Base class: ``_connect`` and ``placeholder`` differ per database; the SQL is shared."""

    placeholder = "?"
    id_type = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, location: str):
        self.location = location
        with self._session() as connection:
            connection.execute(SCHEMA.format(id_type=self.id_type))
            columns = {d[0].lower() for d in connection.execute("SELECT * FROM feedback LIMIT 0").description}
            self.legacy_session = LEGACY_COLUMN in columns
            if self.legacy_session:
                connection.execute(f"UPDATE feedback SET {LEGACY_COLUMN} = '' WHERE {LEGACY_COLUMN} <> ''")

    def _connect(self):
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The location for messages and logs, without a password."""
        hidden = re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", self.location)
        return re.sub(r"(password=)[^&\s]*", r"\1***", hidden)

    @contextmanager
    def _session(self):
        try:
            connection = self._connect()
        except FeedbackError:
            raise
        except Exception as error:
            raise FeedbackError(f"cannot open the feedback store {self.name}: {_reason(error)}") from None
        try:
            with connection:
                yield connection
        except Exception as error:
            raise FeedbackError(f"cannot write to the feedback store {self.name}: {_reason(error)}") from None
        finally:
            connection.close()

    def add(self, feedback: Feedback) -> int:
        columns, values = list(COLUMNS[1:]), list(feedback.row())
        if self.legacy_session:
            columns.append(LEGACY_COLUMN)
            values.append("")
        marks = ", ".join([self.placeholder] * len(columns))
        sql = f"INSERT INTO feedback ({', '.join(columns)}) VALUES ({marks}) RETURNING id"
        with self._session() as connection:
            return int(connection.execute(sql, tuple(values)).fetchone()[0])

    def update(self, row_id: int, *, rating: int | None = None, comment: str | None = None) -> None:
        p = self.placeholder
        with self._session() as connection:
            if rating is not None:
                connection.execute(f"UPDATE feedback SET rating = {p} WHERE id = {p}", (rating, row_id))
            if comment is not None:
                connection.execute(f"UPDATE feedback SET comment = {p} WHERE id = {p}", (safe_text(comment), row_id))

    def delete(self, row_id: int) -> None:
        with self._session() as connection:
            connection.execute(f"DELETE FROM feedback WHERE id = {self.placeholder}", (row_id,))

    def rows(self) -> list[tuple]:
        """Every row as a tuple in ``COLUMNS`` order, oldest first."""
        with self._session() as connection:
            return list(connection.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall())

    def export_csv(self, path: str | Path) -> int:
        rows = self.rows()
        if str(path) == "-":
            _write_csv(sys.stdout, rows)
        else:
            try:
                with open(path, "w", newline="", encoding="utf-8") as handle:
                    _write_csv(handle, rows)
            except OSError as error:
                raise FeedbackError(f"cannot write {path}: {error.strerror}") from None
        return len(rows)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def spreadsheet_safe(value):
    """A CSV cell no spreadsheet runs as a formula: text starting with ``FORMULA_START`` gets a
    leading ``'``; other values are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_csv(handle, rows) -> None:
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)


def _reason(error: Exception) -> str:
    """The database's reason in one line: drivers add detail lines that can quote the row."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]


class SQLiteStore(FeedbackStore):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise FeedbackError(f"cannot create the folder for {self.path}: {error.strerror}") from None
        super().__init__(str(self.path))
        with self._session() as connection:
            connection.execute("PRAGMA journal_mode=WAL")

    def _connect(self):
        connection = sqlite3.connect(self.path, timeout=10.0)
        connection.execute("PRAGMA busy_timeout = 10000")
        connection.execute("PRAGMA secure_delete = ON")  # a withdrawn rating's text is overwritten, not left behind
        return connection


class PostgresStore(FeedbackStore):
    placeholder = "%s"
    id_type = "BIGSERIAL PRIMARY KEY"

    def _connect(self):
        try:
            import psycopg
        except ImportError:
            raise FeedbackError("PostgreSQL needs the psycopg package: run `make install`") from None
        return psycopg.connect(self.location, connect_timeout=5)


def open_store(location: str) -> FeedbackStore:
    """The store named by ``location``: a postgresql:// URL, sqlite:///path, or a file path."""
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresStore(location)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///"):]
    return SQLiteStore(location)
