"""The vault as a :class:`~clinvault.phi.base.Tokenizer` for one patient."""

from __future__ import annotations

from typing import Protocol


class TokenizingVault(Protocol):
    """The part of :class:`clinvault.vault.Vault` free-text pseudonymization needs."""

    def tokenize(self, patient_tok: str, kind: str, value: str) -> str: ...

    def shift_date_text(self, patient_tok: str, text: str) -> str | None: ...


class VaultTokenizer:
    """Reversible tokens and shifted dates scoped to one patient token."""

    def __init__(self, vault: TokenizingVault, patient_token: str) -> None:
        self._vault = vault
        self._patient = patient_token

    def tokenize(self, kind: str, value: str) -> str:
        return self._vault.tokenize(self._patient, kind, value)

    def shift_date(self, text: str) -> str | None:
        return self._vault.shift_date_text(self._patient, text)
