"""FHIR export of the audit log: BALP-shaped AuditEvents, Provenance per answer, all R4B-valid."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from clinvault.audit import AuditEvent, AuditLog, Citation
from clinvault.audit.fhir_export import FhirAuditExporter, ndjson_lines

from .audit_factories import PATIENT, QUESTION, ask_event

RESOURCE = "RES-9C0FE2D4A1B37755"


def access_event(**overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "kind": "access",
        "principal": "dr.grey",
        "role": "clinician",
        "purpose": "TREAT",
        "patient": PATIENT,
        "outcome": "allowed",
        "reason": "care-team",
    }
    fields.update(overrides)
    return AuditEvent(**fields)


def coded(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for item in items for c in item.get("coding", [item])}


def by_role(event: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [e for e in event.get("entity", []) if e["role"]["code"] == code]


def agent(event: dict[str, Any], code: str) -> dict[str, Any]:
    return next(a for a in event["agent"] if a["type"]["coding"][0]["code"] == code)


def test_answered_ask_is_a_balp_patient_query(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(1))
    event = FhirAuditExporter().audit_event(record)

    FhirAuditEvent.model_validate(event)
    assert "meta" not in event, "BALP followed, not claimed (no network addresses)"
    assert (event["type"]["code"], event["subtype"][0]["code"], event["action"]) == (
        "rest",
        "search",
        "E",
    )
    assert event["outcome"] == "0"
    assert {agent(event, c)["requestor"] for c in ("110153", "110152")} == {False}
    user = agent(event, "IRCP")
    assert user["requestor"] is True
    assert user["who"]["identifier"]["value"] == "dr.grey"
    assert user["role"][0]["coding"][0]["code"] == "clinician"
    assert coded(user["purposeOfUse"]) == {
        ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT")
    }
    (patient,) = by_role(event, "1")
    assert patient["type"]["code"] == "1"
    assert patient["what"]["identifier"] == {
        "system": "urn:clinvault:patient-token",
        "value": PATIENT,
    }
    (query,) = by_role(event, "24")
    decoded = json.loads(base64.b64decode(query["query"]))
    assert decoded["prompt_sha256"] == record.prompt_sha256
    assert [e["what"]["identifier"]["value"] for e in by_role(event, "4")] == [RESOURCE]
    assert "HbA1c" not in json.dumps(event), "the sealed question never leaves the log"


def test_refusal_has_a_failure_outcome_and_break_glass_the_btg_purpose(
    audit_log: AuditLog,
) -> None:
    refused = audit_log.append(
        access_event(principal="dr.house", outcome="refused", reason="no-relationship")
    )
    glass = audit_log.append(
        access_event(
            purpose="ETREAT",
            reason="break-glass",
            break_glass=True,
            break_glass_reason="unconscious, no relatives",
        )
    )
    exporter = FhirAuditExporter()
    refused_event = exporter.audit_event(refused)
    glass_event = exporter.audit_event(glass)

    assert (refused_event["outcome"], refused_event["outcomeDesc"]) == ("4", "no-relationship")
    assert coded(agent(glass_event, "IRCP")["purposeOfUse"]) == {
        ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT"),
        ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "BTG"),
    }
    assert "unconscious" not in json.dumps(glass_event)
    assert exporter.provenance(refused) is None


def test_answer_provenance_targets_the_response_and_cites_sources(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(2))
    provenance = FhirAuditExporter().provenance(record)

    assert provenance is not None
    FhirProvenance.model_validate(provenance)
    assert provenance["target"][0]["identifier"]["value"] == record.response_id
    assert coded(provenance["meta"]["security"]) == {
        ("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "AIAST")
    }
    author, user = provenance["agent"]
    assert author["who"]["display"] == "local/clinvault/evidence"
    assert user["who"]["identifier"]["value"] == "dr.grey"
    sources = [e for e in provenance["entity"] if e["role"] == "source"]
    values = [e["what"]["identifier"]["value"] for e in sources]
    assert values == [RESOURCE, record.prompt_sha256]


class FakeIdentities:
    def patient(self, token: str) -> str | None:
        return "Patient/abc" if token == PATIENT else None

    def resource(self, token: str) -> str | None:
        return "Observation/hba1c-1" if token == RESOURCE else None


def test_authorized_exporter_sees_source_references(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(3))
    event = FhirAuditExporter(FakeIdentities()).audit_event(record)
    assert by_role(event, "1")[0]["what"] == {"reference": "Patient/abc"}
    assert by_role(event, "4")[0]["what"] == {"reference": "Observation/hba1c-1"}
    provenance = FhirAuditExporter(FakeIdentities()).provenance(record)
    assert provenance is not None
    assert provenance["entity"][0]["what"] == {"reference": "Observation/hba1c-1"}


@pytest.mark.parametrize("outcome", ["answered", "refused", "blocked", "error", "aborted"])
def test_every_outcome_exports_valid_ndjson(audit_log: AuditLog, outcome: str) -> None:
    citations = (Citation("chunk-a", RESOURCE),) if outcome in ("answered", "aborted") else ()
    audit_log.append(ask_event(0, outcome=outcome, reason="x-" + outcome, citations=citations))
    audit_log.append(access_event())
    lines = list(ndjson_lines(FhirAuditExporter().resources(audit_log.iter_records())))
    kinds = [json.loads(line)["resourceType"] for line in lines]
    assert kinds.count("AuditEvent") == 2
    assert kinds.count("Provenance") == (1 if outcome == "answered" else 0)
    for line in lines:
        data = json.loads(line)
        model = FhirAuditEvent if data["resourceType"] == "AuditEvent" else FhirProvenance
        model.model_validate(data)
        assert QUESTION[:20] not in line


def admin_event(reason: str, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "kind": "admin",
        "principal": "ops-on-call",
        "role": "operator",
        "outcome": "allowed",
        "reason": reason,
    }
    fields.update(overrides)
    return AuditEvent(**fields)


@pytest.mark.parametrize(
    ("reason", "action", "interaction"),
    [
        ("patient-erased", "D", "delete"),
        ("retention-purge", "D", "delete"),
        ("kek-rotated", "U", "update"),
        ("consent-set", "U", "update"),
        ("reingest-after-erasure", "C", "create"),
        ("cli-acting-as", "E", None),
    ],
)
def test_admin_actions_export_their_crud_action(
    audit_log: AuditLog, reason: str, action: str, interaction: str | None
) -> None:
    record = audit_log.append(admin_event(reason, patient=PATIENT, purpose="patient-request"))
    event = FhirAuditExporter().audit_event(record)

    FhirAuditEvent.model_validate(event)
    assert event["action"] == action
    subtypes = coded(event["subtype"])
    assert ("urn:clinvault:audit-reason", reason) in subtypes
    restful = {
        code for system, code in subtypes if system == "http://hl7.org/fhir/restful-interaction"
    }
    assert restful == ({interaction} if interaction else set())
    assert event["type"]["code"] == "110100"


def test_erasure_marks_the_patient_entity_permanently_erased(audit_log: AuditLog) -> None:
    erased = FhirAuditExporter().audit_event(
        audit_log.append(admin_event("patient-erased", patient=PATIENT, purpose="legal-order"))
    )
    consent = FhirAuditExporter().audit_event(
        audit_log.append(admin_event("consent-set", patient=PATIENT, purpose="research"))
    )
    (patient,) = by_role(erased, "1")
    assert patient["what"]["identifier"]["value"] == PATIENT
    assert (patient["lifecycle"]["system"], patient["lifecycle"]["code"]) == (
        "http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle",
        "15",
    )
    assert "lifecycle" not in by_role(consent, "1")[0]
