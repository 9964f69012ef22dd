"""What earlier ingests know, answered from the vault (for cross-run reference linkage)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinvault.vault import VaultClient


@dataclass
class VaultPriorRecords:
    vault: VaultClient
    _cache: dict[str, str | None] = field(default_factory=dict)

    def patient_of(self, reference: str) -> str | None:
        if reference not in self._cache:
            self._cache[reference] = self._lookup(reference)
        return self._cache[reference]

    def _lookup(self, reference: str) -> str | None:
        if reference.startswith("Patient/"):
            return reference if self.vault.find_patient("patient", reference) else None
        return self.vault.patient_of(reference)
