"""Deterministic resource ids: uuid5 over (seed, scope, resource type, counter).

Never ``uuid4`` and never the clock, so the same seed gives byte-identical bundles.
"""

from __future__ import annotations

import uuid

SYNTH_NAMESPACE = uuid.UUID("6f1c2b1e-5d0a-4c55-9a7e-3f0b8c2d9e41")


class IdFactory:
    """Ids for one scope (a patient, the staff of a city); counters per resource type."""

    def __init__(self, seed: int, scope: str) -> None:
        self._prefix = f"{seed}/{scope}"
        self._counts: dict[str, int] = {}

    def new(self, resource_type: str) -> str:
        count = self._counts.get(resource_type, 0)
        self._counts[resource_type] = count + 1
        return str(uuid.uuid5(SYNTH_NAMESPACE, f"{self._prefix}/{resource_type}/{count}"))

    def named(self, name: str) -> str:
        return str(uuid.uuid5(SYNTH_NAMESPACE, f"{self._prefix}/{name}"))
