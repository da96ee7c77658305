"""Benchmark our index and retriever against a LangChain + FAISS peer, at three corpus sizes.

    python -m benchmarks.run [--quick] [--out benchmarks/RESULTS.md] [--work benchmarks/work]
                             [--threads 1] [--quality-queries N] [--resume]

Run from the project root. Steps (one progress line each on stderr):
  1. import MedQuAD with our importer (quick: a seeded sample of pages) and collect its questions;
  2-4. build our index of the dystonia corpus and of MedQuAD, and write MedQuAD x10
       (copied documents, perturbed vectors, HNSW above the size threshold);
  5-6. the peer: build on both corpora (and its retrieval quality on MedQuAD);
  7-9. warm query latency at the three sizes, ours and the peer's paired question by question
       (the peer's x10 store is made in memory), with our memory, quality and HNSW recall;
  10. RESULTS.md, results.json and latency_vs_size.png.
Each measurement runs in a child process (``benchmarks.child``) so that memory figures are
its own; the child's output goes to <work>/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from benchmarks import data, report
from benchmarks.measure import load_average, machine

ROOT = Path(__file__).resolve().parent.parent
MODES = {"quick": {"pages": 300, "quality": 300, "latency": 200, "warmup": 5},
         "full": {"pages": None, "quality": 0, "latency": 200, "warmup": 5}}
COPIES, SIGMA, SEED = 10, 0.01, 20261121
PACKAGES = ("dystonia-assistant", "torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "numpy",
            "langchain-community", "langchain-core", "langchain-text-splitters")
PEER_INSTALL = ('.venv/bin/pip install "langchain-community==0.4.2" "langchain-core==1.7.2" '
                '"langchain-text-splitters==1.1.3"')


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Benchmark:
    def __init__(self, args: argparse.Namespace):
        self.mode = "quick" if args.quick else "full"
        self.config: dict = dict(MODES[self.mode])  # type: ignore[call-overload]
        if args.quality_queries is not None:
            self.config["quality"] = args.quality_queries
        self.config["threads"] = args.threads
        self.resume = args.resume
        self.work = Path(args.work).resolve()
        self.out = Path(args.out)
        self.queries = self.work / "queries.json"
        self.results: dict = {"mode": self.mode, "config": {**self.config, "copies": COPIES, "sigma": SIGMA,
                                                            "seed": SEED},
                              "build": {}, "query": {}, "child_commands": []}

    def steps(self) -> list[tuple[str, Callable[[], object]]]:
        return [
            ("import MedQuAD with our importer, collect its questions", self.prepare),
            ("build our index: dystonia corpus", lambda: self.build_ours("dystonia", ROOT / "corpus")),
            ("build our index: MedQuAD", lambda: self.build_ours("medquad", self.work / "corpus-medquad")),
            (f"write our MedQuAD x{COPIES} index (perturbed copies)", self.multiply),
            ("peer: build, dystonia corpus", lambda: self.peer_build("dystonia", ROOT / "corpus")),
            ("peer: build + quality, MedQuAD",
             lambda: self.peer_build("medquad", self.work / "corpus-medquad", quality=True)),
            ("latency ours vs peer + our memory, dystonia corpus", lambda: self.query("dystonia")),
            ("latency ours vs peer + our memory + quality, MedQuAD", lambda: self.query("medquad", quality=True)),
            (f"latency ours vs peer + our memory + HNSW recall, MedQuAD x{COPIES}",
             lambda: self.query("medquad_x10", recall=True)),
        ]

    def run(self, argv: list[str]) -> None:
        started = time.perf_counter()
        self.results.update(started_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                            machine=machine(), load_average={"start": load_average()}, versions=_versions(),
                            command=_command(argv), peer_install=PEER_INSTALL, steps=[])
        steps = self.steps()
        for number, (label, step) in enumerate(steps, 1):
            progress(f"[{number}/{len(steps) + 1}] {label} ...")
            t0, load = time.perf_counter(), load_average()
            note = step() or ""
            seconds = time.perf_counter() - t0
            self.results["steps"].append({"label": label, "seconds": seconds,
                                          "load_average": {"start": load, "end": load_average()}})
            progress(f"[{number}/{len(steps) + 1}] {label}: done in {seconds:.0f} s {note}")
        self.results.update(seconds=time.perf_counter() - started, load_average={
            **self.results["load_average"], "end": load_average()},
            finished_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        progress(f"[{len(steps) + 1}/{len(steps) + 1}] writing {self.out} ...")
        paths = report.write_all(self.results, self.out)
        progress(f"[{len(steps) + 1}/{len(steps) + 1}] done in {self.results['seconds']:.0f} s: "
                 + ", ".join(str(p) for p in paths))

    # --- steps -------------------------------------------------------------------------

    def prepare(self) -> str:
        """Our importer on the tarball (quick: on a sampled tarball), then the query sets."""
        tarball = ROOT / data.TARBALL
        pages = data.count_pages(tarball)
        if self.config["pages"]:
            tarball = data.sample_tarball(tarball, self.work / "medquad-sample.tar.gz", self.config["pages"], SEED)
        corpus = self.work / "corpus-medquad"
        refused = data.import_corpus(tarball, corpus)
        found = data.questions(tarball, corpus)
        sets = data.query_sets(found, self.config["quality"], self.config["latency"], self.config["warmup"], SEED)
        data.write_json(self.queries, sets)
        self.results["data"] = {"pages_in_tarball": pages, "pages_used": self.config["pages"] or pages,
                                "medquad_documents": sum(1 for _ in corpus.rglob("*.md")), "refused": refused,
                                "queries_available": len(found), "quality_queries": len(sets["quality"]),
                                "latency_queries": len(sets["latency"]), "warmup_queries": len(sets["warmup"])}
        documents = self.results['data']['medquad_documents']
        return f"({documents} documents, {len(found)} questions, {len(refused)} refused)"

    def build_ours(self, size: str, corpus: Path) -> str:
        result = self.child("build", {"corpus": str(corpus), "out": str(self.index(size))}, f"build-{size}-ours")
        self.results["build"].setdefault(size, {})["ours"] = result
        return f"({result['chunks']} chunks, {result['seconds']:.1f} s)"

    def multiply(self) -> str:
        chunks = self.results["build"]["medquad"]["ours"]["chunks"]
        # Quick mode lowers the HNSW threshold to the x1 size so x10 still exercises HNSW, as in the full run.
        threshold = chunks if self.mode == "quick" else None
        result = self.child("multiply", {"source": str(self.index("medquad")), "out": str(self.index("medquad_x10")),
                                         "copies": COPIES, "sigma": SIGMA, "seed": SEED, "hnsw_threshold": threshold},
                            "multiply-medquad-x10")
        self.results["build"]["medquad_x10"] = {"ours": result}
        return f"({result['chunks']} chunks, {result['dense_type']})"

    def peer_build(self, size: str, corpus: Path, quality: bool = False) -> str:
        params = {"corpus": str(corpus), "out": str(self.peer_store(size)), "queries": str(self.queries),
                  "quality": quality}
        result = self.child("peer-build", params, f"peer-{size}")
        self.results["build"].setdefault(size, {})["peer"] = result
        return f"({result['chunks']} chunks, {result['seconds']:.1f} s)"

    def query(self, size: str, quality: bool = False, recall: bool = False) -> str:
        x10 = size == "medquad_x10"
        peer = {"store": str(self.peer_store("medquad" if x10 else size)),
                **({"copies": COPIES, "sigma": SIGMA, "seed": SEED} if x10 else {})}
        params = {"index": str(self.index(size)), "queries": str(self.queries), "quality": quality, "recall": recall,
                  "peer": peer}
        result = self.child("query", params, f"query-{size}")
        self.results["query"][size] = {"peer": result.pop("peer"), "ours": result}
        ours, theirs = result["latency"]["total"], self.results["query"][size]["peer"]["latency"]["total"]
        return f"(p50 ours {ours['p50']:.1f} ms, peer {theirs['p50']:.1f} ms)"

    # --- helpers -----------------------------------------------------------------------

    def index(self, size: str) -> Path:
        return self.work / f"index-{size}"

    def peer_store(self, size: str) -> Path:
        return self.work / f"peer-{size}"

    def child(self, task: str, params: dict, name: str) -> dict:
        """Run one measurement in a fresh process; its log goes to <work>/logs/<name>.log."""
        out, log = self.work / "results" / f"{name}.json", self.work / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "benchmarks.child", task, json.dumps(params), str(out)]
        self.results["child_commands"].append(shlex.join(command))
        if self.resume and out.exists():
            return json.loads(out.read_text())
        out.unlink(missing_ok=True)
        with log.open("w") as handle:
            code = subprocess.run(command, cwd=ROOT, env=os.environ, stdout=handle, stderr=subprocess.STDOUT).returncode
        if code:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            raise SystemExit(f"step {name} failed (exit status {code}); end of {log}:\n{tail}")
        return json.loads(out.read_text())


def _versions() -> dict:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _command(argv: list[str]) -> str:
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    return (f"cd {ROOT} && HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False "
            + shlex.join([python, "-m", "benchmarks.run", *argv]))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="~300 MedQuAD pages and ~300 queries (a few minutes)")
    parser.add_argument("--out", default="benchmarks/RESULTS.md", help="the report; the PNG and JSON go beside it")
    parser.add_argument("--work", default="benchmarks/work", help="indexes, corpora, logs (git-ignored)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch and FAISS in every measurement, the same for both systems "
                             "(default 1: stable on a busy shared machine; 0 = the libraries' default, all cores)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse measurements already in --work from an interrupted run with the same options")
    parser.add_argument("--quality-queries", type=int, default=None,
                        help="quality queries to sample (0 = all; default: 300 quick, all full)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    os.chdir(ROOT)
    args = parse(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    else:
        _warn_if_busy()
    Benchmark(args).run(argv)


def _warn_if_busy() -> None:
    """With every core in use by other work, torch's all-core thread pool stalls (embedding
    one question went from 15 ms to 500 ms on the 2-core test machine); say so up front."""
    busy, cores = float(load_average().split()[0]), os.cpu_count() or 1
    if busy > cores / 2:
        progress(f"warning: load average {busy:.1f} on {cores} cores; other work will distort the timings. "
                 "Consider --threads 1 (same for both systems), or run when the machine is idle.")


if __name__ == "__main__":
    main()
