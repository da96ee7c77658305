"""One measured step in a process of its own: ``python -m benchmarks.child TASK PARAMS_JSON OUT_JSON``.

Builds must not share a process: peak RSS (ru_maxrss) only ever grows, so each build gets
a fresh one. Query runs likewise get a fresh process so "RSS after load" is that index's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from benchmarks import ours, peer

TASKS = {"build": ours.build, "multiply": ours.multiply, "query": ours.query, "peer-build": peer.build}


def main(argv: list[str]) -> None:
    task, params, out = argv[0], json.loads(argv[1]), Path(argv[2])
    result = TASKS[task](params)
    result["threads"] = _threads()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")


def _threads() -> dict:
    """The thread pools the measurement actually ran with (``--threads`` sets OMP_NUM_THREADS)."""
    import faiss
    import torch

    return {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()}


if __name__ == "__main__":
    main(sys.argv[1:])
