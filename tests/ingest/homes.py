"""What two ingest homes hold, for comparing them exactly (tests only): index payloads,
vault rows without ciphertext or timestamps, and each patient's decrypted offset and
resources. Opening a home needs its master key (the caller's environment or key file)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault import Vault

ROW_QUERIES = {
    "patients": "SELECT patient_token, source_hash, kek_version FROM vault_patients",
    "tokens": "SELECT patient_token, token, value_hash, kind FROM vault_tokens",
    "resources": "SELECT record_id, patient_token, resource_type, resource_token, "
    "content_hash, chunk_ids FROM vault_resources",
    "lookups": "SELECT lookup_hash, patient_token FROM vault_lookups",
    "quarantine": "SELECT resource_type, patient_token FROM vault_quarantine",
    "erasures": "SELECT patient_token FROM vault_erasures",
}


def chunks(settings: Settings) -> list[dict[str, Any]]:
    """Every index payload, by chunk id."""
    with Runtime.open(settings) as runtime:
        return sorted((c.payload() for c in runtime.index.scroll()), key=lambda p: p["chunk_id"])


def vault_rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every vault row without ciphertext or timestamps (those differ by nonce and clock)."""
    with sqlite3.connect(settings.home / "vault" / "vault.db") as conn:
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in ROW_QUERIES.items()}


def opened(settings: Settings) -> dict[str, tuple[int, list[str]]]:
    """Per patient token: its date offset and its original resources, decrypted."""
    vault = Vault.open(settings)
    try:
        return {
            token: (
                vault.context_for_token(token).offset_days,
                sorted(json.dumps(r, sort_keys=True) for r in vault.patient_resources(token)),
            )
            for token in vault.patient_tokens()
        }
    finally:
        vault.close()


def hashing_settings(home: Path) -> Settings:
    """The settings of ``home`` with the hashing embedder (what the compared runs used)."""
    settings = Settings.load(home=home)
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedder": embedder})}
    )
