"""Limits per client address, kept in memory (one chat process).

Limits are keyed by the client's address, never by Gradio's session id: a script can open a
new session for every request, but not cheaply a new address. ``client_key`` turns an
address into that key (an IPv6 client is one /64, the block a single site is given).
Memory stays bounded: each limiter keeps at most ``max_keys`` addresses, dropping the one
idle longest.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque

DEFAULT_MAX_KEYS = 50_000


def client_key(address: str | None) -> str:
    """The rate-limit key of a client address: the IPv4 address, or the IPv6 /64 it is in;
    anything that is not an IP address (a Unix socket, a test client) is used as it is."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter:
    """A sliding window: at most ``limit`` events per key in ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float = 60.0, clock=time.monotonic,
                 max_keys: int = DEFAULT_MAX_KEYS):
        self.limit, self.window, self.clock, self.max_keys = limit, window_seconds, clock, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()  # least recently active first
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an attempt by ``key``; False if it already made ``limit`` in the window."""
        if self.limit <= 0:
            return True
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            self._events.move_to_end(key)
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


class Backoff:
    """Exponential back-off after failures: after the n-th failure in a row, a key is refused
    for ``min(cap, base * 2**(n-1))`` seconds. Success resets it; so does ``forget_after``
    seconds without a failure. At most ``max_keys`` keys are remembered."""

    def __init__(self, base: float = 1.0, cap: float = 300.0, forget_after: float = 3600.0,
                 max_keys: int = DEFAULT_MAX_KEYS, clock=time.monotonic):
        self.base, self.cap, self.forget_after, self.max_keys, self.clock = base, cap, forget_after, max_keys, clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (in a row, last failure)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            failures, last = self._current(key, now)
        if failures == 0:
            return 0.0
        return max(0.0, min(self.cap, self.base * 2.0 ** min(failures - 1, 64)) - (now - last))

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            failures, _ = self._current(key, now)
            self._failures[key] = (failures + 1, now)
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _current(self, key: str, now: float) -> tuple[int, float]:
        failures, last = self._failures.get(key, (0, 0.0))
        return (failures, last) if failures and now - last < self.forget_after else (0, 0.0)
