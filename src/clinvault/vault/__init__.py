"""The tokenizing privacy vault: ``Vault.pseudonymize`` on the way in, ``reidentify`` on the way out."""

from clinvault.vault.patient import PatientContext
from clinvault.vault.vault import SHARED_SCOPE, Vault

__all__ = ["SHARED_SCOPE", "PatientContext", "Vault"]
