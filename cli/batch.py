"""``dystonia ask --batch``: one JSON question per line in, one JSON reply per line out.

Lines are handled independently: a line that is not UTF-8, not JSON, or has fields of the
wrong type becomes an ``invalid`` record for that line, and the rest still run. Output
order is input order, one record per input line, flushed as it goes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from assistant.pipeline import Assistant
from assistant.reply import AUDIENCES
from common.errors import UsageError


def read_lines(path: Path) -> list[bytes]:
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read batch file {path}: {error.strerror}") from None
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def parse_line(raw: bytes, number: int) -> tuple[dict | None, str | None]:
    """(request, None) for a good line; (partial request, error message) for a bad one."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, f"line {number} is not valid UTF-8"
    if not text:
        return None, f"line {number} is empty"
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"line {number} is not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(request, dict):
        return None, f"line {number} must be a JSON object"
    return request, _field_problem(request, number)


def _field_problem(request: dict, number: int) -> str | None:
    if not isinstance(request.get("question"), str):
        return f"line {number}: \"question\" must be a string"
    if "id" in request and not isinstance(request["id"], (str, int)):
        return f"line {number}: \"id\" must be a string or number"
    if request.get("audience", "patient") not in AUDIENCES:
        return f"line {number}: \"audience\" must be one of {', '.join(AUDIENCES)}"
    history = request.get("history", [])
    if not isinstance(history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in history):
        return f"line {number}: \"history\" must be a list of {{\"role\": \"user\"|\"assistant\", \"content\": text}}"
    return None


def invalid_record(request: dict | None, error: str) -> dict:
    request = request or {}
    question = request.get("question")
    record_id = request.get("id")
    return {"id": record_id if isinstance(record_id, (str, int)) else None,
            "question": question if isinstance(question, str) else "",
            "kind": "invalid", "answer": "", "citations": [], "glossary": [], "disclaimer": None,
            "timings_ms": {"retrieve": 0.0, "compose": 0.0, "total": 0.0}, "error": error}


def answer_line(assistant: Assistant, raw: bytes, number: int) -> dict:
    request, error = parse_line(raw, number)
    if error or request is None:
        return invalid_record(request, error or f"line {number} is empty")
    reply = assistant.ask(request["question"], history=request.get("history", []),
                          audience=request.get("audience", "patient"))
    return reply.to_dict(question_id=request.get("id"))


def run_batch(assistant: Assistant, path: Path, out: TextIO) -> int:
    lines = read_lines(path)
    for number, raw in enumerate(_progress(lines), start=1):
        out.write(json.dumps(answer_line(assistant, raw, number), ensure_ascii=False) + "\n")
        out.flush()
    return len(lines)


def _progress(lines: list[bytes]):
    if sys.stderr.isatty() and len(lines) > 20:
        from tqdm import tqdm

        return tqdm(lines, desc="answering", unit="question")
    return lines
