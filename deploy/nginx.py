"""nginx in front of the chat replicas: render ``nginx.conf.template`` and run nginx as any user.

The template is the one config for every deployment; ``render_site`` fills in the replicas'
addresses, the address nginx listens on and the rate limit. ``Nginx`` runs it locally in a
folder of its own (``nginx -p PREFIX``: pid file, logs and temp files inside it), so a
maintainer or a test needs no root and touches nothing of a system nginx.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from common.errors import DystoniaError

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
INSTALL_HINT = "install it with apt-get install nginx"


class DeployError(DystoniaError):
    """The deployment cannot start or keep running; the message says why, in one line."""


@dataclass(frozen=True)
class Site:
    """What varies between deployments of the template."""

    upstreams: tuple[str, ...]  # the replicas, "127.0.0.1:7861", ...
    listen: str = "127.0.0.1:8080"
    server_names: tuple[str, ...] = ("localhost", "127.0.0.1")
    rate_limit: int = 30  # questions per client address per minute, as given to each replica; 0: none
    access_log: str = "logs/access.log"
    show_upstream: bool = False  # add X-Upstream (which replica answered) to every response: tests only


def render_site(site: Site) -> str:
    """The template with ``site`` filled in, ready to be included in nginx's ``http`` block.

    nginx's budget per address covers every event that joins Gradio's queue: the replicas
    allow ``rate_limit`` questions and as many ratings a minute, so nginx allows twice that,
    with a burst of ``rate_limit`` (a visitor reloading or asking quickly is not refused)."""
    if not site.upstreams:
        raise DeployError("no replicas to proxy to")
    servers = "\n".join(f"    server {address} max_fails=1 fail_timeout=10s;" for address in site.upstreams)
    limit = (f"        limit_req zone=dystonia_events burst={site.rate_limit} nodelay;\n"
             "        limit_req_status 429;") if site.rate_limit else "        # no limit_req: rate limit 0"
    headers = ["    add_header X-Upstream $upstream_addr always;"] if site.show_upstream else []
    values = {
        "UPSTREAM_SERVERS": servers,
        "LISTEN": site.listen,
        "SERVER_NAMES": " ".join(site.server_names),
        "ACCESS_LOG": site.access_log,
        "EVENTS_PER_MINUTE": str(2 * site.rate_limit or 1),
        "LIMIT_REQ": limit,
        "EXTRA_HEADERS": "\n".join(headers),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def main_config(prefix: Path, site_conf: Path) -> str:
    """A whole nginx.conf for a local run: everything nginx writes stays under ``prefix``."""
    temp = prefix / "temp"
    return "\n".join([
        "# Local run of the dystonia chat behind nginx; written by deploy/nginx.py.",
        "worker_processes 1;",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {prefix / 'logs' / 'error.log'};",
        "events { worker_connections 512; }",
        "http {",
        *(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        f"    include {site_conf};",
        "}", ""])


def find_nginx() -> str:
    """The nginx binary (on PATH or in /usr/sbin, where Debian puts it, often off a user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")
    if not found:
        raise DeployError(f"nginx not found: {INSTALL_HINT}")
    return found


class Nginx:
    """nginx serving ``site`` from its own folder ``prefix``, in the foreground as our child."""

    def __init__(self, prefix: Path, site: Site):
        self.prefix, self.site = Path(prefix).resolve(), site
        self.binary = find_nginx()
        self.process: subprocess.Popen | None = None

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    @property
    def access_log(self) -> Path:
        return self.prefix / self.site.access_log

    def _command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", f"{self.prefix}/", "-c", str(self.conf), "-e", str(self.error_log), *extra]

    def write_config(self) -> None:
        for folder in ("logs", "temp"):
            (self.prefix / folder).mkdir(parents=True, exist_ok=True)
        site_conf = self.prefix / "dystonia.conf"
        site_conf.write_text(render_site(self.site), encoding="utf-8")
        self.conf.write_text(main_config(self.prefix, site_conf), encoding="utf-8")

    def start(self, timeout: float = 20) -> str:
        """Check the config, start nginx and wait until it answers; returns its URL."""
        self.write_config()
        check = subprocess.run(self._command("-t", "-q"), capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            lines = [line for line in check.stderr.splitlines() if "[emerg]" in line] or check.stderr.splitlines()
            raise DeployError(f"nginx refused the config: {lines[0] if lines else 'no reason given'}")
        with open(self.prefix / "logs" / "nginx.out", "w") as out:
            self.process = subprocess.Popen(self._command("-g", "daemon off;"), stdout=out, stderr=subprocess.STDOUT)
        url = f"http://{self.site.listen}/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DeployError(f"nginx stopped at start: {self._last_error()}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return url
            except urllib.error.HTTPError:
                return url  # nginx answered (a replica may still be warming up)
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise DeployError(f"nginx did not answer on {url} within {timeout:.0f} s: {self._last_error()}")

    def _last_error(self) -> str:
        text = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        text += (self.prefix / "logs" / "nginx.out").read_text(errors="replace") \
            if (self.prefix / "logs" / "nginx.out").exists() else ""
        lines = [line for line in text.splitlines() if "[emerg]" in line or "[alert]" in line]
        return lines[-1] if lines else f"see {self.error_log}"

    def stop(self, timeout: float = 10) -> None:
        """Fast shutdown (SIGTERM); kill if nginx does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
