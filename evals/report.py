"""Write an evaluation run: results.jsonl, summary.json, report.md and a self-contained report.html.

The HTML embeds its charts as inline SVG (matplotlib) and escapes every question, answer
and quote, so it can be opened anywhere and no text from users or sources runs as markup.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from assistant.reply import KINDS

SCALARS = ("items", "pass_rate", "lead_answers", "gap_admitted", "fact_coverage", "all_facts_rate", "off_subject_share",
           "orphaned_reference_share", "hard_terms_all_explained", "facet_accuracy", "subject_accuracy",
           "routing_accuracy",
           "therapist_kind_accuracy", "emergency_recall", "false_emergencies", "retrieval_hit_at_1",
           "retrieval_hit_at_3", "retrieval_hit_at_5", "retrieval_recall_at_5", "retrieval_mrr",
           "forbidden_violations", "citation_validity", "grounding_lexical", "grounding_embedding",
           "disclaimer_presence", "answer_words_median", "words_median_patient", "words_median_therapist",
           "fk_grade_median_patient", "fk_grade_median_therapist", "latency_p50_ms", "latency_p95_ms")
ABLATION = ("retrieval_hit_at_1", "retrieval_hit_at_3", "retrieval_hit_at_5", "retrieval_recall_at_5",
            "retrieval_mrr", "routing_accuracy", "fact_coverage", "pass_rate", "latency_p50_ms")


def write_reports(out: Path, results, summaries: dict, gates, modes: dict, previous: dict | None, meta: dict) -> None:
    """``summaries``: the metrics of all questions and of each split ("all", "dev", "test")."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    gate_rows = [{"split": g.split, "metric": g.metric, "value": g.value, "rule": g.rule, "limit": g.limit,
                  "ok": g.ok} for g in gates]
    summary = summaries["all"]
    (out / "summary.json").write_text(json.dumps({"meta": meta, "metrics": summary, "splits": summaries,
                                                  "gates": gate_rows, "modes": modes}, indent=1), encoding="utf-8")
    comparison = compare(summaries, results, previous) if previous else None
    (out / "report.md").write_text(markdown(results, summaries, gate_rows, modes, comparison, meta), encoding="utf-8")
    (out / "report.html").write_text(page(results, summaries, gate_rows, modes, comparison, meta), encoding="utf-8")


def compare(summaries: dict, results, previous: dict) -> dict:
    """Per split and metric: before, now, change. Per item: what changed status or kind."""
    metrics = [(f"{split}.{m}" if split != "all" else m, previous["splits"].get(split, {}).get(m), now.get(m))
               for split, now in summaries.items() for m in SCALARS]
    changed = []
    for r in results:
        old = previous["items"].get(r.id)
        if old is None:
            changed.append((r.id, "new item", "", "pass" if r.passed else "fail"))
        elif old.get("passed") != r.passed or old.get("kind") != r.kind:
            changed.append((r.id, r.question, f"{'pass' if old.get('passed') else 'fail'} ({old.get('kind')})",
                            f"{'pass' if r.passed else 'fail'} ({r.kind})"))
    return {"folder": previous["folder"], "metrics": metrics, "items": changed}


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _delta(before, now) -> str:
    if not isinstance(before, (int, float)) or not isinstance(now, (int, float)):
        return ""
    change = now - before
    return "±0" if abs(change) < 1e-9 else f"{change:+.3f}"


def markdown(results, summaries, gates, modes, comparison, meta) -> str:
    summary, splits = summaries["all"], list(summaries)
    lines = ["# Evaluation report", "", f"{summary['items']} questions ({meta['questions']}) · retriever "
             f"`{meta['retriever']}` · model `{meta['model']}` · {meta['date']}", "",
             "**dev** questions are the ones tuned and trained on; **test** questions never are, so their "
             "figures are the honest ones. Gates on answer quality read the test split.", "",
             "## Release gates", "", "| split | metric | value | gate | status |", "|---|---|---|---|---|"]
    lines += [f"| {g['split']} | {g['metric']} | {_fmt(g['value'])} | {g['rule']} {_fmt(g['limit'])} | "
              f"{'ok' if g['ok'] else '**FAIL**'} |" for g in gates]
    lines += ["", "## All metrics, per split", "", "| metric | " + " | ".join(splits) + " |",
              "|---" * (len(splits) + 1) + "|"]
    lines += [f"| {m} | " + " | ".join(_fmt(summaries[s].get(m)) for s in splits) + " |" for m in SCALARS]
    lines += ["", "## Learned components (held-out scores from their model cards)", "", "| measure | value |",
              "|---|---|"]
    lines += [f"| {k} | {_fmt(v) if not isinstance(v, dict) else _cell(json.dumps(v))} |"
              for k, v in meta.get("learned", {}).items()]
    lines += ["", "## Pass rate per category", "", "| category | passed | total | rate |", "|---|---|---|---|"]
    lines += [f"| {c} | {v['passed']} | {v['total']} | {v['rate']:.0%} |"
              for c, v in summary["pass_rate_by_category"].items()]
    lines += ["", "## Routing confusion (rows: expected, columns: got)", "",
              "| expected \\ got | " + " | ".join(KINDS) + " |", "|---" * (len(KINDS) + 1) + "|"]
    lines += [f"| {e} | " + " | ".join(str(summary["routing_confusion"][e][g]) for g in KINDS) + " |" for e in KINDS]
    if len(modes) > 1:
        names = list(modes)
        lines += ["", "## Retrieval ablation", "",
                  "| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        lines += [f"| {m} | " + " | ".join(_fmt(modes[n].get(m)) for n in names) + " |" for m in ABLATION]
    if comparison:
        lines += ["", f"## Change against {comparison['folder']}", "",
                  "| metric | before | now | change |", "|---|---|---|---|"]
        lines += [f"| {m} | {_fmt(b)} | {_fmt(n)} | {_delta(b, n)} |" for m, b, n in comparison["metrics"]]
        lines += ["", "| item | question | before | now |", "|---|---|---|---|"]
        changed = [f"| {i} | {_cell(q)} | {b} | {n} |" for i, q, b, n in comparison["items"]]
        lines += changed or ["| — | no item changed | | |"]
    lines += ["", "## Settings measured", "",
              "Tuning values (`assistant/tuning.toml`) and index chunking this run used.",
              "", "| setting | value |", "|---|---|"]
    lines += [f"| {name} | {_fmt(value)} |" for name, value in settings(meta)]
    failing = [r for r in results if not r.passed]
    lines += ["", f"## Failing items ({len(failing)})", ""]
    for r in failing:
        lines += [f"### {r.id} ({r.split}, {r.category}, {r.audience})", "", f"**Q:** {_cell(r.question)}", "",
                  f"**Expected** {r.expected_kind}, **got** {r.kind} ({_cell(r.route_reason)}); subject "
                  f"{r.subject or '—'} → {r.subject_got or '—'}, facet {r.facet or '—'} → {r.facet_got or '—'}.", "",
                  *[f"- {_cell(f)}" for f in r.failures], "", "**Answer:**", "", _quote(r.answer), ""]
        if r.citations:
            lines += ["Cited: " + ", ".join(f"[{c['n']}] {c['doc_id']}" for c in r.citations), ""]
        if r.retrieved:
            lines += ["Retrieved: " + ", ".join(r.retrieved[:6]), ""]
    return "\n".join(lines) + "\n"


def settings(meta: dict) -> list[tuple[str, object]]:
    """Every tuning value and chunking parameter as (dotted name, value), for the reports."""
    rows = [(f"{section}.{key}", value) for section, values in meta.get("tuning", {}).items()
            for key, value in values.items()]
    return rows + [(f"chunking.{key}", value) for key, value in (meta.get("chunking") or {}).items()]


def _cell(text: str) -> str:
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ")[:600]


def _quote(text: str) -> str:
    return "\n".join("> " + html.escape(line) for line in (text or "(empty)").splitlines())


def page(results, summaries, gates, modes, comparison, meta) -> str:
    e = html.escape
    summary, splits = summaries["all"], list(summaries)
    gate_rows = "".join(f"<tr class='{'ok' if g['ok'] else 'fail'}'><td>{e(g['split'])}</td><td>{e(g['metric'])}</td>"
                        f"<td>{_fmt(g['value'])}</td><td>{g['rule']} {_fmt(g['limit'])}</td>"
                        f"<td>{'ok' if g['ok'] else 'FAIL'}</td></tr>" for g in gates)
    metric_rows = "".join(f"<tr><td>{m}</td>" + "".join(f"<td>{_fmt(summaries[s].get(m))}</td>" for s in splits)
                          + "</tr>" for m in SCALARS)
    parts = [f"<h1>Evaluation report</h1><p>{summary['items']} questions ({e(meta['questions'])}) · retriever "
             f"{e(meta['retriever'])} · model {e(meta['model'])} · {e(meta['date'])}</p>",
             "<p><b>dev</b> questions are tuned and trained on; <b>test</b> questions never are.</p>",
             "<h2>Release gates</h2><table><tr><th>split</th><th>metric</th><th>value</th><th>gate</th><th>status</th>"
             f"</tr>{gate_rows}</table>",
             "<h2>Charts</h2><div class='charts'>" + _charts(results, summary) + "</div>",
             "<h2>All metrics, per split</h2><table><tr><th>metric</th>" + "".join(f"<th>{e(s)}</th>" for s in splits)
             + f"</tr>{metric_rows}</table>"]
    if len(modes) > 1:
        names = list(modes)
        rows = "".join(f"<tr><td>{m}</td>" + "".join(f"<td>{_fmt(modes[n].get(m))}</td>" for n in names) + "</tr>"
                       for m in ABLATION)
        parts.append("<h2>Retrieval ablation</h2><table><tr><th>metric</th>" +
                     "".join(f"<th>{e(n)}</th>" for n in names) + f"</tr>{rows}</table>")
    if comparison:
        rows = "".join(f"<tr><td>{m}</td><td>{_fmt(b)}</td><td>{_fmt(n)}</td><td>{_delta(b, n)}</td></tr>"
                       for m, b, n in comparison["metrics"])
        items = "".join(f"<tr><td>{e(i)}</td><td>{e(q)}</td><td>{e(b)}</td><td>{e(n)}</td></tr>"
                        for i, q, b, n in comparison["items"])
        parts.append(f"<h2>Change against {e(comparison['folder'])}</h2><table><tr><th>metric</th><th>before</th>"
                     f"<th>now</th><th>change</th></tr>{rows}</table><table><tr><th>item</th><th>question</th>"
                     f"<th>before</th><th>now</th></tr>{items}</table>")
    setting_rows = "".join(f"<tr><td>{e(name)}</td><td>{e(_fmt(value))}</td></tr>" for name, value in settings(meta))
    parts.append(f"<h2>Settings measured</h2><table>{setting_rows}</table>")
    failing = [r for r in results if not r.passed]
    parts.append(f"<h2>Failing items ({len(failing)})</h2>")
    for r in failing:
        failures = "".join(f"<li>{e(f)}</li>" for f in r.failures)
        cited = ", ".join(f"[{c['n']}] {e(c['doc_id'])}" for c in r.citations)
        parts.append(f"<div class='item'><h3>{e(r.id)} <small>{e(r.category)}, {e(r.audience)}</small></h3>"
                     f"<p><b>Q:</b> {e(r.question[:600])}</p><p>Expected <b>{e(r.expected_kind)}</b>, got "
                     f"<b>{e(r.kind)}</b> <small>({e(r.route_reason)})</small></p><ul>{failures}</ul>"
                     f"<pre>{e(r.answer)}</pre><p><small>Cited: {cited or '—'} · Retrieved: "
                     f"{e(', '.join(r.retrieved[:6])) or '—'}</small></p></div>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evaluation report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
tr.fail td{background:#fde2e2}tr.ok td:last-child{color:#176117}.charts{display:flex;flex-wrap:wrap;gap:1em}
.charts svg{max-width:520px;height:auto}.item{border-top:1px solid #ddd;margin-top:1em}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.6em}"""


def _charts(results, summary) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    charts = []
    categories = summary["pass_rate_by_category"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.barh(list(categories), [v["rate"] for v in categories.values()], color="#3b7dd8")
    ax.set_xlim(0, 1)
    ax.set_xlabel("pass rate")
    ax.set_title("Pass rate per category")
    ax.invert_yaxis()
    charts.append(_svg(fig))
    matrix = [[summary["routing_confusion"][e][g] for g in KINDS] for e in KINDS]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(KINDS)), KINDS, rotation=40, ha="right"), ax.set_yticks(range(len(KINDS)), KINDS)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center", color="black")
    ax.set_xlabel("got"), ax.set_ylabel("expected"), ax.set_title("Routing confusion matrix")
    charts.append(_svg(fig))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist([r.latency_ms for r in results if r.kind != "invalid"], bins=30, color="#6a9f3a")
    ax.set_xlabel("ms per question (warm)"), ax.set_ylabel("questions"), ax.set_title("Latency distribution")
    charts.append(_svg(fig))
    return "".join(charts)


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]
