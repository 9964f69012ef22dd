"""One MLLP frame -> parse, convert, seal and index, then the ACK (and an audit record).

AA only after the message's resources are sealed in the vault and its chunks indexed
(``IngestPipeline.run`` returned). A control id already accepted is ACKed AA again and not
written twice. An unreadable frame or an unmapped message type is rejected (AR), a message
whose resources fail validation or that cannot be stored gets AE; each rejected message is
quarantined encrypted in the vault (its raw text sealed) and audited, without PHI in the
record. The handler is synchronous: the server runs it in a worker thread, one at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from clinvault.audit.event import AuditEvent, Outcome
from clinvault.errors import ClinvaultError, InputError
from clinvault.interop.hl7v2 import Converter, Hl7ParseError, parse_batch
from clinvault.interop.hl7v2.message import Message
from clinvault.interop.hl7v2.source import VaultPatientResolver, options_from
from clinvault.interop.mllp.ack import ACCEPT, ERROR, REJECT, Problem, build_ack
from clinvault.interop.mllp.seen import SeenControlIds
from clinvault.runtime import Runtime

PRINCIPAL = "mllp-feed"
REJECT_CODES = frozenset({"100", "101", "102", "200", "201", "207"})
"""Parse errors and unsupported types are rejects (AR): resending the same bytes cannot help."""


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Handled:
    ack: bytes
    code: str


class MessageHandler:
    def __init__(self, runtime: Runtime, now: Clock | None = None) -> None:
        settings = runtime.settings
        self._runtime = runtime
        self._now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self._converter = Converter(
            options_from(settings), resolver=VaultPatientResolver(runtime.vault)
        )
        self._pipeline = runtime.ingest_pipeline()
        spool = settings.home / "mllp"
        spool.mkdir(parents=True, exist_ok=True)
        self._marker = spool / "frame.hl7"
        self._marker.write_bytes(b"")  # an empty placeholder path; the message stays in memory
        self._seen = SeenControlIds(spool / "seen.sqlite", runtime.keys.blind_index)
        self._counter = itertools.count(1)

    def close(self) -> None:
        self._seen.close()

    def handle(self, data: bytes, peer: str) -> Handled:
        number = next(self._counter)
        where = f"mllp:{number}"
        batch = parse_batch(data, where)
        if batch.errors or len(batch.messages) != 1:
            error = (
                batch.errors[0]
                if batch.errors
                else Hl7ParseError("one message per frame", where=where, code="100")
            )
            message = batch.messages[0] if batch.messages else None
            return self._reject(message, REJECT, error, data, peer)
        message = batch.messages[0]
        key = (message.sending_facility, message.sending_application, message.control_id)
        if self._seen.seen(*key):
            self._audit("allowed", "hl7-duplicate", peer, None)
            return self._ack(message, ACCEPT)
        try:
            conversion = self._converter.convert(message)
        except Hl7ParseError as exc:
            return self._reject(
                message, REJECT if exc.code in REJECT_CODES else ERROR, exc, data, peer
            )
        bundle = conversion.bundle

        def reader(_path: Path) -> Iterator[tuple[str, dict[str, Any]] | InputError]:
            yield where, bundle

        self._pipeline.readers = {"hl7v2": reader}
        # A40/A34: the merged-away patient's own token, before the merge resolves it away
        merged_tokens = [self._runtime.vault.patient_token(m) for m in _merged_refs(bundle)]
        try:
            report = self._pipeline.run([self._marker])
        except ClinvaultError as exc:
            problem = Problem(
                "MSH", 0, "207", f"the message could not be stored ({type(exc).__name__})"
            )
            self._audit("error", "hl7-store-failed", peer, None)
            return self._ack(message, ERROR, problem)
        finally:
            self._pipeline.readers = None
        patient = _patient_ref(bundle)
        token = self._runtime.vault.patient_token(patient) if patient else None
        if report.rejected:
            problem = Problem(
                "MSH",
                0,
                "207",
                _rejection_text(len(report.rejected), report.quarantined),
            )
            self._audit("refused", "hl7-resources-rejected", peer, token)
            return self._ack(message, ERROR, problem)
        self._seen.add(*key)
        self._audit("allowed", "hl7-accepted", peer, token)
        for merged in merged_tokens:  # A40/A34: the merged-away patient is audited too
            self._audit("allowed", "hl7-merged", peer, merged)
        return self._ack(message, ACCEPT)

    def reject_frame(self, peer: str, reason: str) -> bytes:
        """AR for a byte stream that is not MLLP (no message could be read)."""
        self._audit("refused", "mllp-bad-frame", peer, None)
        return self._ack(None, REJECT, Problem("MSH", 0, "100", reason)).ack

    def _reject(
        self, message: Message | None, code: str, error: Hl7ParseError, data: bytes, peer: str
    ) -> Handled:
        text = data.decode("utf-8", "replace")
        self._runtime.vault.quarantine(error.where or "mllp", "HL7v2", str(error), {"hl7v2": text})
        self._audit("refused", "hl7-rejected" if code == REJECT else "hl7-error", peer, None)
        message_text = str(error).removeprefix(f"{error.where}: ") if error.where else str(error)
        return self._ack(
            message, code, Problem(error.segment or "MSH", error.field, error.code, message_text)
        )

    def _ack(self, message: Message | None, code: str, problem: Problem | None = None) -> Handled:
        now = self._now()
        control = f"ACK{now.strftime('%Y%m%d%H%M%S')}{next(self._counter)}"
        return Handled(
            build_ack(message, code, control, now.strftime("%Y%m%d%H%M%S%z"), problem), code
        )

    def _audit(self, outcome: Outcome, reason: str, peer: str, patient_token: str | None) -> None:
        self._runtime.audit_log.append(
            AuditEvent(
                kind="access",
                principal=PRINCIPAL,
                outcome=outcome,
                reason=reason,
                patient=patient_token,
                client=peer,
            )
        )


def _patient_ref(bundle: dict[str, Any]) -> str | None:
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient" and resource.get("active") is not False:
            return f"Patient/{resource['id']}"
    return None


def _merged_refs(bundle: dict[str, Any]) -> list[str]:
    return [
        f"Patient/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e.get("resource", {}).get("resourceType") == "Patient"
        and e["resource"].get("active") is False
    ]


def _rejection_text(rejected: int, quarantined: int) -> str:
    """The ACK's error text: how many inputs failed and how many of them were kept sealed."""
    kept = f"{quarantined} quarantined" if quarantined else "none kept"
    return f"{rejected} resource(s) failed validation ({kept})"
