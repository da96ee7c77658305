"""Replies as plain text for the terminal and as Markdown for the downloadable transcript."""

from __future__ import annotations

import textwrap

import click

from assistant.reply import Reply

TITLES = {"answer": "Answer", "personal_advice": "Please ask your clinician", "out_of_scope": "Outside what I cover",
          "no_evidence": "The sources don't say", "emergency": "EMERGENCY", "invalid": "Cannot answer"}


def render_text(reply: Reply, *, color: bool = False, width: int = 88) -> str:
    heading = TITLES[reply.kind]
    if color:
        heading = click.style(heading, fg="red" if reply.kind == "emergency" else "cyan", bold=True)
    lines = [heading, ""]
    body = reply.error if reply.kind == "invalid" else reply.answer
    for paragraph in body.split("\n"):
        lines += textwrap.wrap(paragraph, width) or [""]
    if reply.citations:
        lines += ["", "Sources:"]
        for c in reply.citations:
            lines.append(f"[{c.n}] {c.title} — {c.publisher}")
            lines.append(f"    {c.url}")
            lines += textwrap.wrap(f"“{c.quote}”", width, initial_indent="    ", subsequent_indent="    ")
    if reply.disclaimer:
        lines += [""] + textwrap.wrap(reply.disclaimer, width)
    return "\n".join(lines)


def render_markdown(exchanges: list[tuple[str, Reply]], *, title: str = "Conversation about dystonia") -> str:
    """A conversation a patient can take to a clinician: questions, answers, full citations."""
    out = [f"# {title}", ""]
    for number, (audience, reply) in enumerate(exchanges, start=1):
        out += [f"## Question {number}", "", f"> {_md(reply.question)}", "",
                f"*Audience: {audience}. Reply type: {TITLES[reply.kind]}.*", "",
                _md(reply.error if reply.kind == "invalid" else reply.answer), ""]
        if reply.citations:
            out += ["**Sources**", ""]
            for c in reply.citations:
                dated = f", published {c.published}" if c.published else ""
                out += [f"{c.n}. {_md(c.title)} — {_md(c.publisher)}{dated}. <{c.url}>", "",
                        f"   > {_md(c.quote)}", ""]
        if reply.disclaimer:
            out += [f"*{reply.disclaimer}*", ""]
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    """Neutralise Markdown/HTML control characters so user and corpus text stay text."""
    return text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ").strip()
