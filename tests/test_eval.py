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


def test_the_run_writes_all_four_reports_with_every_split(eval_run):
    _, out = eval_run
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) >= 250
    assert {"id", "split", "kind", "expected_kind", "passed", "failures"} <= set(json.loads(lines[0]))
    assert {json.loads(line)["split"] for line in lines} == {"dev", "test"}
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["splits"]) == {"all", "dev", "test"}
    assert summary["metrics"]["disclaimer_presence"] == 1.0
    assert {g["split"] for g in summary["gates"]} >= {"all", "test"}
    report = (out / "report.md").read_text()
    for heading in ("## Release gates", "## Settings measured", "## Learned components"):
        assert heading in report
    assert "| lead_answers |" in report and "dev" in report and "test" in report
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and "<script" not in page


def test_a_missed_gate_fails_on_the_split_it_names(eval_run, tmp_path):
    _, out = eval_run
    splits = json.loads((out / "summary.json").read_text())["splits"]
    strict = tmp_path / "strict.toml"
    strict.write_text("[gates.test]\nlead_answers = { min = 1.01 }\n[gates.dev]\nlead_answers = { min = 0.0 }\n")
    test_gate, dev_gate = load_gates(strict, splits)
    assert (test_gate.split, test_gate.ok) == ("test", False)
    assert (dev_gate.split, dev_gate.ok) == ("dev", True)


def test_a_gate_naming_an_unknown_split_or_metric_is_a_clear_error(tmp_path):
    from common.errors import UsageError

    bad = tmp_path / "bad.toml"
    bad.write_text("[gates.training]\nlead_answers = { min = 0.5 }\n")
    with pytest.raises(UsageError, match=r"\[gates.training\]"):
        load_gates(bad, {"all": {"lead_answers": 0.5}})
    bad.write_text("[gates.all]\nleed_answers = { min = 0.5 }\n")
    with pytest.raises(UsageError, match="leed_answers"):
        load_gates(bad, {"all": {"lead_answers": 0.5}})


def test_compare_shows_the_change_per_metric_and_per_item(eval_run):
    from evals.metrics import ItemResult
    from evals.report import compare
    from evals.run import load_run

    _, out = eval_run
    assert load_run(out)["items"]  # a run folder can be compared against
    now = [ItemResult(id="a", category="c", question="q", audience="patient", expected_kind="answer", kind="answer",
                      route_reason="", answer="", citations=[], retrieved=[], expected_documents=[])]
    previous = {"splits": {"all": {"routing_accuracy": 0.5}, "test": {"routing_accuracy": 0.4}},
                "items": {"a": {"passed": False, "kind": "no_evidence"}}, "folder": "old"}
    comparison = compare({"all": {"routing_accuracy": 1.0}, "test": {"routing_accuracy": 0.6}}, now, previous)
    assert ("routing_accuracy", 0.5, 1.0) in comparison["metrics"]
    assert ("test.routing_accuracy", 0.4, 0.6) in comparison["metrics"]
    assert comparison["items"] == [("a", "q", "fail (no_evidence)", "pass (answer)")]
