"""An ask refused for its input (empty question, unknown patient) is audited once: by the ask
service, with the patient and purpose; the API's aggregated refusal audit adds no second
record for it (it did before: one ``ask`` record and one aggregated ``access`` record)."""

from __future__ import annotations

from tests.ask.conftest import CLINICIAN, PATIENT_ID, Cohort
from tests.security.api_support import cohort, served

__all__ = ["cohort"]  # the module-scoped fixture


def test_input_refusals_of_an_ask_are_audited_once(cohort: Cohort) -> None:
    with served(cohort) as app:
        headers = app.headers(CLINICIAN, "clinician")
        empty = app.client.post(
            "/v1/chat", json={"patient": PATIENT_ID, "question": "   "}, headers=headers
        )
        unknown = app.client.post(
            "/v1/chat",
            json={"patient": "Patient/no-such-1", "question": "Latest HbA1c?"},
            headers=headers,
        )
        app.flush_refusals()
        records = app.new_records()
    assert empty.status_code in (400, 422), empty.text
    assert unknown.status_code in (403, 404), unknown.text
    rows = [(r.kind, r.outcome, r.reason) for r in records]
    # the empty question: the service's ask record only (no aggregated access record)
    assert [(k, o) for k, o, reason in rows if reason == "empty-question"] == [("ask", "error")]
    # the unknown patient: the access decision and the ask, as for any refused ask
    assert [k for k, _o, reason in rows if reason == "no-relationship"] == ["access", "ask"]
