"""A reply as plain text for the terminal (``dystonia ask``)."""

from __future__ import annotations

import textwrap

import click

from assistant.reply import Reply


def render_text(reply: Reply, *, color: bool = False, width: int = 88) -> str:
    info = reply.info
    heading = info.title.upper() if info.alert == "alarm" else info.title
    if color:
        heading = click.style(heading, fg="red" if info.alert == "alarm" else "cyan", bold=True)
    lines = [heading, ""]
    body = (reply.error or "") if reply.kind == "invalid" else reply.answer
    for paragraph in body.split("\n"):
        lines += textwrap.wrap(paragraph, width) or [""]
    if reply.citations:
        lines += ["", "Sources:"]
        for c in reply.citations:
            lines.append(f"[{c.n}] {c.title} — {c.publisher}")
            lines.append(f"    {c.url}")
            lines += textwrap.wrap(f"“{c.quote}”", width, initial_indent="    ", subsequent_indent="    ")
    if reply.disclaimer:
        lines += ["", *textwrap.wrap(reply.disclaimer, width)]
    return "\n".join(lines)
