"""Injectable time and randomness, so vault and audit are deterministic under test."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock for tests: starts at ``start`` and advances ``step`` per call."""

    start: datetime
    step: timedelta = timedelta(0)
    _calls: int = field(default=0, init=False)

    def now(self) -> datetime:
        value = self.start + self.step * self._calls
        self._calls += 1
        return value


RandomBytes = Callable[[int], bytes]


def system_random() -> RandomBytes:
    return os.urandom


def seeded_random(seed: int) -> RandomBytes:
    """Deterministic bytes for tests. Never use outside tests."""
    rng = random.Random(seed)
    return rng.randbytes
