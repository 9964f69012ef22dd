"""Per-principal rate limits: fixed one-minute windows, in-process by default, Redis when
``api.redis_url`` is set (so every worker and replica shares the count)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from clinvault.crypto import digest
from clinvault.errors import ConfigError

WINDOW_S = 60


class RateLimiter(Protocol):
    def allow(self, key: str) -> bool:
        """Count one request for ``key``; ``False`` once the window's budget is spent."""


class InProcessRateLimiter:
    def __init__(self, per_window: int, *, now: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_window
        self._now = now
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def allow(self, key: str) -> bool:
        window = int(self._now() // WINDOW_S)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= self._limit


class RedisRateLimiter:
    def __init__(
        self, client: redis.Redis, per_window: int, *, now: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._limit = per_window
        self._now = now

    def allow(self, key: str) -> bool:
        window = int(self._now() // WINDOW_S)
        # User names are workforce identities, but keys are hashed anyway: nothing to read.
        name = f"clinvault:ratelimit:{window}:{digest(key.encode())[:32]}"
        pipe = self._client.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_S * 2)
        count, _ = pipe.execute()
        return int(count) <= self._limit


def open_rate_limiter(per_window: int, redis_url: str | None) -> RateLimiter:
    if redis_url is None:
        return InProcessRateLimiter(per_window)
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        client.ping()
    except redis.RedisError:
        raise ConfigError("api.redis_url: the Redis server does not answer") from None
    return RedisRateLimiter(client, per_window)
