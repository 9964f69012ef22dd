"""Tamper-evident audit log: who asked what about which patient, with which model and evidence.

Start at :class:`AuditLog` (``append``, ``get``, ``iter_records``, ``verify``, ``reveal``,
``checkpoint``) and :class:`AuditEvent`; the chain format and its failure codes are in
:mod:`.chain`, signed checkpoints in :mod:`.checkpoints`, the FHIR export in
:mod:`.fhir_export` and the access review in :mod:`.access_report`.
"""

from clinvault.audit.chain import AuditHead, VerifyResult
from clinvault.audit.checkpoints import Checkpoint, CheckpointConfig
from clinvault.audit.event import AuditEvent, Citation, EventKind, Outcome, RetrievedChunk
from clinvault.audit.log import AuditLog, RevealedFields, Viewer
from clinvault.audit.record import AuditRecord

__all__ = [
    "AuditEvent",
    "AuditHead",
    "AuditLog",
    "AuditRecord",
    "Checkpoint",
    "CheckpointConfig",
    "Citation",
    "EventKind",
    "Outcome",
    "RetrievedChunk",
    "RevealedFields",
    "VerifyResult",
    "Viewer",
]
