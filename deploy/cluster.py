"""Several ``dystonia chat`` replicas behind one nginx, started and stopped together.

The replicas are the real command (``chat.process.start_chat``), each on 127.0.0.1 with
``--trusted-proxy 127.0.0.1`` so it believes the client address nginx passes on, all
sharing one feedback store. The local launcher, the proxy tests and the load test use this
one class, so what the tests prove is what a maintainer runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chat.process import start_chat, stop
from deploy.nginx import DeployError, Nginx, Site
from indexer.store import read_manifest


@dataclass
class Replica:
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_feedback_store(location: str) -> None:
    """Refuse to start on a feedback store that cannot be opened: a replica would start anyway
    and drop every rating (it logs that, but nobody reads the logs of N replicas)."""
    from chat.feedback import open_store
    from common.errors import FeedbackError

    try:
        open_store(location).close()
    except FeedbackError as error:
        raise DeployError(f"the feedback store cannot be used: {error}") from None


class Cluster:
    """``len(ports)`` replicas and nginx on ``listen_port``; use as a context manager.

    ``folder`` receives the replicas' logs and nginx's prefix (config, logs, pid). ``extra``
    are more ``dystonia chat`` flags for every replica."""

    def __init__(self, index_dir: Path, feedback_db: str, folder: Path, ports: list[int], listen_port: int, *,
                 rate_limit: int = 30, concurrency: int = 2, extra: tuple[str, ...] = (),
                 show_upstream: bool = False, start_timeout: float = 180):
        self.index_dir, self.feedback_db, self.folder = Path(index_dir), feedback_db, Path(folder)
        self.rate_limit, self.concurrency, self.extra = rate_limit, concurrency, extra
        self.start_timeout = start_timeout
        self.replicas = [Replica(port, self.folder / f"replica-{port}.log") for port in ports]
        self.nginx = Nginx(self.folder / "nginx", Site(tuple(r.address for r in self.replicas),
                                                        listen=f"127.0.0.1:{listen_port}", rate_limit=rate_limit,
                                                        show_upstream=show_upstream))
        self.listen_port = listen_port
        self.url = f"http://127.0.0.1:{listen_port}/"

    def start(self) -> Cluster:
        """Start the replicas in parallel (each loads the model: tens of seconds), then nginx.
        Stops whatever started if anything fails, and says what failed in one line."""
        taken = [port for port in [r.port for r in self.replicas] + [self.listen_port] if not port_is_free(port)]
        if taken:
            raise DeployError(f"port {taken[0]} on 127.0.0.1 is in use: stop what uses it or choose other ports")
        read_manifest(self.index_dir)  # a replica without an index starts, but only to say it cannot answer
        check_feedback_store(self.feedback_db)
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with ThreadPoolExecutor(len(self.replicas)) as pool:
                list(pool.map(self._start_replica, self.replicas))
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_replica(self, replica: Replica) -> None:
        flags = ("--host", "127.0.0.1", "--trusted-proxy", "127.0.0.1", "--rate-limit", str(self.rate_limit),
                 "--concurrency", str(self.concurrency), *self.extra)
        try:
            replica.process, _ = start_chat(self.index_dir, self.feedback_db, replica.log, *flags, port=replica.port,
                                            timeout=self.start_timeout)
        except RuntimeError:
            raise DeployError(f"the replica on port {replica.port} did not start; its log: {replica.log}") from None

    def kill(self, replica: Replica) -> None:
        """SIGKILL, as a crash would: no goodbye to nginx or to the browsers."""
        if replica.process is not None and replica.process.poll() is None:
            os.kill(replica.process.pid, signal.SIGKILL)
            replica.process.wait()

    def dead(self) -> list[Replica]:
        """Replicas that were started and have since exited."""
        return [r for r in self.replicas if r.process is not None and r.process.poll() is not None]

    def stop(self) -> None:
        """nginx first (no new requests), then the replicas, all in parallel."""
        self.nginx.stop()
        running = [r.process for r in self.replicas if r.process is not None]
        if running:
            with ThreadPoolExecutor(len(running)) as pool:
                list(pool.map(lambda p: stop(p, timeout=20), running))

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
