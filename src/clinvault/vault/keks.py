"""Key-encryption-key (KEK) versions and their rotation.

Each patient's data key (DEK) is stored wrapped (AES-GCM) by one KEK version; the patient
row names the version. Version 1 is derived from the master key (``KeyRing.kek``), as every
vault before versions had it. Versions 2, 3, ... are random keys, stored in the vault
wrapped by ``KeyRing.kek_wrap``; destroying one deletes its wrapped key.

Rotation (:meth:`KekRing.rotate`), resumable at any point:

1. a new random version is written as ``pending`` (its own transaction); new patients are
   wrapped by it from then on;
2. the DEKs still wrapped by an older version are re-wrapped to it in batches, one
   transaction each (the DEK itself, every sealed resource, token and index point stay as
   they are);
3. in one transaction, once no patient is left on an older version: the new version becomes
   ``active`` and every older one ``destroyed`` (its wrapped key deleted).

A process killed anywhere leaves every patient readable: each row names the version that
wrapped it, and no version is destroyed while a row still needs it. Running the rotation
again finds the ``pending`` version and finishes it.

Version 1 cannot be destroyed cryptographically (the master key derives it again); it is
marked ``destroyed`` and never used again. Rotating the master key itself is not done here
(the token, blind-index, audit and access sub-keys derive from it, so it needs the old
derivation kept; see docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clinvault import crypto
from clinvault.clock import Clock, RandomBytes
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.vault.store import KekRow, PatientRow, VaultStore

DERIVED_VERSION = 1
PENDING, ACTIVE, DESTROYED = "pending", "active", "destroyed"


@dataclass(frozen=True, slots=True)
class Rotation:
    """What one ``rotate`` call did."""

    version: int
    resumed: bool
    rewrapped: int
    destroyed: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class KekStatus:
    version: int
    state: str
    patients: int


class KekRing:
    """The vault's KEK versions over its store (in-process only, like the store)."""

    def __init__(self, store: VaultStore, keys: KeyRing, random: RandomBytes, clock: Clock) -> None:
        self._store = store
        self._keys = keys
        self._random = random
        self._clock = clock
        self._cache: dict[int, bytes] = {}

    # -- wrapping -----------------------------------------------------------------------------

    def _rows(self) -> dict[int, KekRow]:
        return {row.version: row for row in self._store.keks()}

    def _key(self, version: int, rows: dict[int, KekRow] | None = None) -> bytes:
        if version in self._cache:
            return self._cache[version]
        row = (rows if rows is not None else self._rows()).get(version)
        if row is not None and row.state == DESTROYED:
            raise VaultError("the key-encryption key was destroyed")
        if version == DERIVED_VERSION:
            key = self._keys.kek
        elif row is None or row.wrapped_key is None:
            raise VaultError("unknown key-encryption key version")
        else:
            key = crypto.Sealer(self._keys.kek_wrap, self._random).open(
                row.wrapped_key, _kek_aad(version)
            )
        self._cache[version] = key
        return key

    def current(self) -> int:
        """The version new data keys are wrapped by: the newest one not destroyed."""
        live = [v for v, row in self._rows().items() if row.state != DESTROYED]
        return max(live, default=DERIVED_VERSION)

    def wrap(self, patient_token: str, dek: bytes, version: int | None = None) -> tuple[int, bytes]:
        version = self.current() if version is None else version
        sealer = crypto.Sealer(self._key(version), self._random)
        return version, sealer.seal(dek, _dek_aad(patient_token, version))

    def unwrap(self, row: PatientRow) -> bytes:
        sealer = crypto.Sealer(self._key(row.kek_version), self._random)
        return sealer.open(row.wrapped_dek, _dek_aad(row.patient_token, row.kek_version))

    # -- rotation -----------------------------------------------------------------------------

    def status(self) -> list[KekStatus]:
        counts = self._store.kek_counts()
        rows = self._rows()
        if DERIVED_VERSION not in rows:
            rows[DERIVED_VERSION] = KekRow(DERIVED_VERSION, ACTIVE, None, self._clock.now())
        return [
            KekStatus(v, rows[v].state, counts.get(v, 0))
            for v in sorted(set(rows) | set(counts))
            if v in rows
        ]

    def rotate(
        self, *, batch: int = 200, progress: Callable[[int, int], None] | None = None
    ) -> Rotation:
        """Re-wrap every data key under a new KEK version, then destroy the older versions.

        ``progress(done, total)`` is called after each committed batch."""
        rows = self._rows()
        pending = [v for v, row in rows.items() if row.state == PENDING]
        resumed = bool(pending)
        if pending:
            target = max(pending)
        else:
            target = max([*rows, DERIVED_VERSION]) + 1
            key = crypto.new_key(self._random)
            wrapped = crypto.Sealer(self._keys.kek_wrap, self._random).seal(key, _kek_aad(target))
            with self._store.transaction():
                self._store.put_kek(KekRow(target, PENDING, wrapped, self._clock.now()))
        total = sum(n for v, n in self._store.kek_counts().items() if v != target)
        done = 0
        destroyed: tuple[int, ...] = ()
        while True:
            with self._store.transaction():
                todo = self._store.patients_not_on(target, batch)
                for row in todo:
                    _, rewrapped = self.wrap(row.patient_token, self.unwrap(row), target)
                    self._store.set_wrapped_dek(row.patient_token, target, rewrapped)
                if not todo:
                    destroyed = self._finish(target)
            if not todo:
                break
            done += len(todo)
            if progress is not None:
                progress(done, max(total, done))
        return Rotation(target, resumed, done, destroyed)

    def _finish(self, target: int) -> tuple[int, ...]:
        """Inside the transaction that saw no patient left on an older version."""
        now = self._clock.now()
        rows = self._rows()
        self._store.put_kek(
            KekRow(target, ACTIVE, rows[target].wrapped_key, rows[target].created_at)
        )
        destroyed = []
        older = set(rows) | {DERIVED_VERSION}
        for version in sorted(older - {target}):
            row = rows.get(version)
            if row is not None and row.state == DESTROYED:
                continue
            created = row.created_at if row is not None else now
            self._store.put_kek(KekRow(version, DESTROYED, None, created, now))
            self._cache.pop(version, None)
            destroyed.append(version)
        return tuple(destroyed)


def _dek_aad(patient_token: str, version: int) -> bytes:
    if version == DERIVED_VERSION:
        return f"dek|{patient_token}".encode()  # as vaults before KEK versions wrote it
    return f"dek|{patient_token}|kek-v{version}".encode()


def _kek_aad(version: int) -> bytes:
    return f"kek|v{version}".encode()
