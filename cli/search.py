"""``dystonia search``: what retrieval finds for a query, and why (scores and ranks)."""

from __future__ import annotations

import json
import textwrap

import click


def run_search(assistant, query: str, *, k: int, as_json: bool) -> None:
    """Print the top ``k`` chunks for ``query`` (no per-document diversification)."""
    index, mode = assistant.index, assistant.retriever.mode
    hits = assistant.retriever.search(query, assistant.embedder.embed_one(query), k=k, diversify=False)
    rows = [_row(rank, hit, index) for rank, hit in enumerate(hits, start=1)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    click.echo(f"{len(rows)} chunks for {query!r} ({mode} ranking)\n")
    click.echo(f"{'#':>3} {'fused':>7} {'dense (rank)':>14} {'lexical (rank)':>15}  document › section")
    for r in rows:
        click.echo(f"{r['rank']:>3} {r['fused']:>7.4f} {r['dense']:>7.3f} ({_rank(r['dense_rank'])}) "
                   f"{r['lexical']:>7.2f} ({_rank(r['lexical_rank'])})  {r['doc_id']} › {r['section'] or '—'}")
        click.echo(textwrap.indent(textwrap.shorten(r["text"], 220), " " * 5) + "\n")


def _rank(rank) -> str:
    return f"{rank:>4}" if rank else "   -"


def _row(rank: int, hit, index) -> dict:
    return {"rank": rank, "chunk_id": hit.chunk.id, "doc_id": hit.chunk.doc_id,
            "section": " > ".join(hit.chunk.section), "fused": round(hit.fused, 5),
            "dense": round(hit.dense, 4), "dense_rank": hit.dense_rank, "lexical": round(hit.lexical, 4),
            "lexical_rank": hit.lexical_rank, "text": index.chunk_text(hit.chunk)}
