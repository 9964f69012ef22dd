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
    id: int | None
    created_at: datetime
    resource_type: str
    message: str
    where_ct: bytes
    resource_ct: bytes


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
    def put_resources(self, rows: Sequence[ResourceRow]) -> None: ...

    def put_lookups(self, pairs: Sequence[tuple[str, str]]) -> None:
        """(lookup hash, patient token) pairs: the blind index for MRN, source id, ..."""

    def find_patients(self, lookup_hash: str) -> list[str]: ...

    def add_quarantine(self, row: QuarantineRow) -> None: ...
    def quarantined(self) -> list[QuarantineRow]: ...

    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


VAULT_STORES: Registry[VaultStore] = Registry(
    "vault store",
    {
        "sqlite": "clinvault.vault.store_sql:SqlVaultStore",
        "postgresql": "clinvault.vault.store_sql:SqlVaultStore",
    },
)
