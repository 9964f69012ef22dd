"""What the ask path reads about a patient besides the index: Consent and the egress check.

Before retrieval the ask service needs the patient's consent denials; before the model call
it needs to know that the prompt holds none of the patient's real values. In process both
come from the vault directly (:class:`InProcessChecks`): the Consent resources, and the
deny values the egress guard matches. A process whose vault is a separate service must not
hold those real values at all (issue 15), so there the vault service computes the denials
and screens the prompt itself, answering only "which Consent denies what" and "which kind
of hit in which message" (``clinvault.vault_service.remote.VaultScreen``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from clinvault.access.consent import ConsentDeny, consent_denies
from clinvault.ask.deny_values import deny_values
from clinvault.llm import Message
from clinvault.vault import VaultClient


class PatientChecks(Protocol):
    def consents(self, patient_token: str) -> list[ConsentDeny]:
        """The patient's consent denials (read before anything is retrieved)."""

    def deny_values(self, patient_token: str) -> list[str]:
        """The values the egress guard in this process matches (empty when the vault
        service screens prompts itself)."""

    def screen(self, patient_token: str, messages: Sequence[Message]) -> None:
        """Raise ``EgressBlocked`` when a prompt holds one of the patient's real values and
        this process could not check it itself; otherwise do nothing."""


@dataclass(frozen=True)
class InProcessChecks:
    """The embedded default: Consent resources and deny values straight from the vault."""

    vault: VaultClient

    def consents(self, patient_token: str) -> list[ConsentDeny]:
        if not self.vault.has_patient(patient_token):
            return []
        resources = self.vault.consent_resources(patient_token)
        return consent_denies(resources, self.vault.resource_token)

    def deny_values(self, patient_token: str) -> list[str]:
        return deny_values(self.vault, patient_token)

    def screen(self, patient_token: str, messages: Sequence[Message]) -> None:
        """Nothing more: the egress guard matched :meth:`deny_values` in this process."""
