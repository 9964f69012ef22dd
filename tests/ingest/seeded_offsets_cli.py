"""``clinvault`` with each new patient's date offset drawn from a seed and its token (tests only).

A patient's date offset is random (``os.urandom``) and decided when the patient is first
written. The crash-resume test compares a killed-and-restarted ingest with a clean ingest in
another home: patients committed before a kill keep the offsets drawn then, the others get
theirs on a later run, so with a random (or one seeded stream per process) source the two
homes would shift dates differently and their chunks could never be compared exactly. Here
the offset of patient ``PT-…`` comes from ``CLINVAULT_TEST_OFFSET_SEED`` and that token only,
whatever ran before; everything else (data keys, nonces) stays as production draws it.

Run as ``python tests/ingest/seeded_offsets_cli.py ARGS...`` (the arguments of ``clinvault``).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from clinvault.clock import seeded_random
from clinvault.vault.vault import Vault

SEED_ENV = "CLINVAULT_TEST_OFFSET_SEED"


def install(seed: str) -> None:
    original_context = Vault._context
    original_offset = Vault._new_offset

    def _context(self: Vault, token: str, create_ref: str | None, **kwargs: Any) -> Any:
        digest = hashlib.sha256(f"{seed}|{token}".encode()).digest()
        self._offset_random = seeded_random(int.from_bytes(digest[:8], "big"))  # type: ignore[attr-defined]
        return original_context(self, token, create_ref, **kwargs)

    def _new_offset(self: Vault) -> int:
        drawn, self._random = self._random, self._offset_random  # type: ignore[attr-defined]
        try:
            return original_offset(self)
        finally:
            self._random = drawn

    Vault._context = _context  # type: ignore[method-assign]
    Vault._new_offset = _new_offset  # type: ignore[method-assign]


if __name__ == "__main__":
    install(os.environ[SEED_ENV])
    from clinvault.cli.main import run

    run()
