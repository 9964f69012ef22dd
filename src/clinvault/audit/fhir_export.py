"""The audit log as FHIR R4: one ``AuditEvent`` per record, one ``Provenance`` per answer.

AuditEvents follow the IHE Basic Audit Log Patterns (BALP) where one fits (``docs/audit.md``
lists the elements and why ``meta.profile`` does not claim BALP): an ``ask`` is shaped as a
patient query (``IHE.BasicAudit.PatientQuery``:
type ``rest``, subtype ``search``, action ``E``; agents client (DCM 110153),
server (DCM 110152) and user (IRCP, requestor, role, purposeOfUse); entities patient (type
1, role 1) and query (type 2, role 24); each cited resource as a domain resource (type 2,
role 4)); an ``access`` decision and an ``audit-view`` follow the same agent pattern with
their own type codes. Refusals carry outcome ``4`` (minor failure: the request was refused)
and errors ``8``, with the stable reason code as ``outcomeDesc``; break-glass adds the
``BTG`` purpose of use.

Answers also become ``Provenance`` (target: the response; agents: the model route and the
user; entity: every cited resource with role ``source`` and the prompt by its SHA-256),
labelled ``AIAST`` (artificial-intelligence asserted) in ``meta.security``.

Patients and resources appear as their pseudonymous tokens unless an :class:`Identities`
resolver is given (an authorized exporter), which maps them to their source references.
Nothing here decrypts the question or the break-glass reason: they stay sealed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from clinvault.audit.record import AuditRecord, canonical_json

DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
LIFECYCLE = "http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle"

CLINVAULT = "urn:clinvault:"
PATIENT_TOKEN_SYSTEM = CLINVAULT + "patient-token"
RESOURCE_TOKEN_SYSTEM = CLINVAULT + "resource-token"
RESPONSE_SYSTEM = CLINVAULT + "response-id"
PRINCIPAL_SYSTEM = CLINVAULT + "principal"
ROLE_SYSTEM = CLINVAULT + "role"
REASON_SYSTEM = CLINVAULT + "audit-reason"
SUBTYPE_SYSTEM = CLINVAULT + "audit-subtype"
MODEL_SYSTEM = CLINVAULT + "model-route"
PROMPT_SYSTEM = CLINVAULT + "prompt-sha256"
OUTPUT_SYSTEM = CLINVAULT + "output-sha256"
SERVER_NAME = "clinvault"

OUTCOME_CODES = {
    "answered": "0",
    "allowed": "0",
    "refused": "4",
    "blocked": "4",
    "aborted": "4",
    "error": "8",
}
"""FHIR R4 AuditEvent.outcome: 0 success, 4 minor failure (refused), 8 serious failure."""

ADMIN_ACTIONS: dict[str, tuple[str, str]] = {
    "patient-erased": ("D", "delete"),
    "retention-purge": ("D", "delete"),
    "kek-rotated": ("U", "update"),
    "consent-set": ("U", "update"),
    "reingest-after-erasure": ("C", "create"),
}
"""An operator's lifecycle action (``admin`` record, by reason code) -> its AuditEvent.action
(C create, R read, U update, D delete, E execute) and ``restful-interaction`` subtype.
Admin reasons not listed (``cli-acting-as``, and any added later) are exported as ``E``
(an operation executed) with only the clinvault subtype."""

ERASED_LIFECYCLE = ("15", "Permanent erasure / Physical destruction")
"""DICOM object lifecycle of the patient entity in a ``patient-erased`` record."""


class Identities(Protocol):
    """Maps tokens to source references, for an exporter authorized to see them."""

    def patient(self, token: str) -> str | None:
        """``Patient/<id>`` for a patient token, or ``None`` when unknown (or erased)."""

    def resource(self, token: str) -> str | None:
        """``<Type>/<id>`` for a resource token, or ``None`` when unknown."""


@dataclass(frozen=True)
class ExportCounts:
    audit_events: int
    provenances: int


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    found = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found


def _token_reference(
    system: str, token: str, resolved: str | None, display: str | None = None
) -> dict[str, Any]:
    """A reference by the real id (authorized exporters) or by the pseudonymous token."""
    reference: dict[str, Any] = (
        {"reference": resolved} if resolved else {"identifier": {"system": system, "value": token}}
    )
    if display is not None:
        reference["display"] = display
    return reference


class FhirAuditExporter:
    """Turns records into validated R4B resources (as JSON-ready dicts)."""

    def __init__(self, identities: Identities | None = None) -> None:
        self._identities = identities

    # AuditEvent --------------------------------------------------------------------------------

    def audit_event(self, record: AuditRecord) -> dict[str, Any]:
        event: dict[str, Any] = {
            "resourceType": "AuditEvent",
            "id": record.response_id,
            "type": self._type(record),
            "subtype": self._subtypes(record),
            "action": _action(record),
            "recorded": record.time,
            "outcome": OUTCOME_CODES[record.outcome],
            "outcomeDesc": record.reason,
            "agent": self._agents(record),
            "source": {
                "site": SERVER_NAME,
                "observer": {"display": SERVER_NAME},
                "type": [coding(SOURCE_TYPE, "4", "Application Server")],
            },
        }
        entities = self._entities(record)
        if entities:
            event["entity"] = entities
        return _validated(FhirAuditEvent, event)

    def _type(self, record: AuditRecord) -> dict[str, str]:
        if record.kind == "ask":
            return coding(AUDIT_EVENT_TYPE, "rest", "Restful Operation")
        if record.kind == "audit-view":
            return coding(DCM, "110101", "Audit Log Used")
        return (
            coding(DCM, "110113", "Security Alert")
            if record.outcome == "refused"
            else (coding(DCM, "110100", "Application Activity"))
        )

    def _subtypes(self, record: AuditRecord) -> list[dict[str, str]]:
        if record.kind == "ask":
            return [coding(RESTFUL, "search", "search")]
        if record.kind == "admin":
            found = [coding(SUBTYPE_SYSTEM, "admin"), coding(REASON_SYSTEM, record.reason)]
            if record.reason in ADMIN_ACTIONS:
                interaction = ADMIN_ACTIONS[record.reason][1]
                found.insert(0, coding(RESTFUL, interaction, interaction))
            return found
        return [coding(SUBTYPE_SYSTEM, record.kind)]

    def _agents(self, record: AuditRecord) -> list[dict[str, Any]]:
        client: dict[str, Any] = {
            "type": {"coding": [coding(DCM, "110153", "Source Role ID")]},
            "who": {"display": record.client or "clinvault client"},
            "requestor": False,
        }
        if record.client:
            client["network"] = {"address": record.client, "type": "2"}
        server = {
            "type": {"coding": [coding(DCM, "110152", "Destination Role ID")]},
            "who": {"display": SERVER_NAME},
            "requestor": False,
        }
        user: dict[str, Any] = {
            "type": {"coding": [coding(PARTICIPATION, "IRCP", "information recipient")]},
            "who": {"identifier": {"system": PRINCIPAL_SYSTEM, "value": record.principal}},
            "name": record.principal,
            "requestor": True,
        }
        if record.role:
            user["role"] = [{"coding": [coding(ROLE_SYSTEM, record.role)]}]
        purposes = [{"coding": [coding(ACT_REASON, record.purpose)]}] if record.purpose else []
        if record.break_glass:
            purposes.append({"coding": [coding(ACT_REASON, "BTG", "break the glass")]})
        if purposes:
            user["purposeOfUse"] = purposes
        return [client, server, user]

    def _entities(self, record: AuditRecord) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        if record.patient:
            resolved = self._identities.patient(record.patient) if self._identities else None
            patient: dict[str, Any] = {
                "what": _token_reference(PATIENT_TOKEN_SYSTEM, record.patient, resolved),
                "type": coding(ENTITY_TYPE, "1", "Person"),
                "role": coding(OBJECT_ROLE, "1", "Patient"),
            }
            if record.kind == "admin" and record.reason == "patient-erased":
                patient["lifecycle"] = coding(LIFECYCLE, *ERASED_LIFECYCLE)
            entities.append(patient)
        if record.kind == "ask":
            entities.append(self._query_entity(record))
        for citation in record.citations:
            resolved = self._identities.resource(citation.resource) if self._identities else None
            entities.append(
                {
                    "what": _token_reference(RESOURCE_TOKEN_SYSTEM, citation.resource, resolved),
                    "type": coding(ENTITY_TYPE, "2", "System Object"),
                    "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
                    "description": f"cited as {citation.chunk_id}",
                }
            )
        if record.related_response_id:
            entities.append(
                {
                    "what": {
                        "identifier": {
                            "system": RESPONSE_SYSTEM,
                            "value": record.related_response_id,
                        }
                    },
                    "type": coding(ENTITY_TYPE, "2", "System Object"),
                    "role": coding(OBJECT_ROLE, "3", "Report"),
                    "description": "related audit record",
                }
            )
        return entities

    def _query_entity(self, record: AuditRecord) -> dict[str, Any]:
        """BALP's query entity: the raw request is the question, which stays sealed, so the
        query element holds what identifies it without revealing it."""
        query = {
            "response_id": record.response_id,
            "prompt_sha256": record.prompt_sha256,
            "retrieved": [hit.chunk_id for hit in record.retrieved],
        }
        return {
            "type": coding(ENTITY_TYPE, "2", "System Object"),
            "role": coding(OBJECT_ROLE, "24", "Query"),
            "description": "question encrypted in the audit log; prompt by SHA-256",
            "query": base64.b64encode(canonical_json(query)).decode("ascii"),
        }

    # Provenance --------------------------------------------------------------------------------

    def provenance(self, record: AuditRecord) -> dict[str, Any] | None:
        """For an answered ask; ``None`` for every other record."""
        if record.kind != "ask" or record.outcome != "answered":
            return None
        target: dict[str, Any] = {
            "identifier": {"system": RESPONSE_SYSTEM, "value": record.response_id},
            "display": "clinvault answer",
        }
        agents: list[dict[str, Any]] = []
        if record.model or record.route:
            label = "/".join(part for part in (record.route, record.model) if part)
            agents.append(
                {
                    "type": {"coding": [coding(PROVENANCE_AGENT, "author", "Author")]},
                    "who": {
                        "identifier": {"system": MODEL_SYSTEM, "value": label},
                        "display": label,
                    },
                }
            )
        agents.append(
            {
                "type": {"coding": [coding(PROVENANCE_AGENT, "enterer", "Enterer")]},
                "who": {
                    "identifier": {"system": PRINCIPAL_SYSTEM, "value": record.principal},
                    "display": record.principal,
                },
            }
        )
        entities: list[dict[str, Any]] = []
        for citation in record.citations:
            resolved = self._identities.resource(citation.resource) if self._identities else None
            entities.append(
                {
                    "role": "source",
                    "what": _token_reference(RESOURCE_TOKEN_SYSTEM, citation.resource, resolved),
                }
            )
        for system, value, display in (
            (PROMPT_SYSTEM, record.prompt_sha256, "prompt (SHA-256)"),
            (OUTPUT_SYSTEM, record.output_sha256, "answer as produced (SHA-256)"),
        ):
            if value:
                entities.append(
                    {
                        "role": "source" if system == PROMPT_SYSTEM else "derivation",
                        "what": {
                            "identifier": {"system": system, "value": value},
                            "display": display,
                        },
                    }
                )
        provenance: dict[str, Any] = {
            "resourceType": "Provenance",
            "id": "prov-" + record.response_id,
            "meta": {
                "security": [coding(OBSERVATION_VALUE, "AIAST", "Artificial Intelligence asserted")]
            },
            "target": [target],
            "recorded": record.time,
            "activity": {"coding": [coding(DATA_OPERATION, "CREATE", "create")]},
            "reason": [{"coding": [coding(ACT_REASON, record.purpose)]}] if record.purpose else [],
            "agent": agents,
        }
        if not provenance["reason"]:
            del provenance["reason"]
        if entities:
            provenance["entity"] = entities
        return _validated(FhirProvenance, provenance)

    # The whole export --------------------------------------------------------------------------

    def resources(self, records: Iterable[AuditRecord]) -> Iterator[dict[str, Any]]:
        for record in records:
            yield self.audit_event(record)
            provenance = self.provenance(record)
            if provenance is not None:
                yield provenance


def _action(record: AuditRecord) -> str:
    """``E`` for a query (ask) and for operator operations without a CRUD meaning, ``R`` for
    an access decision and an audit-log read, the CRUD letter of a lifecycle action."""
    if record.kind == "ask":
        return "E"
    if record.kind == "admin":
        return ADMIN_ACTIONS[record.reason][0] if record.reason in ADMIN_ACTIONS else "E"
    return "R"


def ndjson_lines(resources: Iterable[dict[str, Any]]) -> Iterator[str]:
    for resource in resources:
        yield json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def _validated(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model (raises :class:`pydantic.ValidationError`) and return the
    resource as the model serializes it."""
    parsed = model.model_validate(resource)
    result: dict[str, Any] = json.loads(parsed.model_dump_json(exclude_none=True))
    return result
