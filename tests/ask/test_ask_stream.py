"""``AskService.ask_stream`` over the hand-built cohort with a model double that writes its
answer in small pieces: re-identification across piece edges, pseudonyms for researchers,
citations checked on the whole text, and one audit record however the stream ends
(``answered``, ``aborted`` when closed early, ``error`` when the model fails mid-way)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from clinvault.ask import AskService
from clinvault.audit import AuditLog, AuditRecord
from clinvault.errors import LLMError
from clinvault.llm import EgressGuard, LLMResult, Message, Usage
from clinvault.vault import Vault
from tests.ask.ask_factories import NAME_FAMILY, NAME_GIVEN, PATIENT_ID
from tests.ask.conftest import CLINICIAN, RESEARCHER, Cohort, Services

PATIENT = f"Patient/{PATIENT_ID}"
QUESTION = "When was she last seen?"
REAL_DATE = "March 4, 2021"
PIECE = 3
"""Characters per model piece: every token and date is split across pieces."""


@dataclass
class PiecewiseLLM:
    """Writes ``reply`` ``PIECE`` characters at a time (after the real egress guard); notes
    how many pieces the service pulled, and whether the stream was closed before its end."""

    reply: str
    fail_after: int | None = None
    guard: EgressGuard = field(default_factory=EgressGuard)
    pulled: int = 0
    hung_up: bool = False

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        self.guard.check(messages, deny_values=deny_values)
        return LLMResult(self.reply, "piecewise/model", "piecewise", Usage(3, 4), 0.001)

    def stream(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> Iterator[str]:
        self.guard.check(messages, deny_values=deny_values)
        self.pulled, self.hung_up = 0, False
        return self._pieces()

    def _pieces(self) -> Iterator[str]:
        pieces = [self.reply[i : i + PIECE] for i in range(0, len(self.reply), PIECE)]
        try:
            for n, piece in enumerate(pieces):
                if n == self.fail_after:
                    raise LLMError("the model connection dropped")
                self.pulled += 1
                yield piece
        except GeneratorExit:
            self.hung_up = True
            raise

    @property
    def pieces_total(self) -> int:
        return -(-len(self.reply) // PIECE)


@dataclass(frozen=True)
class Reply:
    text: str
    name_token: str
    shifted_date: str


@pytest.fixture(scope="module")
def reply(cohort: Cohort) -> Reply:
    """A reply holding the patient's name token and a shifted date, citing [1] and [9]
    (only a few chunks are retrieved: [9] is out of range)."""
    vault = Vault.open(cohort.settings())
    try:
        patient = vault.patient_token(PATIENT)
        token = vault.scan(patient, f"{NAME_GIVEN} {NAME_FAMILY}")
        shifted = vault.scan(patient, REAL_DATE)
    finally:
        vault.close()
    assert token.startswith("[NAME-")
    assert shifted != REAL_DATE
    text = f"Patient {token} was last seen on {shifted} [1]. A later visit is noted [9]."
    return Reply(text, token, shifted)


@pytest.fixture
def model(reply: Reply) -> PiecewiseLLM:
    return PiecewiseLLM(reply.text)


@pytest.fixture
def streaming(services: Services, model: PiecewiseLLM) -> AskService:
    return services.get(model)


@pytest.fixture
def audit_log(cohort: Cohort) -> Iterator[AuditLog]:
    log = AuditLog.open(cohort.settings())
    yield log
    log.close()


def _records(log: AuditLog, response_id: str) -> list[AuditRecord]:
    return [r for r in log.recent(20) if r.response_id == response_id]


def test_clinician_stream_reidentifies_tokens_and_dates_split_across_pieces(
    streaming: AskService, model: PiecewiseLLM, reply: Reply, audit_log: AuditLog
) -> None:
    stream = streaming.ask_stream(CLINICIAN, PATIENT, QUESTION)
    first = next(stream)
    pulled_at_first = model.pulled
    shown = [first, *stream]
    text = "".join(shown)

    assert pulled_at_first < model.pieces_total / 2  # the first piece did not wait for the end
    assert len(shown) > 10
    assert f"{NAME_GIVEN} {NAME_FAMILY}" in text
    assert REAL_DATE in text
    assert reply.name_token not in text
    assert reply.shifted_date not in text
    result = stream.result
    assert result is not None
    assert result.pseudonymous is False
    # citations are checked on the whole text: [9] was not retrieved, so it is not cited
    assert result.invalid_citations == [9]
    assert "[9]" not in result.answer
    assert [c.n for c in result.citations] == [1]
    assert result.answer == text.replace(" [9]", "")
    [record] = _records(audit_log, stream.response_id)
    assert (record.outcome, record.reason) == ("answered", "citations-flagged")
    assert [c.resource for c in record.citations] == [result.citations[0].resource_token]


def test_researcher_stream_shows_tokens_and_shifted_dates_only(
    streaming: AskService, reply: Reply
) -> None:
    stream = streaming.ask_stream(RESEARCHER, PATIENT, QUESTION, purpose="HRESCH")
    text = "".join(stream)

    assert text == reply.text
    assert NAME_FAMILY not in text
    assert REAL_DATE not in text
    assert stream.result is not None
    assert stream.result.pseudonymous is True
    assert all(c.reference.startswith("RES-") for c in stream.result.citations)


def test_stream_closed_mid_answer_is_audited_once_as_aborted(
    streaming: AskService, model: PiecewiseLLM, audit_log: AuditLog
) -> None:
    stream = streaming.ask_stream(CLINICIAN, PATIENT, QUESTION)
    next(stream)
    next(stream)
    stream.close()
    stream.close()  # a second close changes nothing

    assert model.hung_up
    assert model.pulled < model.pieces_total
    [record] = _records(audit_log, stream.response_id)
    assert (record.kind, record.outcome, record.reason) == ("ask", "aborted", "stream-abandoned")
    assert record.retrieved  # what was retrieved for it is on record
    assert record.citations == ()


def test_stream_closed_before_its_first_piece_is_audited_as_aborted(
    streaming: AskService, model: PiecewiseLLM, audit_log: AuditLog
) -> None:
    stream = streaming.ask_stream(CLINICIAN, PATIENT, QUESTION)
    stream.close()

    assert model.pulled == 0
    [record] = _records(audit_log, stream.response_id)
    assert record.outcome == "aborted"


def test_model_failure_mid_stream_is_audited_once_as_an_error(
    streaming: AskService, model: PiecewiseLLM, audit_log: AuditLog
) -> None:
    model.fail_after = 5
    stream = streaming.ask_stream(CLINICIAN, PATIENT, QUESTION)
    with pytest.raises(LLMError):
        list(stream)
    stream.close()

    [record] = _records(audit_log, stream.response_id)
    assert (record.outcome, record.reason) == ("error", "llm-error")
