"""The vault's storage Protocol and its rows. Every row holds ciphertext or keyed hashes only.

Implementations: :mod:`clinvault.vault.store_sql` (SQLite embedded, PostgreSQL for scale),
chosen by ``settings.vault.backend`` through ``VAULT_STORES``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from clinvault.registry import Registry


@dataclass(frozen=True, slots=True)
class PatientRow:
    patient_token: str
    source_hash: str
    wrapped_dek: bytes
    offset_ct: bytes
    created_at: datetime
    kek_version: int = 1
    """The KEK version that wrapped ``wrapped_dek`` (:mod:`clinvault.vault.keks`)."""


@dataclass(frozen=True, slots=True)
class KekRow:
    """One key-encryption-key version. ``wrapped_key`` is ``None`` for version 1 (derived from
    the master key) and for a destroyed version."""

    version: int
    state: str
    """``pending`` (a rotation is re-wrapping to it), ``active``, or ``destroyed``."""
    wrapped_key: bytes | None
    created_at: datetime
    destroyed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenRow:
    patient_token: str
    token: str
    value_hash: str
    kind: str
    value_ct: bytes


@dataclass(frozen=True, slots=True)
class ResourceRow:
    record_id: str
    patient_token: str
    resource_type: str
    resource_token: str
    content_hash: str
    resource_ct: bytes
    chunk_ids: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A rejected input, sealed under the quarantine key with associated data binding each
    ciphertext to its row id and patient token (:meth:`clinvault.vault.Vault.quarantine`)."""

    id: int | None
    created_at: datetime
    resource_type: str
    message_ct: bytes | None
    """``None`` only on rows written before messages were sealed (``message`` holds those)."""
    where_ct: bytes
    resource_ct: bytes
    patient_token: str | None = None
    """The patient the input names, where known (a keyed token, never a source id)."""
    message: str = ""
    """Plain message of rows written before messages were sealed; empty on sealed rows."""


class VaultStore(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Writes inside the block commit together or not at all."""

    def get_patient(self, patient_token: str) -> PatientRow | None: ...
    def put_patient(self, row: PatientRow) -> None: ...
    def patients(self) -> Iterator[PatientRow]: ...
    def erase_patient(self, patient_token: str) -> int:
        """Delete the patient's key and every row of the patient; returns rows deleted."""

    def tokens_of(self, patient_token: str) -> list[TokenRow]: ...
    def get_token(self, patient_token: str, token: str) -> TokenRow | None: ...
    def put_tokens(self, rows: Sequence[TokenRow]) -> None: ...

    def get_resource(self, record_id: str) -> ResourceRow | None: ...
    def get_resources(self, record_ids: Sequence[str]) -> dict[str, ResourceRow]: ...
    def resource_by_token(self, resource_token: str) -> ResourceRow | None: ...
    def resources_of(self, patient_token: str) -> list[ResourceRow]: ...
    def add_erasure(self, patient_token: str, erased_at: datetime) -> None:
        """Remember that this patient token was erased (the token only: no key, no value)."""

    def is_erased(self, patient_token: str) -> bool: ...
    def remove_erasure(self, patient_token: str) -> None: ...
    def compact(self) -> None:
        """Reclaim freed pages so deleted ciphertext leaves the files (SQLite ``VACUUM``)."""

    # -- key-encryption-key versions --------------------------------------------------------

    def keks(self) -> list[KekRow]: ...
    def put_kek(self, row: KekRow) -> None:
        """Insert or replace a KEK version's row."""

    def set_wrapped_dek(self, patient_token: str, kek_version: int, wrapped_dek: bytes) -> None: ...
    def patients_not_on(self, kek_version: int, limit: int) -> list[PatientRow]:
        """Up to ``limit`` patients whose data key is wrapped by another KEK version."""

    def kek_counts(self) -> dict[int, int]:
        """Patients per KEK version."""

    def put_resources(self, rows: Sequence[ResourceRow]) -> None: ...

    def put_lookups(self, pairs: Sequence[tuple[str, str]]) -> None:
        """(lookup hash, patient token) pairs: the blind index for MRN, source id, ..."""

    def find_patients(self, lookup_hash: str) -> list[str]: ...

    def add_quarantine(self, row: QuarantineRow) -> int:
        """Insert ``row`` (its ciphertexts may be placeholders); returns the new row's id."""

    def seal_quarantine(
        self, row_id: int, *, message_ct: bytes, where_ct: bytes, resource_ct: bytes
    ) -> None:
        """Write the ciphertexts sealed for the row's id (same transaction as the insert)."""

    def quarantined(self) -> list[QuarantineRow]: ...
    def delete_quarantine(
        self, *, patient_token: str | None = None, before: datetime | None = None
    ) -> int:
        """Delete the quarantined inputs of one patient (erasure) or written before a time
        (retention); exactly one of the two is given. Returns rows deleted."""

    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


VAULT_STORES: Registry[VaultStore] = Registry(
    "vault store",
    {
        "sqlite": "clinvault.vault.store_sql:SqlVaultStore",
        "postgresql": "clinvault.vault.store_sql:SqlVaultStore",
    },
)
