"""Issue 16 conformance: the audit log of a 5-patient demo flow, exported as FHIR R4 NDJSON,
validates line by line against the ``fhir.resources`` R4B models and carries the IHE BALP
elements ``docs/audit.md`` says we follow.

The flow runs the commands an operator types (in process, one home on tmpfs): ``synth`` 5
patients, ``ingest`` (hashing embedder, free-text PHI detection off: the export holds tokens
only, whatever the index holds), users, then asks about one patient by a clinician with a
grant (TREAT), a researcher (HRESCH), a clinician without any relationship (refused) and the
same clinician breaking the glass (ETREAT); a second patient is erased and asked about once
more (refused ``patient-erased``). It uses synthetic data only, so it never skips.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.provenance import Provenance as FhirProvenance
from typer.testing import CliRunner, Result

from clinvault.cli.main import app

SHM = Path("/dev/shm")
CLINICIAN, RESEARCHER, STRANGER, AUDITOR = "dr-confo", "res-confo", "dr-nobody", "aud-confo"
QUESTION = "What are the active conditions?"
BREAK_GLASS = "unconscious on arrival in the ED"

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
RESTFUL = "http://hl7.org/fhir/restful-interaction"


@dataclass(frozen=True)
class Flow:
    root: Path
    env: dict[str, str]
    asked: str
    """The patient id asked about (source id, never in a pseudonymous export)."""
    erased: str
    truth: list[dict[str, Any]]

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env)

    def ok(self, *args: str) -> Result:
        result = self.cli(*args)
        assert result.exit_code == 0, (args, result.output)
        return result


@pytest.fixture(scope="module")
def flow() -> Iterator[Flow]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-c16-", dir=SHM if SHM.is_dir() else None))
    env = {
        "CLINVAULT_HOME": str(root / "home"),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing",
        "CLINVAULT_INGEST__DETECT_PHI": "false",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            cohort = root / "cohort"
            probe = Flow(root, env, "", "", [])
            probe.ok("synth", "--patients", "5", "--seed", "16", "--out", str(cohort))
            truth = [json.loads(line) for line in (cohort / "truth.jsonl").read_text().splitlines()]
            by_age = sorted(truth, key=lambda row: row["demographics"]["age"])
            asked, erased = by_age[-1]["patient_id"], by_age[-2]["patient_id"]
            run = Flow(root, env, asked, erased, truth)
            run.ok("ingest", str(cohort))
            for user, role in (
                (CLINICIAN, "clinician"),
                (RESEARCHER, "researcher"),
                (STRANGER, "clinician"),
                (AUDITOR, "auditor"),
            ):
                run.ok("access", "add-user", "--user", user, "--role", role)
            for patient in (asked, erased):
                run.ok("access", "grant", "--user", CLINICIAN, "--patient", f"Patient/{patient}")
            run.ok("ask", "--user", CLINICIAN, "--patient", asked, QUESTION)
            run.ok("ask", "--user", RESEARCHER, "--purpose", "HRESCH", "--patient", asked, QUESTION)
            assert run.cli("ask", "--user", STRANGER, "--patient", asked, QUESTION).exit_code == 3
            run.ok(
                "ask", "--user", STRANGER, "--purpose", "ETREAT",
                "--break-glass", BREAK_GLASS, "--patient", asked, QUESTION,
            )  # fmt: skip
            run.ok("patient", "erase", "--patient", erased, "--reason", "patient-request", "--yes")
            refused = run.cli("ask", "--user", CLINICIAN, "--patient", erased, QUESTION)
            assert refused.exit_code == 3
            assert "patient-erased" in refused.output
            yield run
        finally:
            shutil.rmtree(root, ignore_errors=True)


def exported(flow: Flow, name: str, *args: str) -> tuple[list[dict[str, Any]], str]:
    """Export, then validate every line with its R4B model; the resources and the raw text."""
    out = flow.root / name
    flow.ok("audit", "export", "--format", "fhir", "--out", str(out), *args)
    text = out.read_text(encoding="utf-8")
    resources = []
    for number, line in enumerate(text.splitlines(), 1):
        data = json.loads(line)
        models: dict[str, Any] = {"AuditEvent": FhirAuditEvent, "Provenance": FhirProvenance}
        model = models[data["resourceType"]]
        try:
            model.model_validate(data)
        except ValueError as exc:  # pydantic's ValidationError; name the line
            raise AssertionError(f"{name} line {number} is not valid R4B") from exc
        resources.append(data)
    return resources, text


def listed(flow: Flow) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(
        flow.ok("audit", "list", "--limit", "100000", "--json").output
    )
    return records


def codes(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for item in items for c in item.get("coding", [item])}


def agent(event: dict[str, Any], system: str, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        a for a in event["agent"] if (system, code) in codes([a["type"]])
    ]
    assert len(found) == 1, f"one agent typed {code}"
    return found[0]


@pytest.fixture(scope="module")
def full(flow: Flow) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    resources, text = exported(flow, "all.ndjson")
    return resources, text, listed(flow)


def test_every_line_validates_and_counts_equal_audit_list(
    full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]],
) -> None:
    resources, _, records = full
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    provenances = [r for r in resources if r["resourceType"] == "Provenance"]
    assert len(events) == len(records)
    assert {e["id"] for e in events} == {r["response_id"] for r in records}
    answered = [r for r in records if r["kind"] == "ask" and r["outcome"] == "answered"]
    assert len(answered) == 3, "clinician, researcher, break-glass"
    assert len(provenances) == len(answered)
    assert Counter((r["kind"], r["outcome"], r["reason"]) for r in records) >= Counter(
        {
            ("ask", "answered", "grounded"): 3,
            ("ask", "refused", "no-relationship"): 1,
            ("ask", "refused", "patient-erased"): 1,
            ("admin", "allowed", "patient-erased"): 1,
            ("audit-view", "allowed", "fhir-export"): 1,
        }
    )


def test_balp_elements_on_every_audit_event(
    full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]],
) -> None:
    resources, _, records = full
    by_id = {r["response_id"]: r for r in records}
    outcome_code = {"answered": "0", "allowed": "0", "refused": "4", "blocked": "4", "error": "8"}
    for event in (r for r in resources if r["resourceType"] == "AuditEvent"):
        record = by_id[event["id"]]
        assert event["recorded"].startswith(record["time"][:19])
        assert event["outcome"] == outcome_code[record["outcome"]]
        assert event["outcomeDesc"] == record["reason"]
        assert event["source"]["site"] == "clinvault"
        assert ("http://terminology.hl7.org/CodeSystem/security-source-type", "4") in codes(
            event["source"]["type"]
        )
        assert agent(event, DCM, "110153")["requestor"] is False  # client
        assert agent(event, DCM, "110152")["requestor"] is False  # server
        user = agent(event, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP")
        assert user["requestor"] is True
        assert user["who"]["identifier"] == {
            "system": "urn:clinvault:principal",
            "value": record["principal"],
        }
        if record["purpose"] and record["kind"] in ("ask", "access"):
            assert (ACT_REASON, record["purpose"]) in codes(user["purposeOfUse"])
        assert ((ACT_REASON, "BTG") in codes(user.get("purposeOfUse", []))) == record["break_glass"]
        if record["patient"]:
            (patient,) = [e for e in event["entity"] if e["role"]["code"] == "1"]
            assert (patient["type"]["system"], patient["type"]["code"]) == (ENTITY_TYPE, "1")
            assert patient["what"]["identifier"] == {
                "system": "urn:clinvault:patient-token",
                "value": record["patient"],
            }
        if record["kind"] == "ask":
            assert (event["type"]["code"], event["action"]) == ("rest", "E")
            assert (RESTFUL, "search") in codes(event["subtype"])
            (query,) = [e for e in event["entity"] if e["role"]["code"] == "24"]
            decoded = json.loads(base64.b64decode(query["query"]))
            assert decoded["response_id"] == record["response_id"]
            cited = [e for e in event["entity"] if e["role"]["code"] == "4"]
            assert [e["what"]["identifier"]["value"] for e in cited] == [
                c["resource"] for c in record["citations"]
            ]
        elif record["kind"] == "admin" and record["reason"] == "patient-erased":
            assert event["action"] == "D"
            assert (RESTFUL, "delete") in codes(event["subtype"])
            (patient,) = [e for e in event["entity"] if e["role"]["code"] == "1"]
            assert patient["lifecycle"]["code"] == "15"
        elif record["kind"] == "audit-view":
            assert (event["type"]["system"], event["type"]["code"], event["action"]) == (
                DCM,
                "110101",
                "R",
            )


def test_the_four_askers_are_told_apart(
    full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]],
) -> None:
    resources, _, _ = full
    asks = [
        e for e in resources if e["resourceType"] == "AuditEvent" and e["type"]["code"] == "rest"
    ]
    seen = set()
    for event in asks:
        user = agent(event, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP")
        purposes = {code for _, code in codes(user.get("purposeOfUse", []))}
        seen.add((user["name"], event["outcome"], frozenset(purposes)))
    assert (CLINICIAN, "0", frozenset({"TREAT"})) in seen
    assert (RESEARCHER, "0", frozenset({"HRESCH"})) in seen
    assert (STRANGER, "4", frozenset({"TREAT"})) in seen
    assert (STRANGER, "0", frozenset({"ETREAT", "BTG"})) in seen
    assert (CLINICIAN, "4", frozenset({"TREAT"})) in seen, "the ask about the erased patient"


def test_provenance_per_answer(
    full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]],
) -> None:
    resources, _, records = full
    answered = {
        r["response_id"]: r for r in records if r["kind"] == "ask" and r["outcome"] == "answered"
    }
    for provenance in (r for r in resources if r["resourceType"] == "Provenance"):
        (target,) = provenance["target"]
        record = answered[target["identifier"]["value"]]
        assert target["identifier"]["system"] == "urn:clinvault:response-id"
        assert (
            "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "AIAST",
        ) in codes(provenance["meta"]["security"])
        assert ("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE") in codes(
            [provenance["activity"]]
        )
        roles = {a["type"]["coding"][0]["code"]: a["who"] for a in provenance["agent"]}
        assert roles["author"]["identifier"]["value"] == f"{record['route']}/{record['model']}"
        assert roles["enterer"]["identifier"]["value"] == record["principal"]
        sources = [
            e["what"]["identifier"]["value"]
            for e in provenance["entity"]
            if e["role"] == "source"
            and e["what"]["identifier"]["system"] == "urn:clinvault:resource-token"
        ]
        assert sources == [c["resource"] for c in record["citations"]]
        assert sources, "an answer cites at least one resource"
        hashed = {e["what"]["identifier"]["system"]: e for e in provenance["entity"]}
        assert (
            hashed["urn:clinvault:prompt-sha256"]["what"]["identifier"]["value"]
            == (record["prompt_sha256"])
        )
        assert (ACT_REASON, record["purpose"]) in codes(provenance["reason"])


def test_the_pseudonymous_export_names_no_patient(
    flow: Flow, full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]]
) -> None:
    _, text, _ = full
    for row in flow.truth:
        assert row["patient_id"] not in text
        for phi in row["phi"]:
            if len(phi["value"]) >= 4:
                assert phi["value"] not in text, phi["type"]
    for secret in (QUESTION, BREAK_GLASS, "conditions"):
        assert secret not in text


def test_the_auditor_export_identifies_the_asked_patient_but_not_the_erased_one(
    flow: Flow, full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]]
) -> None:
    resources, text = exported(flow, "identified.ndjson", "--as-user", AUDITOR)
    patients = [
        e["what"]
        for r in resources
        if r["resourceType"] == "AuditEvent"
        for e in r.get("entity", [])
        if e["role"]["code"] == "1"
    ]
    assert {"reference": f"Patient/{flow.asked}"} in patients
    assert flow.erased not in text, "an erased patient stays a token, even for an auditor"
    erased_tokens = {p["identifier"]["value"] for p in patients if "identifier" in p}
    assert len(erased_tokens) == 1
    assert len(listed(flow)) == len([r for r in resources if r["resourceType"] == "AuditEvent"])


def test_the_export_of_one_patient_holds_only_that_patient(
    flow: Flow, full: tuple[list[dict[str, Any]], str, list[dict[str, Any]]]
) -> None:
    _, _, records = full
    token = next(r["patient"] for r in records if r["kind"] == "admin" and r["patient"])
    resources, _ = exported(flow, "erased.ndjson", "--patient", token)
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    expected = [r for r in listed(flow) if r["patient"] == token]
    assert len(events) == len(expected)
    assert {(r["kind"], r["reason"]) for r in expected} == {
        ("admin", "patient-erased"),
        ("ask", "patient-erased"),
        ("audit-view", "fhir-export"),
    }
    assert flow.ok("audit", "verify").output.startswith("audit log intact")
