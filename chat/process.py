"""Start a real ``dystonia chat`` process and wait until it answers.

For whatever runs the chat as a separate process: the test suite, the load test, and a
deployment of several replicas behind a proxy. The process is the real command, started
the way an operator would start it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_chat(index_dir: Path, feedback_db: str, log_path: Path, *extra: str, port: int | None = None,
               timeout: float = 120, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """A ``dystonia chat`` process on 127.0.0.1 (a free port unless given); returns (process, url).

    ``extra`` are more ``dystonia chat`` flags; ``env`` adds to (or overrides) this process's
    environment, e.g. ``TMPDIR`` and ``GRADIO_TEMP_DIR`` for a private temp folder. Raises
    RuntimeError with the end of its log if it exits or does not answer in time.
    """
    port = port or free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    command = [sys.executable, "-m", "cli", "chat", "--port", str(port), "--index", str(index_dir),
               "--feedback-db", feedback_db, *extra]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chat server exited early:\n{Path(log_path).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"chat server did not start within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Ask the process to stop; kill it if it does not within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
