"""The conversation as Markdown, for the patient to download and take to a clinician."""

from __future__ import annotations

from assistant.reply import Reply
from chat.text import safe_text


def render_markdown(exchanges: list[Reply], *, title: str = "Conversation about dystonia") -> str:
    """Questions, answers, full citations (title, publisher, date, link, quote) and the disclaimer.

    Made in memory when the user asks for it; nothing is written to disk."""
    out = [f"# {title}", ""]
    for number, reply in enumerate(exchanges, start=1):
        out += [f"## Question {number}", "", f"> {_md(reply.question)}", "",
                f"*Audience: {reply.audience}. Reply type: {reply.info.title}.*", "",
                _md((reply.error or "") if reply.kind == "invalid" else reply.answer), ""]
        if reply.citations:
            out += ["**Sources**", ""]
            for c in reply.citations:
                dated = f", published {c.published}" if c.published else ""
                out += [f"{c.n}. {_md(c.title)} — {_md(c.publisher)}{dated}. <{c.url}>", "",
                        f"   > {_md(c.quote)}", ""]
        if reply.disclaimer:
            out += [f"*{reply.disclaimer}*", ""]
    return safe_text("\n".join(out).rstrip() + "\n")


def _md(text: str) -> str:
    """Neutralise Markdown/HTML control characters so user and corpus text stay text."""
    return text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ").strip()
