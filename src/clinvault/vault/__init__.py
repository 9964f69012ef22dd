"""The tokenizing privacy vault: ``pseudonymize`` on the way in, ``reidentify`` on the way out.

Callers hold a :class:`VaultClient` (``Vault`` is the in-process one); see
:mod:`clinvault.vault.client` for the protocol a remote vault service implements.
"""

from clinvault.vault.client import PatientSession, SourceRecord, Stored, VaultClient
from clinvault.vault.patient import PatientContext
from clinvault.vault.vault import SHARED_SCOPE, Vault

__all__ = [
    "SHARED_SCOPE",
    "PatientContext",
    "PatientSession",
    "SourceRecord",
    "Stored",
    "Vault",
    "VaultClient",
]
