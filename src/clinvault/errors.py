"""Every exception clinvault raises on purpose.

Messages never carry PHI: they name *what* and *where* (file, line, entry index,
resource type, setting) but never a value taken from a patient record.

    ClinvaultError
    ├── ConfigError                 settings or declarative config are unusable
    ├── InputError                  bad input; carries ``where`` (file, line, entry)
    │   ├── UnusableInputError      the whole input cannot be read (exit status 2)
    │   └── ResourceRejected        one resource failed validation (quarantined)
    ├── VaultError                  any vault failure; deliberately says nothing more
    │   └── PatientErased           the patient was erased (crypto-shredded)
    ├── PrivacyError                fail-closed privacy stop
    │   ├── LeakDetected            a chunk still holds a known identifier
    │   └── EgressBlocked           an outbound prompt holds PHI
    ├── AccessDenied                principal may not do this; carries a reason code
    ├── AuditIntegrityError         the audit hash chain is broken
    ├── IndexBackendError           the vector store failed
    ├── ModelIntegrityError         model weights do not match their pinned sha256
    └── LLMError                    no configured model route produced an answer
"""

from __future__ import annotations


class ClinvaultError(Exception):
    """Base of every deliberate clinvault error."""


class ConfigError(ClinvaultError):
    """Settings, policy or collection config are missing or invalid."""


class InputError(ClinvaultError):
    """Input could not be used. ``where`` locates it without quoting it."""

    def __init__(self, message: str, *, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class UnusableInputError(InputError):
    """The input as a whole is unusable (missing path, unreadable, not FHIR)."""


class ResourceRejected(InputError):
    """One resource failed validation; the rest of the input goes on."""

    def __init__(self, message: str, *, where: str, resource_type: str) -> None:
        self.resource_type = resource_type
        super().__init__(f"{resource_type}: {message}", where=where)


class VaultError(ClinvaultError):
    """A vault operation failed. The message never says why in terms of data."""

    def __init__(self, message: str = "vault operation failed") -> None:
        super().__init__(message)


class PatientErased(VaultError):
    """The patient was erased: nothing of it can be read, and re-ingest needs permission."""

    def __init__(self, message: str = "the patient was erased") -> None:
        super().__init__(message)


class PrivacyError(ClinvaultError):
    """A privacy control stopped an operation (fail closed)."""


class LeakDetected(PrivacyError):
    """A chunk about to be indexed still contains a known identifier."""


class EgressBlocked(PrivacyError):
    """An outbound LLM prompt contains PHI and was not sent."""


class AccessDenied(ClinvaultError):
    """The principal is not allowed to do this. ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str = "") -> None:
        self.reason = reason
        super().__init__(message or reason)


class AuditIntegrityError(ClinvaultError):
    """The audit log's hash chain does not verify."""


class IndexBackendError(ClinvaultError):
    """The vector index backend failed."""


class ModelIntegrityError(ClinvaultError):
    """Model files on disk do not match their pinned digests."""


class LLMError(ClinvaultError):
    """No model route produced an answer."""
