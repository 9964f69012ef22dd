"""Citations: only retrieved evidence can be cited; invented numbers and bare claims are flagged."""

from __future__ import annotations

from clinvault.ask.citations import check_citations, uncited_statements
from clinvault.audit import AuditLog
from clinvault.model import Chunk
from tests.ask.ask_doubles import ScriptedLLM
from tests.ask.ask_factories import PATIENT_ID
from tests.ask.conftest import CLINICIAN, Cohort, Services


def _chunk(n: int) -> Chunk:
    return Chunk(f"c{n}", "PT-0000000000000001", "Observation", f"RES-{n:016X}", "resource", "t")


def test_out_of_range_numbers_are_removed_and_reported() -> None:
    check = check_citations(
        "A is 5 [1]. B is 6 [7]. C [2, 9], D [1] and [8].", [_chunk(1), _chunk(2)]
    )
    assert check.answer == "A is 5 [1]. B is 6. C [2], D [1]."
    assert check.invalid_numbers == [7, 9, 8]
    assert [c.chunk.chunk_id for c in check.cited] == ["c1", "c2"]
    assert check.uncited_statements == []  # "B is 6." is covered by the group that follows
    assert not check.grounded


def test_uncited_statements_are_flagged_but_list_intros_and_refusals_are_not() -> None:
    answer = (
        "Matching records:\n- value 5 [1]\nShe is doing well.\n"
        "The provided records do not answer this question."
    )
    assert uncited_statements(answer) == ["She is doing well."]
    assert uncited_statements("Value 7.9 % [1]. No allergies known.") == ["No allergies known."]


def test_citations_never_point_outside_the_retrieved_evidence(
    services: Services, cohort: Cohort
) -> None:
    llm = ScriptedLLM("Her HbA1c is 7.9 % [1]. Also see [2] and [40]. She feels fine.")
    result = services.get(llm).ask(CLINICIAN, f"Patient/{PATIENT_ID}", "latest HbA1c?", top_k=3)
    assert "[40]" not in result.answer
    assert result.invalid_citations == [40]
    assert result.uncited_statements == ["She feels fine."]
    retrieved = {chunk_id for chunk_id, _ in result.retrieved}
    assert len(retrieved) == 3
    assert {c.chunk_id for c in result.citations} <= retrieved
    log = AuditLog.open(cohort.settings())
    try:
        record = log.get(result.response_id)
    finally:
        log.close()
    assert record is not None
    assert record.reason == "citations-flagged"
    assert {c.chunk_id for c in record.citations} <= {r.chunk_id for r in record.retrieved}


def test_a_nothing_recorded_answer_is_an_abstention_without_citations() -> None:
    from clinvault.ask.citations import says_not_answered, uncited_statements

    text = "No record of stroke in the provided records (searched the evidence items of kinds: Condition)."
    assert says_not_answered(text)
    assert uncited_statements(text) == []
