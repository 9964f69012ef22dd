"""Encryption of the audit record's free-text fields (the question, the break-glass reason).

AES-256-GCM through :class:`clinvault.crypto.Sealer` with the audit key. The associated
data binds each ciphertext to its record's response id and to the field name, so a
ciphertext copied into another record, or into the other field, does not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clinvault.clock import RandomBytes
from clinvault.crypto import Sealer

SealedField = Literal["question", "break_glass_reason"]
AAD_PREFIX = "clinvault/audit/v1"


def field_aad(response_id: str, name: SealedField) -> bytes:
    return f"{AAD_PREFIX}\x1f{response_id}\x1f{name}".encode()


@dataclass(frozen=True)
class FieldSealer:
    key: bytes
    random: RandomBytes

    def seal(self, response_id: str, name: SealedField, text: str) -> bytes:
        return Sealer(self.key, self.random).seal(
            text.encode("utf-8"), field_aad(response_id, name)
        )

    def open(self, response_id: str, name: SealedField, blob: bytes) -> str:
        """Raises :class:`VaultError` (which says nothing more) if the blob does not open."""
        plain = Sealer(self.key, self.random).open(blob, field_aad(response_id, name))
        return plain.decode("utf-8")
