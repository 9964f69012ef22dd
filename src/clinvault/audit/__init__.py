"""Tamper-evident audit log: who asked what about which patient, with which model and evidence.

Start at :class:`AuditLog` (``append``, ``get``, ``iter_records``, ``verify``, ``reveal``)
and :class:`AuditEvent`; the chain format and its guarantees are in :mod:`.chain`.
"""

from clinvault.audit.chain import AuditHead, VerifyResult
from clinvault.audit.event import AuditEvent, Citation, EventKind, Outcome, RetrievedChunk
from clinvault.audit.log import AuditLog, RevealedFields, Viewer
from clinvault.audit.record import AuditRecord

__all__ = [
    "AuditEvent",
    "AuditHead",
    "AuditLog",
    "AuditRecord",
    "Citation",
    "EventKind",
    "Outcome",
    "RetrievedChunk",
    "RevealedFields",
    "VerifyResult",
    "Viewer",
]
