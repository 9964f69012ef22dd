"""Rate limits in fixed one-minute windows, in-process by default, Redis when
``api.redis_url`` is set (so every worker and replica shares the count).

Two layers:

* :class:`PreAuthLimits`, checked before a token is verified: requests per client address,
  requests per token fingerprint (a hash of the bearer token, never the token), and failed
  authentications per client address. A flood of bad tokens is answered 429 (with
  ``Retry-After``) after a handful of 401s, and costs neither verification nor audit rows.
* the per-principal budget, spent once the token verified (:func:`clinvault.api.deps.authenticate`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from clinvault.crypto import digest
from clinvault.errors import ConfigError
from clinvault.settings import ApiSettings

WINDOW_S = 60


class RateLimiter(Protocol):
    def allow(self, key: str) -> bool:
        """Count one request for ``key``; ``False`` once the window's budget is spent."""

    def spent(self, key: str) -> bool:
        """``True`` when ``key`` has used its whole budget in this window (counts nothing)."""

    def retry_after_s(self) -> int:
        """Whole seconds until the current window ends (at least 1)."""


def _retry_after(now: float) -> int:
    return max(1, math.ceil(WINDOW_S - now % WINDOW_S))


class InProcessRateLimiter:
    def __init__(self, per_window: int, *, now: Callable[[], float] = time.time) -> None:
        self._limit = per_window
        self._now = now
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def _roll(self) -> None:
        window = int(self._now() // WINDOW_S)
        if window != self._window:
            self._window, self._counts = window, {}

    def allow(self, key: str) -> bool:
        with self._lock:
            self._roll()
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= self._limit

    def spent(self, key: str) -> bool:
        with self._lock:
            self._roll()
            return self._counts.get(key, 0) >= self._limit

    def retry_after_s(self) -> int:
        return _retry_after(self._now())


class RedisRateLimiter:
    def __init__(
        self,
        client: redis.Redis,
        per_window: int,
        *,
        namespace: str = "ratelimit",
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._limit = per_window
        self._namespace = namespace
        self._now = now

    def _name(self, key: str) -> str:
        window = int(self._now() // WINDOW_S)
        # Keys are hashed: client addresses and token fingerprints are nothing to read.
        return f"clinvault:{self._namespace}:{window}:{digest(key.encode())[:32]}"

    def allow(self, key: str) -> bool:
        name = self._name(key)
        pipe = self._client.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_S * 2)
        count, _ = pipe.execute()
        return int(count) <= self._limit

    def spent(self, key: str) -> bool:
        value = self._client.get(self._name(key))
        return value is not None and int(value) >= self._limit

    def retry_after_s(self) -> int:
        return _retry_after(self._now())


def token_fingerprint(token: str) -> str:
    """What the limiter keys a bearer token by: a hash, so no token is held in memory."""
    return digest(token.encode())[:32]


@dataclass(frozen=True)
class PreAuthLimits:
    clients: RateLimiter
    """Every request, per client address."""
    tokens: RateLimiter
    """Every request that carries a bearer token, per token fingerprint."""
    failures: RateLimiter
    """Failed authentications (401), per client address."""

    def refusal(self, client: str, token: str | None) -> str | None:
        """The reason code to refuse with (429), or ``None`` to go on to authentication."""
        if self.failures.spent(client):
            return "too-many-failed-authentications"
        if not self.clients.allow(client):
            return "rate-limited-client"
        if token is not None and not self.tokens.allow(token_fingerprint(token)):
            return "rate-limited-token"
        return None

    def failed(self, client: str) -> None:
        """Count one failed authentication for ``client``."""
        self.failures.allow(client)

    def retry_after_s(self) -> int:
        return self.clients.retry_after_s()


def _redis_client(redis_url: str) -> redis.Redis:
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        client.ping()
    except redis.RedisError:
        raise ConfigError("api.redis_url: the Redis server does not answer") from None
    return client


def open_rate_limiter(per_window: int, redis_url: str | None) -> RateLimiter:
    if redis_url is None:
        return InProcessRateLimiter(per_window)
    return RedisRateLimiter(_redis_client(redis_url), per_window)


def open_preauth_limits(api: ApiSettings) -> PreAuthLimits:
    budgets = {
        "clients": api.client_rate_limit_per_minute,
        "tokens": api.rate_limit_per_minute,
        "failures": api.auth_failures_per_minute,
    }
    if api.redis_url is None:
        return PreAuthLimits(**{n: InProcessRateLimiter(b) for n, b in budgets.items()})
    client = _redis_client(api.redis_url)
    return PreAuthLimits(
        **{n: RedisRateLimiter(client, b, namespace=f"preauth-{n}") for n, b in budgets.items()}
    )
