"""Each patient's identifiers for leak checks: the vault's known values plus the PHI planted
in a synthetic ``truth.jsonl`` (which also lists free-text-only values the vault never saw)."""

from __future__ import annotations

from typing import Any

from clinvault.eval.metrics.privacy import identifier_matcher
from clinvault.vault import VaultClient
from clinvault.vault.identifiers import IdentifierMatcher, KnownValue


def patient_matcher(
    vault: VaultClient, patient_token: str, truth: dict[str, Any] | None = None
) -> IdentifierMatcher:
    values = vault.known_values(patient_token)
    for entry in (truth or {}).get("phi") or []:
        if entry.get("type") not in ("BIRTH_DATE", "DATE"):
            values.append(KnownValue(str(entry["type"]), str(entry["value"])))
    return identifier_matcher(values)
