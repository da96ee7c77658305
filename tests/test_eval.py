"""`dystonia eval` as CI runs it: the real reference set, the real index, the release gates."""

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from evals.run import load_gates


@pytest.fixture(scope="module")
def eval_run(index_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "run"
    result = CliRunner().invoke(cli, ["eval", "--index", str(index_dir), "--out", str(out)])
    return result, out


def test_answer_quality_passes_every_release_gate(eval_run):
    result, out = eval_run
    assert result.exit_code == 0, result.output + (out / "report.md").read_text()[:3000]


def test_the_run_writes_all_four_reports(eval_run):
    _, out = eval_run
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) >= 80 and {"id", "kind", "expected_kind", "passed", "failures"} <= set(json.loads(lines[0]))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["disclaimer_presence"] == 1.0 and summary["gates"]
    assert "## Release gates" in (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and "<script" not in page


def test_a_missed_gate_fails_the_command(eval_run, tmp_path):
    _, out = eval_run
    metrics = json.loads((out / "summary.json").read_text())["metrics"]
    strict = tmp_path / "strict.toml"
    strict.write_text("[gates]\nrouting_accuracy = { min = 1.01 }\n")
    [gate] = load_gates(strict, metrics)
    assert not gate.ok


def test_compare_shows_the_change_per_metric_and_per_item(eval_run):
    from evals.metrics import ItemResult
    from evals.report import compare
    from evals.run import load_run

    _, out = eval_run
    assert load_run(out)["items"]  # a run folder can be compared against
    now = [ItemResult(id="a", category="c", question="q", audience="patient", expected_kind="answer", kind="answer",
                      route_reason="", answer="", citations=[], retrieved=[], expected_documents=[])]
    previous = {"summary": {"routing_accuracy": 0.5}, "items": {"a": {"passed": False, "kind": "no_evidence"}},
                "folder": "old"}
    comparison = compare({"routing_accuracy": 1.0}, now, previous)
    assert ("routing_accuracy", 0.5, 1.0) in comparison["metrics"]
    assert comparison["items"] == [("a", "q", "fail (no_evidence)", "pass (answer)")]
