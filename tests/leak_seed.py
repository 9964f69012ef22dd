"""Deterministic key material for the homes of leak tests (tests only).

A leak test searches what left the process (index, prompts, exports) for a patient's real
values. With fresh random keys per run, a patient's shifted date can equal a real date by
chance, so such a test fails once in many runs. Homes built through :func:`seeded_runtime`
draw their master key, data keys and date offsets from a seeded stream, so every run shifts
every date the same way and a failure is always a real leak. Production never seeds:
``Runtime.open`` without ``random=`` draws from ``os.urandom``.
"""

from __future__ import annotations

from typing import Any

from clinvault.clock import seeded_random
from clinvault.runtime import Runtime
from clinvault.settings import Settings

LEAK_TEST_SEED = 19


def seeded_runtime(settings: Settings, seed: int = LEAK_TEST_SEED, **kwargs: Any) -> Runtime:
    """``Runtime.open`` with a seeded random source: open the home with it before anything
    else creates the key file, so the key and every patient's offset come from the seed."""
    return Runtime.open(settings, random=seeded_random(seed), **kwargs)


def seed_the_cli(monkeypatch: Any, seed: int = LEAK_TEST_SEED) -> None:
    """Make runtimes the CLI opens in this test draw from a fresh seeded stream each, as
    :func:`seeded_runtime` does (``monkeypatch`` undoes it after the test)."""
    monkeypatch.setattr("clinvault.runtime.system_random", lambda: seeded_random(seed))
