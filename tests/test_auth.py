"""Logins (``--auth-file``): wrong passwords are refused, guessing backs off, timing does not
reveal who has an account, and hashing never stalls the questions of signed-in users."""

import asyncio
import inspect
import random
import statistics
import threading
import time

import httpx
import pytest

from chat import auth
from chat.auth import add_user, login_check, verifier
from chat.handlers import Chat
from chat.process import start_chat, stop
from chat.ratelimit import Backoff
from chat.settings import Settings
from tests.helpers import local_chat

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users"
    add_user(path, "alice", PASSWORD)
    add_user(path, "bob", PASSWORD + " 2")
    return path


def login(url: str, username: str, password: str, address: str | None = None) -> httpx.Response:
    """Gradio's login form as the browser posts it (multipart), optionally relayed by a proxy for ``address``."""
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(url + "login", files={"username": (None, username), "password": (None, password)},
                      headers=headers, timeout=30)


def test_the_check_is_a_coroutine_function_so_gradio_awaits_it(users):
    """Gradio calls any other callable without awaiting it; the coroutine object is truthy: any password would pass."""
    assert inspect.iscoroutinefunction(login_check(users))


def test_a_wrong_password_or_an_unknown_user_is_refused_and_the_right_one_accepted(tiny_assistant, users):
    settings = Settings(rate_limit=0, auth_file=users)
    with local_chat(Chat(tiny_assistant, None, settings), settings) as url:
        assert httpx.get(url + "config").status_code == 401
        wrong = login(url, "alice", "not the password")
        time.sleep(1.1)
        unknown = login(url, "mallory", PASSWORD)
        time.sleep(2.1)
        right = login(url, "alice", PASSWORD)
        config = httpx.get(url + "config", cookies=right.cookies)
    assert (wrong.status_code, wrong.json()["detail"]) == (400, "Incorrect credentials.")
    assert (unknown.status_code, unknown.json()["detail"]) == (400, "Incorrect credentials.")
    assert right.status_code == 200 and config.status_code == 200


def test_failed_logins_back_off_exponentially_even_for_the_right_password(users, monkeypatch):
    monkeypatch.setattr(auth, "REFUSAL_DELAY", 0)
    now = [0.0]
    check = login_check(users, Backoff(base=1, cap=8, clock=lambda: now[0]))

    def attempt(password: str) -> str:
        try:
            return "accepted" if asyncio.run(check("alice", password)) else "wrong"
        except Exception as refusal:
            return f"refused for {refusal.headers['Retry-After']} s"

    timeline = []
    for waited in (0, 0, 1, 0, 2, 0, 4, 0, 8, 0, 8):
        now[0] += waited
        timeline.append(attempt("guess" if timeline.count("wrong") < 5 else PASSWORD))
    assert timeline == ["wrong", "refused for 1 s", "wrong", "refused for 2 s", "wrong", "refused for 4 s", "wrong",
                        "refused for 8 s", "wrong", "refused for 8 s", "accepted"]
    assert attempt("guess") == "wrong" and attempt(PASSWORD) == "refused for 1 s"  # success started over


def test_back_off_counts_per_username_and_per_client_address(tiny_assistant, users, monkeypatch):
    monkeypatch.setattr(auth, "REFUSAL_DELAY", 0)  # the four attempts fit in the first one-second lock
    settings = Settings(rate_limit=0, auth_file=users, trusted_proxies=("127.0.0.1/32",))
    with local_chat(Chat(tiny_assistant, None, settings), settings) as url:
        guess = login(url, "alice", "guess", address="203.0.113.1")
        same_address_other_user = login(url, "bob", PASSWORD + " 2", address="203.0.113.1")
        same_user_other_address = login(url, "alice", PASSWORD, address="198.51.100.2")
        unrelated = login(url, "bob", PASSWORD + " 2", address="198.51.100.3")
    assert guess.json()["detail"] == "Incorrect credentials."
    for refused in (same_address_other_user, same_user_other_address):
        assert refused.status_code == 400 and "Too many failed sign-ins" in refused.json()["detail"]
        assert refused.headers["Retry-After"] == "1"
    assert unrelated.status_code == 200


def test_an_unknown_username_costs_the_same_as_a_wrong_password(users):
    verify = verifier(users)

    def seconds(username: str) -> float:
        started = time.perf_counter()
        assert not verify(username, "wrong password")
        return time.perf_counter() - started

    known, unknown = [], []
    for _ in range(8):
        known.append(seconds("alice"))
        unknown.append(seconds("nobody-here"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.7 < ratio < 1.43, (known, unknown)  # without the dummy hash it is near 0


def test_hammered_logins_do_not_stall_a_signed_in_users_questions(index_dir, users, tmp_path):
    """16 clients guess passwords, half of them through the trusted proxy from a new address
    with a new username every time (each guess costs a full hash), while a signed-in user asks."""
    from gradio_client import Client

    process, url = start_chat(index_dir, str(tmp_path / "feedback.sqlite3"), tmp_path / "server.log",
                              "--auth-file", str(users), "--trusted-proxy", "127.0.0.1", "--rate-limit", "0")
    stop_hammering = threading.Event()

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=60) as client:
            while not stop_hammering.is_set():
                spoof = seed % 2 == 0
                headers = {"X-Forwarded-For": f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"} if spoof else {}
                client.post(url + "login", data={"username": f"user{rng.randrange(10**6)}" if spoof else "alice",
                                                 "password": "guess"}, headers=headers)

    try:
        user = Client(url, auth=("alice", PASSWORD), verbose=False, analytics_enabled=False)

        def latencies(count: int = 8) -> list[float]:
            out = []
            for n in range(count):
                started = time.perf_counter()
                user.predict(f"what is focal dystonia? ({n})", "patient", api_name="/ask")
                out.append(time.perf_counter() - started)
            return out

        latencies(2)
        calm = latencies()
        hammerers = [threading.Thread(target=hammer, args=(seed,)) for seed in range(16)]
        for thread in hammerers:
            thread.start()
        time.sleep(2)
        hammered = latencies()
        stop_hammering.set()
        for thread in hammerers:
            thread.join()
        user.close()
    finally:
        stop_hammering.set()
        stop(process)
    assert statistics.median(hammered) < 2 * statistics.median(calm) + 0.5, (calm, hammered)
