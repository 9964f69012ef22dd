"""The ask questions of issue 3 on real Synthea patients (../shared/data), gold answers
computed here from each patient's bundle JSON.

Four patients of ``synthea_bundles_smart_generated_sample_data`` and one of
``synthea_bulk_10patients_smart`` (NDJSON, with notes; its lines are copied to the temporary
folder, the bulk set's other nine patients are left out for time) are ingested once into a
temporary home with the hashing embedder (retrieval of "latest"/list questions reads the
payload dates and codes, not similarity; the real embedder would add minutes to CI). A
clinician is granted all five, and each is asked: the newest value of a lab they have (the
bulk set has no Observations), their allergies, active conditions, current medications, the
date of their last influenza vaccination, a fact only their notes state (bulk patient), and a
question their record cannot answer. Answers must hold the gold values and real dates, cite
exactly the gold resources (``Type/id`` of that patient), and a researcher must see neither
names nor real dates.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from clinvault.ask import AskService
from clinvault.ask.result import AskResult
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.leak_seed import seeded_runtime

DATASET = Path("fhir_r4") / "synthea_bundles_smart_generated_sample_data"
BULK = Path("fhir_r4") / "synthea_bulk_10patients_smart"
BULK_PATIENT = "cbc86e51-9eca-3855-76ec-c058f72c5761"
BULK_NAME = "bulk-cbc86e51"
NOTE_QUESTION = "Has the patient ever smoked?"
NOTE_FACT = "never smoked"
CLINICIAN = "dr-conformance"
RESEARCHER = "res-conformance"
SHM = Path("/dev/shm")
LOINC = "http://loinc.org"
CVX_INFLUENZA = "140"


@dataclass(frozen=True)
class LabAsk:
    question: str
    loinc: str


PATIENTS: dict[str, LabAsk] = {
    "Marcos_Delagarza": LabAsk("What is the most recent HbA1c?", "4548-4"),
    "Reyna_Ziemann": LabAsk("What is the latest HbA1c?", "4548-4"),
    "Patria_Schimmel": LabAsk("What was her last hemoglobin A1c value?", "4548-4"),
    "Fidel_Bins": LabAsk("What was the latest LDL cholesterol?", "18262-6"),
}
QUESTIONS = {
    "allergies": "What allergies does the patient have?",
    "active-conditions": "What are the patient's active conditions?",
    "current-medications": "What are the patient's current medications?",
    "immunization-date": "When was the patient's last influenza vaccination?",
    "unanswerable": "What is the patient's blood type?",
}


# -- gold answers from the bundle ------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    name: str
    source: Path
    """The bundle, or the folder of this patient's NDJSON lines."""
    resources: list[dict[str, Any]]

    @property
    def record(self) -> dict[str, Any]:
        return next(r for r in self.resources if r["resourceType"] == "Patient")

    @property
    def reference(self) -> str:
        return f"Patient/{self.record['id']}"

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["resourceType"] == resource_type]

    def references(self) -> set[str]:
        return {f"{r['resourceType']}/{r['id']}" for r in self.resources}

    def identifiers(self) -> list[str]:
        """Names, identifier values and the birth date: what a researcher must never see."""
        record = self.record
        values = [record["id"], record.get("birthDate", "")]
        for name in record.get("name", []):
            values += [*name.get("given", []), name.get("family", "")]
        values += [i.get("value", "") for i in record.get("identifier", [])]
        return [v for v in values if len(v) >= 3]


def _load(bundle: Path, name: str) -> Patient:
    data = json.loads(bundle.read_text(encoding="utf-8"))
    resources = [entry["resource"] for entry in data["entry"]]
    return Patient(name, bundle, resources)


def _owned_by(resource: dict[str, Any], patient_id: str) -> bool:
    if resource["resourceType"] == "Patient":
        return bool(resource["id"] == patient_id)
    owner = resource.get("subject") or resource.get("patient") or {}
    return bool(owner.get("reference") == f"Patient/{patient_id}")


def _load_bulk_patient(folder: Path, patient_id: str, out: Path) -> Patient:
    """One patient's lines of every NDJSON file of ``folder``, written under ``out``."""
    out.mkdir()
    resources = []
    for path in sorted(folder.glob("*.ndjson")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        own = [(line, json.loads(line)) for line in lines if patient_id in line]
        own = [(line, r) for line, r in own if "resourceType" in r and _owned_by(r, patient_id)]
        if own:
            (out / path.name).write_text("".join(f"{line}\n" for line, _ in own), "utf-8")
            resources += [r for _, r in own]
    return Patient(BULK_NAME, out, resources)


def _ref(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _display(concept: dict[str, Any]) -> str:
    return str(concept.get("text") or concept["coding"][0]["display"])


def _has_code(concept: dict[str, Any], system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in concept["coding"])


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _status(resource: dict[str, Any], element: str) -> str | None:
    coding = (resource.get(element) or {}).get("coding") or [{}]
    return coding[0].get("code")


def gold_latest(patient: Patient, loinc: str) -> dict[str, Any]:
    results = [
        r
        for r in patient.of_type("Observation")
        if _has_code(r["code"], LOINC, loinc) and "valueQuantity" in r
    ]
    assert results, f"{patient.name} has no {loinc} result"
    return max(results, key=lambda r: _instant(r["effectiveDateTime"]))


def gold_allergies(patient: Patient) -> list[dict[str, Any]]:
    return [
        r
        for r in patient.of_type("AllergyIntolerance")
        if _status(r, "clinicalStatus") in (None, "active")
    ]


def gold_active_conditions(patient: Patient) -> list[dict[str, Any]]:
    return [
        r
        for r in patient.of_type("Condition")
        if _status(r, "clinicalStatus") == "active"
        and not any(key.startswith("abatement") for key in r)
    ]


def gold_current_medications(patient: Patient) -> list[dict[str, Any]]:
    return [r for r in patient.of_type("MedicationRequest") if r.get("status") == "active"]


def gold_last_influenza(patient: Patient) -> dict[str, Any]:
    shots = [
        r
        for r in patient.of_type("Immunization")
        if _has_code(r["vaccineCode"], "http://hl7.org/fhir/sid/cvx", CVX_INFLUENZA)
    ]
    assert shots, f"{patient.name} has no influenza vaccination"
    return max(shots, key=lambda r: _instant(r["occurrenceDateTime"]))


def note_text(resource: dict[str, Any]) -> str:
    return "\n".join(
        base64.b64decode(c["attachment"]["data"]).decode("utf-8")
        for c in resource.get("content", [])
        if "data" in c.get("attachment", {})
    )


def gold_notes_stating(patient: Patient, fact: str) -> list[dict[str, Any]]:
    return [r for r in patient.of_type("DocumentReference") if fact in note_text(r)]


# -- the ingested cohort ---------------------------------------------------------------------


@dataclass
class Cohort:
    patients: dict[str, Patient]
    service: AskService

    def ask(self, who: str, name: str, question: str, **kwargs: Any) -> AskResult:
        return self.service.ask(who, self.patients[name].reference, question, **kwargs)


def _bundle(folder: Path, prefix: str) -> Path:
    found = sorted(folder.glob(f"{prefix}_*.json"))
    assert len(found) == 1, f"expected one bundle for {prefix} in {folder}"
    return found[0]


@pytest.fixture(scope="module")
def cohort(shared_data: Path) -> Iterator[Cohort]:
    folder = shared_data / DATASET
    patients = {prefix: _load(_bundle(folder, prefix), prefix) for prefix in PATIENTS}
    root = Path(tempfile.mkdtemp(prefix="clinvault-conf-ask-", dir=SHM if SHM.is_dir() else None))
    patients[BULK_NAME] = _load_bulk_patient(shared_data / BULK, BULK_PATIENT, root / "bulk")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        home = root / "home"
        home.mkdir()
        settings = Settings.load(
            home=home, index={"embedder": {"backend": "hashing"}, "path": str(home / "index")}
        )
        try:
            _ingest_and_grant(settings, list(patients.values()))
            with Runtime.open(settings) as runtime:
                yield Cohort(patients, runtime.ask_service())
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _ingest_and_grant(settings: Settings, patients: list[Patient]) -> None:
    with seeded_runtime(settings) as runtime:  # real dates vs shifted: the same every run
        report = runtime.ingest_pipeline().run([p.source for p in patients])
        assert report.patients == len(patients)
        assert report.rejected == []
        assert report.chunks_refused == 0
        store = runtime.access_store
        store.add_user(CLINICIAN, "clinician")
        store.add_user(RESEARCHER, "researcher")
        for patient in patients:
            store.grant(CLINICIAN, patient.reference)


# -- checks ------------------------------------------------------------------------------------


def _cited(result: AskResult) -> set[str]:
    return {c.reference for c in result.citations}


def _assert_answered_from_own_record(result: AskResult, patient: Patient) -> None:
    assert result.outcome == "answered", result.answer
    assert result.citations, result.answer
    assert result.invalid_citations == []
    assert result.grounded, result.uncited_statements
    assert not result.pseudonymous
    own = patient.references()
    for citation in result.citations:
        assert citation.reference in own, f"[{citation.n}] does not resolve to this patient"
        assert citation.reference.startswith(f"{citation.resource_type}/")


def _assert_lists_exactly(result: AskResult, patient: Patient, gold: list[dict[str, Any]]) -> None:
    _assert_answered_from_own_record(result, patient)
    assert _cited(result) == {_ref(r) for r in gold}
    # Case-blind: a value re-identified from a token comes back as the vault first saw it
    # (a value first seen in a note in another case is restored in that case).
    for resource in gold:
        display = _display(resource.get("code") or resource["medicationCodeableConcept"])
        assert display.casefold() in result.answer.casefold()


def _number(value: float) -> float:
    return round(value, 2)


LAB_PATIENTS = list(PATIENTS)
PATIENT_NAMES = [*PATIENTS, BULK_NAME]


@pytest.mark.parametrize("name", LAB_PATIENTS)
def test_latest_lab_value(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    lab = PATIENTS[name]
    gold = gold_latest(patient, lab.loinc)
    result = cohort.ask(CLINICIAN, name, lab.question)
    _assert_answered_from_own_record(result, patient)
    assert result.intent == "latest"
    assert _cited(result) == {_ref(gold)}
    quantity = gold["valueQuantity"]
    shown = re.findall(r"= (\d+(?:\.\d+)?) " + re.escape(quantity["unit"]), result.answer)
    assert [float(v) for v in shown] == [_number(quantity["value"])], result.answer
    day = gold["effectiveDateTime"][:10]
    assert day in result.answer
    assert result.citations[0].date is not None
    assert result.citations[0].date.startswith(day)


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_allergies(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    result = cohort.ask(CLINICIAN, name, QUESTIONS["allergies"])
    _assert_lists_exactly(result, patient, gold_allergies(patient))


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_active_conditions(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    gold = gold_active_conditions(patient)
    result = cohort.ask(CLINICIAN, name, QUESTIONS["active-conditions"])
    _assert_lists_exactly(result, patient, gold)
    active = {_display(r["code"]) for r in gold}
    for ended in patient.of_type("Condition"):
        if _display(ended["code"]) not in active:
            assert _display(ended["code"]) not in result.answer


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_current_medications(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    gold = gold_current_medications(patient)
    result = cohort.ask(CLINICIAN, name, QUESTIONS["current-medications"])
    _assert_lists_exactly(result, patient, gold)
    current = {_display(r["medicationCodeableConcept"]) for r in gold}
    for request in patient.of_type("MedicationRequest"):
        if _display(request["medicationCodeableConcept"]) not in current:
            assert _display(request["medicationCodeableConcept"]) not in result.answer


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_immunization_date(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    gold = gold_last_influenza(patient)
    result = cohort.ask(CLINICIAN, name, QUESTIONS["immunization-date"])
    _assert_answered_from_own_record(result, patient)
    assert _cited(result) == {_ref(gold)}
    day = gold["occurrenceDateTime"][:10]
    assert day in result.answer
    assert [c.date[:10] for c in result.citations if c.date] == [day]


def test_fact_only_in_notes(cohort: Cohort) -> None:
    patient = cohort.patients[BULK_NAME]
    gold = {_ref(r) for r in gold_notes_stating(patient, NOTE_FACT)}
    assert gold
    result = cohort.ask(CLINICIAN, BULK_NAME, NOTE_QUESTION)
    _assert_answered_from_own_record(result, patient)
    assert _cited(result) <= gold
    assert NOTE_FACT in result.answer


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_unanswerable_question_abstains(cohort: Cohort, name: str) -> None:
    result = cohort.ask(CLINICIAN, name, QUESTIONS["unanswerable"])
    assert result.outcome == "not-answerable", result.answer
    assert result.citations == []
    assert "do not answer" in result.answer


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_researcher_sees_allergens(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    result = cohort.ask(RESEARCHER, name, QUESTIONS["allergies"], purpose="HRESCH")
    assert result.pseudonymous
    assert len(result.citations) == len(gold_allergies(patient))
    missing = [
        _display(r["code"])
        for r in gold_allergies(patient)
        if _display(r["code"]).casefold() not in result.answer.casefold()
    ]
    assert missing == []


@pytest.mark.parametrize("name", PATIENT_NAMES)
def test_researcher_sees_no_names_or_real_dates(cohort: Cohort, name: str) -> None:
    patient = cohort.patients[name]
    shot = gold_last_influenza(patient)
    asks = [(QUESTIONS["immunization-date"], shot, shot["occurrenceDateTime"][:10])]
    if name in PATIENTS:
        lab = gold_latest(patient, PATIENTS[name].loinc)
        asks.append((PATIENTS[name].question, lab, lab["effectiveDateTime"][:10]))
    else:
        note = max(gold_notes_stating(patient, NOTE_FACT), key=lambda r: _instant(r["date"]))
        asks.append((NOTE_QUESTION, note, note["date"][:10]))
    for question, gold, real in asks:
        result = cohort.ask(RESEARCHER, name, question, purpose="HRESCH")
        assert result.pseudonymous
        assert result.outcome == "answered", result.answer
        assert real not in result.answer
        leaked = [v for v in patient.identifiers() if v.casefold() in result.answer.casefold()]
        assert leaked == [], f"{len(leaked)} identifier(s) of {name} in a researcher's answer"
        assert result.citations
        for citation in result.citations:
            assert citation.reference.startswith("RES-")
            assert citation.reference == citation.resource_token
            assert gold["id"] not in citation.reference
            assert citation.date is None or not citation.date.startswith(real)
