"""Scaled out behind nginx: two real ``dystonia chat`` replicas, one PostgreSQL feedback store,
nginx with the config of ``deploy/nginx.conf.template``, started by ``deploy.cluster`` the way
``python -m deploy.local`` starts them.

One deployment serves the module (starting a replica loads the model); the test that kills a
replica runs last. The address tests put nginx in front of a chat served in this process (the
tiny index), where what the chat saw can be recorded.
"""

import json
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from chat.handlers import Chat
from chat.process import free_port
from chat.settings import Settings
from deploy.cluster import Cluster, Replica
from deploy.nginx import DeployError, Nginx, Site, find_nginx, render_site
from tests.conftest import ARTIFACTS, REPO, need
from tests.helpers import local_chat

QUESTION = "What is focal dystonia?"


def nginx_found() -> bool:
    try:
        find_nginx()
    except DeployError:
        return False
    return True


def need_nginx() -> None:
    need(nginx_found(), "nginx not found (apt-get install nginx)")


@pytest.fixture(scope="module")
def cluster(index_dir, postgres_url, tmp_path_factory):
    """Two replicas behind nginx, no rate limit (every simulated user comes from 127.0.0.1),
    with X-Upstream on every response so a test can see which replica answered."""
    need_nginx()
    deployment = Cluster(index_dir, postgres_url, tmp_path_factory.mktemp("deploy"), [free_port(), free_port()],
                         free_port(), rate_limit=0, show_upstream=True)
    try:
        deployment.start()
    except DeployError as error:
        pytest.fail(str(error))
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def cookie_for(cluster) -> dict[str, str]:
    """An affinity cookie value that nginx maps to each replica: {replica address: value}."""
    found: dict[str, str] = {}
    for n in range(200):
        upstream = httpx.get(cluster.url + "config", cookies={"dystonia_replica": f"visitor-{n}"}).headers["x-upstream"]
        found.setdefault(upstream, f"visitor-{n}")
        if len(found) == len(cluster.replicas):
            return found
    pytest.fail(f"nginx sent 200 visitors to {sorted(found)} only")


def client(url: str, cookie: str | None = None, headers: dict[str, str] | None = None):
    from gradio_client import Client

    cookies = {"cookies": {"dystonia_replica": cookie}} if cookie else None
    return Client(url, verbose=False, analytics_enabled=False, headers=headers, httpx_kwargs=cookies)


def ask(gradio_client, question: str = QUESTION) -> list:
    messages, _, _ = gradio_client.submit(question, "patient", api_name="/ask").result(timeout=60)
    return messages


# --- the config -------------------------------------------------------------------------------

def test_the_config_pins_a_browser_by_cookie_fails_over_and_logs_no_query_strings(tmp_path):
    conf = render_site(Site(("127.0.0.1:7861", "127.0.0.1:7862"), rate_limit=30))
    directives = [line.split("#")[0].strip() for line in conf.splitlines() if line.split("#")[0].strip()]
    for expected in ["hash $dystonia_affinity consistent;", "proxy_buffering off;", "client_max_body_size 64k;",
                     "proxy_set_header X-Forwarded-For $remote_addr;", "proxy_set_header X-Forwarded-Proto $scheme;",
                     "proxy_set_header X-Forwarded-Host $http_host;", "proxy_next_upstream error timeout;",
                     "proxy_read_timeout 1h;", "limit_req zone=dystonia_events burst=30 nodelay;",
                     "add_header Set-Cookie $dystonia_set_affinity always;",
                     "proxy_set_header Upgrade $http_upgrade;"]:
        assert expected in directives
    assert not any(d.startswith(("ip_hash", "proxy_cache", "sticky")) for d in directives)
    assert "$proxy_add_x_forwarded_for" not in conf
    log_format = conf[conf.index("log_format"):conf.index(";", conf.index("log_format"))]
    assert not re.search(r"\$(request|request_uri|args|query_string|arg_\w+|http_cookie|cookie_\w+|http_referer)\b",
                         log_format)
    need_nginx()
    nginx = Nginx(tmp_path, Site(("127.0.0.1:7861",)))
    nginx.write_config()
    check = subprocess.run([nginx.binary, "-t", "-q", "-p", f"{tmp_path}/", "-c", str(nginx.conf), "-e",
                            str(nginx.error_log)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_without_nginx_the_launcher_says_how_to_install_it_in_one_line(monkeypatch, capsys):
    from deploy import local

    monkeypatch.setattr("deploy.nginx.shutil.which", lambda *args, **kwargs: None)
    assert local.main(["--feedback-db", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    err = capsys.readouterr().err
    assert err == "error: nginx not found: install it with apt-get install nginx\n"


# --- through nginx ------------------------------------------------------------------------------

def test_the_affinity_cookie_comes_with_the_first_response_and_pins_the_replica(cluster, cookie_for):
    first = httpx.get(cluster.url + "config")
    cookie = first.cookies.get("dystonia_replica")
    assert first.status_code == 200 and cookie and re.fullmatch(r"[0-9a-f]{32}", cookie)
    assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=Lax" in first.headers["set-cookie"]
    again = [httpx.get(cluster.url + path, cookies={"dystonia_replica": cookie}) for path in ("", "config") * 3]
    assert {r.headers["x-upstream"] for r in again} == {first.headers["x-upstream"]}
    assert all("set-cookie" not in r.headers for r in again)  # set once, on the very first response
    assert set(cookie_for) == {r.address for r in cluster.replicas}  # both replicas take visitors
    for address, value in cookie_for.items():
        assert {httpx.get(cluster.url + "config", cookies={"dystonia_replica": value}).headers["x-upstream"]
                for _ in range(5)} == {address}


def test_each_visitor_gets_answers_with_disclaimers_and_keeps_its_conversation(cluster, cookie_for):
    """A gradio_client visitor keeps the cookie from /config; its follow-up is answered by the
    replica that holds its conversation (two turns: four messages)."""
    log_start = cluster.nginx.access_log.stat().st_size
    sessions = []
    for cookie in [None, *cookie_for.values()]:
        visitor = client(cluster.url, cookie)
        try:
            assert str(ask(visitor)[-1]["content"]).count("class='disclaimer'") == 1
            follow_up = ask(visitor, "Can botox help with it?")
            assert len(follow_up) == 4 and "class='disclaimer'" in str(follow_up[-1]["content"])
            assert "saved" in visitor.submit("up", "through nginx", api_name="/feedback").result(timeout=60)
            sessions.append(visitor.session_hash)
        finally:
            visitor.close()
    log = cluster.nginx.access_log.read_text()[log_start:]
    assert "POST /gradio_api/queue/join" in log
    assert "?" not in log and not any(session in log for session in sessions)  # no query strings, no session ids
    served = {line.rsplit("upstream=", 1)[1] for line in log.splitlines() if "queue/join" in line}
    assert served == {r.address for r in cluster.replicas}


# --- client addresses and the rate limit --------------------------------------------------------------

class RecordingChat(Chat):
    """The chat, noting the client address each question arrived with."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses: list[str] = []

    def respond(self, question, audience, session_id, client=""):
        self.addresses.append(client)
        return super().respond(question, audience, session_id, client)


@contextmanager
def chat_behind_nginx(chat: Chat, settings: Settings, folder: Path, nginx_rate_limit: int):
    """The chat served in this process (tiny index, trusting 127.0.0.1 as its proxy) and nginx in
    front of it; yields (nginx URL, the chat's own URL)."""
    need_nginx()
    with local_chat(chat, replace(settings, trusted_proxies=("127.0.0.1/32",))) as direct:
        nginx = Nginx(folder, Site((urlsplit(direct).netloc,), listen=f"127.0.0.1:{free_port()}",
                                   rate_limit=nginx_rate_limit))
        try:
            yield nginx.start(), direct
        finally:
            nginx.stop()


def ask_once(url: str, forwarded_for: str) -> str:
    """One question from a brand-new visitor claiming an address: its answer, or the refusal."""
    visitor = client(url, headers={"X-Forwarded-For": forwarded_for})
    try:
        return str(ask(visitor)[-1]["content"])
    except httpx.HTTPStatusError as error:
        return f"HTTP {error.response.status_code}"
    finally:
        visitor.close()


def test_the_chat_sees_the_address_nginx_saw_and_never_what_the_client_claimed(tiny_assistant, tmp_path):
    settings = Settings(rate_limit=2)
    chat = RecordingChat(tiny_assistant, None, settings)
    with chat_behind_nginx(chat, settings, tmp_path, nginx_rate_limit=0) as (proxied, direct):
        ask_once(direct, "203.0.113.50")  # from its trusted proxy the chat believes the header...
        through_nginx = [ask_once(proxied, f"203.0.113.{n}") for n in range(3)]  # ...nginx overwrites it
    assert chat.addresses == ["203.0.113.50", "127.0.0.1", "127.0.0.1", "127.0.0.1"]
    assert ["very quickly" in answer for answer in through_nginx] == [False, False, True]  # one address, one budget


def test_nginx_limits_each_client_address_across_replicas(tiny_assistant, tmp_path):
    """nginx allows twice the per-replica question budget in events (questions and ratings), with
    a burst of one budget; past that it answers 429, whatever address the client claims."""
    settings = Settings(rate_limit=2)
    with chat_behind_nginx(Chat(tiny_assistant, None, settings), settings, tmp_path, nginx_rate_limit=2) as (url, _):
        outcomes = [ask_once(url, f"198.51.100.{n}") for n in range(5)]
    assert ["very quickly" in outcome for outcome in outcomes[:3]] == [False, False, True]  # the chat's own limit
    assert outcomes[3:] == ["HTTP 429", "HTTP 429"]  # nginx's, shared by every replica


# --- a replica dies under load (runs last: it kills one) ---------------------------------------------------

def joins_per_replica(log: Path, start: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in log.read_text()[start:].splitlines():
        if "POST /gradio_api/queue/join" in line:
            upstream = line.rsplit("upstream=", 1)[1]
            counts[upstream] = counts.get(upstream, 0) + 1
    return counts


def test_killing_a_replica_mid_load_keeps_answering_and_loses_no_acknowledged_rating(cluster, cookie_for,
                                                                                       postgres_url, tmp_path):
    users, seconds, kill_after = 8, 30, 10
    log_start = cluster.nginx.access_log.stat().st_size
    out = tmp_path / "load.json"
    load = subprocess.Popen([sys.executable, "-m", "benchmarks.loadtest", "--url", cluster.url, "--feedback-db",
                             postgres_url, "--users", str(users), "--seconds", str(seconds), "--feedback-every", "2",
                             "--processes", "2", "--timeline", "--out", str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(kill_after)
        busiest = max(joins_per_replica(cluster.nginx.access_log, log_start).items(), key=lambda item: item[1])[0]
        victim: Replica = next(r for r in cluster.replicas if r.address == busiest)
        pinned = client(cluster.url, cookie_for[victim.address])  # a page whose conversation is on the victim
        assert len(ask(pinned)) == 2
        killed_at = time.time()
        cluster.kill(victim)
        after_kill = ask(pinned, "Is dystonia inherited?")  # the same page, its next question
        pinned.close()
        output, _ = load.communicate(timeout=seconds + 150)
    finally:
        if load.poll() is None:
            load.kill()
    [report] = json.loads(out.read_text())
    failed = [(start, end) for start, end, answered in report["timeline"] if not answered]
    window = max((end for _, end in failed), default=killed_at) - killed_at
    answered_after = [start for start, _, answered in report["timeline"] if answered and start > killed_at + window]
    failover = [line for line in cluster.nginx.access_log.read_text()[log_start:].splitlines()
                if f"upstream={victim.address}, " in line]
    summary = {"users": users, "killed_after_s": kill_after, "questions": len(report["timeline"]),
               "failed": len(failed), "failover_window_s": round(window, 2),
               "answered_after_window": len(answered_after),
               "ratings_acknowledged": report["feedback_acknowledged"], "ratings_found": report["feedback_found"],
               "requests_failed_over_by_nginx": len(failover), "error_samples": report["error_samples"]}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "proxy-failover.json").write_text(json.dumps(summary, indent=1))
    assert "class='disclaimer'" in str(after_kill[-1]["content"]) and len(after_kill) == 2  # a new conversation
    assert failover, "nginx never retried a request on the survivor"
    assert len(failed) <= users, (summary, output[-2000:])  # at most the questions in flight on the victim
    assert window < 15, summary
    assert len(answered_after) >= users, summary
    assert report["feedback_acknowledged"] >= users and report["feedback_found"] == report["feedback_acknowledged"]
