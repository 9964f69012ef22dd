"""End to end on the hand-built cohort (hashing embedder, offline evidence model)."""

from __future__ import annotations

from clinvault.ask import AskService
from clinvault.audit import AuditLog
from tests.ask.ask_factories import (
    BIRTH_DATE,
    FLU_DATE,
    LATEST_HBA1C,
    MRN,
    NAME_FAMILY,
    NOTE_FACT,
    PATIENT_ID,
    PHONE,
    hba1c_series,
)
from tests.ask.conftest import CLINICIAN, RESEARCHER, Cohort

PATIENT = f"Patient/{PATIENT_ID}"


def _references(result: object) -> set[str]:
    return {c.reference for c in result.citations}  # type: ignore[attr-defined]


def test_latest_lab_value_among_twenty_look_alikes(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What is the latest HbA1c?")
    newest_date, _ = hba1c_series()[-1]
    assert result.intent == "latest"
    assert f"{LATEST_HBA1C} %" in result.answer
    assert newest_date in result.answer  # the real date, re-identified
    assert _references(result) == {"Observation/a1c-19"}
    assert result.grounded
    assert result.outcome == "answered"


def test_trend_lists_every_value_in_date_order(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "How has her HbA1c changed over time?")
    series = hba1c_series()
    assert result.intent == "trend"
    assert [c.reference for c in result.citations] == [f"Observation/a1c-{i}" for i in range(20)]
    positions = [result.answer.index(day) for day, _ in series]
    assert positions == sorted(positions)


def test_allergies(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What allergies does she have?")
    assert "penicillin" in result.answer
    assert "Shellfish" in result.answer
    assert _references(result) == {"AllergyIntolerance/allergy-1", "AllergyIntolerance/allergy-2"}


def test_active_conditions_leave_out_resolved_ones(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What are her active conditions?")
    assert "Diabetes mellitus type 2" in result.answer
    assert "hypertension" in result.answer
    assert "bronchitis" not in result.answer
    assert _references(result) == {"Condition/cond-dm", "Condition/cond-htn"}


def test_current_medications(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What are her current medications?")
    assert "metformin" in result.answer
    assert "lisinopril" in result.answer
    assert {"MedicationRequest/med-metformin", "MedicationRequest/med-lisinopril"} <= _references(
        result
    )


def test_immunization_date_is_the_real_date(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "Which immunizations has she had?")
    assert "Influenza" in result.answer
    assert FLU_DATE in result.answer
    assert [c.date for c in result.citations] == [FLU_DATE]


def test_fact_only_in_a_note_is_found_and_quoted_by_its_statement(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "Was she bitten by a dog?")
    assert NOTE_FACT in result.answer
    assert _references(result) == {"DocumentReference/note-1"}
    # only the statement that answers, not the note's other sentences
    for other in (NAME_FAMILY, PHONE, "healing well", "came in today"):
        assert other not in result.answer


def test_tokens_in_a_quoted_note_statement_are_reidentified(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, f"Did Ms. {NAME_FAMILY} call back about a fever?")
    assert _references(result) == {"DocumentReference/note-1"}
    assert f"Ms. {NAME_FAMILY} came in today" in result.answer
    assert f"Call back at {PHONE} if fever develops" in result.answer
    assert "[NAME-" not in result.answer
    assert "[PHONE-" not in result.answer


def test_unanswerable_question_cites_nothing(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What is her blood type?")
    assert result.outcome == "not-answerable"
    assert result.citations == []
    assert result.uncited_statements == []
    assert "do not answer" in result.answer


def test_researcher_sees_pseudonyms_only(service: AskService) -> None:
    question = f"Did Ms. {NAME_FAMILY} call back about a fever?"
    result = service.ask(RESEARCHER, PATIENT, question, purpose="HRESCH")
    assert result.pseudonymous
    assert "fever" in result.answer
    assert "[NAME-" in result.answer
    assert "[PHONE-" in result.answer
    for value in (NAME_FAMILY, PHONE, MRN, BIRTH_DATE, "note-1"):
        assert value not in result.answer
    assert all(c.reference.startswith("RES-") for c in result.citations)
    assert result.citations
    assert result.citations[0].reference == result.citations[0].resource_token


def test_researcher_dates_stay_shifted(service: AskService) -> None:
    result = service.ask(RESEARCHER, PATIENT, "What is the latest HbA1c?", purpose="HRESCH")
    newest_date, _ = hba1c_series()[-1]
    assert f"{LATEST_HBA1C} %" in result.answer
    assert newest_date not in result.answer


def test_the_question_is_pseudonymized_before_it_reaches_the_model(service: AskService) -> None:
    result = service.ask(CLINICIAN, PATIENT, f"What is {NAME_FAMILY}'s most recent systolic bp?")
    assert "141" in result.answer
    assert _references(result) == {"Observation/bp-2"}


def test_every_ask_is_audited_with_its_evidence(service: AskService, cohort: Cohort) -> None:
    result = service.ask(CLINICIAN, PATIENT, "What is the latest HbA1c?")
    settings = cohort.settings()
    log = AuditLog.open(settings)
    try:
        record = log.get(result.response_id)
        assert record is not None
        assert record.kind == "ask"
        assert record.outcome == "answered"
        assert record.reason == "grounded"
        assert record.principal == CLINICIAN
        assert record.role == "clinician"
        assert record.purpose == "TREAT"
        assert record.patient == cohort.patient_token
        assert [r.chunk_id for r in record.retrieved] == [c for c, _ in result.retrieved]
        assert {c.resource for c in record.citations} == {
            c.resource_token for c in result.citations
        }
        assert record.prompt_sha256
        assert record.output_sha256
        assert set(record.latency_breakdown) >= {"authorize", "retrieval", "llm", "reidentify"}
        assert record.model == "clinvault/evidence"
        assert record.question_sealed is not None
        assert b"HbA1c" not in record.question_sealed
        access = log.get(record.related_response_id or "")
        assert access is not None
        assert access.kind == "access"
        assert access.outcome == "allowed"
        assert log.verify().ok
    finally:
        log.close()
