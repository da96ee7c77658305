"""Small measuring helpers shared by every step: memory, percentiles, sizes on disk, machine facts.

Memory is read from the kernel (``/proc/self/status`` and ``getrusage``) rather than psutil,
which the project does not depend on.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Highest resident memory this process has had so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary_ms(seconds: list[float]) -> dict:
    """p50 / p95 / mean in milliseconds; percentiles because latency tails matter to users."""
    ms = np.asarray(seconds, dtype=float) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "mean": float(ms.mean()), "n": len(ms)}


def folder_bytes(path: str | Path) -> int:
    """Total size of the files under ``path`` (a symlinked index folder is followed)."""
    root = Path(path).resolve()
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def fresh(out: Path) -> None:
    """Remove an index and its build folders, so a build starts from nothing (our builder
    would otherwise reuse stored vectors and measure an incremental build)."""
    for path in (out, out.parent / f".{out.name}.builds", out.parent / f".{out.name}.lock"):
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)


def machine() -> dict:
    """CPU model, cores and RAM from /proc, so results can be compared across machines."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {"cpu_model": model, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "ram_gib": round(total_kib / 1024 ** 2, 1), "kernel": platform.release(),
            "python": platform.python_version()}


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on a shared machine skews timings."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
