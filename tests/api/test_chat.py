"""``POST /v1/chat``: answers with citations for allowed principals, JSON and SSE, audited."""

from __future__ import annotations

import json

from tests.api.conftest import Api
from tests.ask.ask_factories import LATEST_HBA1C, NAME_FAMILY, OTHER_ID, PATIENT_ID
from tests.ask.conftest import CLINICIAN, RESEARCHER

QUESTION = "What is the latest HbA1c?"


def test_clinician_with_grant_gets_a_cited_reidentified_answer(api: Api) -> None:
    response = api.client.post(
        "/v1/chat",
        json={"patient": f"Patient/{PATIENT_ID}", "question": QUESTION},
        headers=api.headers(CLINICIAN, "clinician"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert LATEST_HBA1C in body["answer"]
    assert body["citations"]
    assert body["citations"][0]["reference"].startswith("Observation/")
    assert body["pseudonymous"] is False
    assert body["conversation_id"].startswith("CNV-")
    record = api.services.audit.get(body["response_id"])
    assert record is not None
    assert record.kind == "ask"
    assert record.principal == CLINICIAN
    assert record.outcome == "answered"
    assert {c.resource for c in record.citations} == {
        c["resource_token"] for c in body["citations"]
    }


def test_researcher_gets_pseudonyms_only(api: Api) -> None:
    response = api.client.post(
        "/v1/chat",
        json={"patient": api.cohort.patient_token, "question": "What is the patient's name?"},
        headers=api.headers(RESEARCHER, "researcher"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pseudonymous"] is True
    assert NAME_FAMILY not in response.text
    assert all(c["reference"].startswith("RES-") for c in body["citations"])
    record = api.services.audit.get(body["response_id"])
    assert record is not None
    assert record.purpose == "HRESCH"
    assert record.reason != "refused"


def test_stream_sends_tokens_then_citations_then_done(api: Api) -> None:
    with api.client.stream(
        "POST",
        "/v1/chat",
        json={"patient": PATIENT_ID, "question": QUESTION, "stream": True},
        headers=api.headers(CLINICIAN, "clinician"),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in text.strip().split("\n\n")
    ]
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"]
    assert set(names[:-2]) == {"token"}
    answer = "".join(data["text"] for name, data in events if name == "token")
    assert LATEST_HBA1C in answer
    done = events[-1][1]
    assert api.services.audit.get(done["response_id"]) is not None


def test_conversation_is_bound_to_principal_and_patient(api: Api) -> None:
    headers = api.headers(CLINICIAN, "clinician")
    first = api.client.post(
        "/v1/chat", json={"patient": PATIENT_ID, "question": QUESTION}, headers=headers
    ).json()
    again = api.client.post(
        "/v1/chat",
        json={
            "patient": PATIENT_ID,
            "question": "Any allergies?",
            "conversation_id": first["conversation_id"],
        },
        headers=headers,
    )
    assert again.status_code == 200
    assert again.json()["conversation_id"] == first["conversation_id"]
    other_patient = api.client.post(
        "/v1/chat",
        json={
            "patient": OTHER_ID,
            "question": QUESTION,
            "conversation_id": first["conversation_id"],
        },
        headers=headers,
    )
    assert other_patient.status_code == 403
    assert other_patient.json()["error"]["code"] == "conversation-not-bound"
    assert api.last_record().reason == "conversation-not-bound"
    other_user = api.client.post(
        "/v1/chat",
        json={
            "patient": PATIENT_ID,
            "question": QUESTION,
            "conversation_id": first["conversation_id"],
        },
        headers=api.headers(RESEARCHER, "researcher"),
    )
    assert other_user.status_code == 403
    assert api.last_record().principal == RESEARCHER


def test_bad_input_names_what_and_where_without_echoing_it(api: Api) -> None:
    headers = api.headers(CLINICIAN, "clinician")
    planted = f"{NAME_FAMILY} 1961-04-17"
    invalid = api.client.post(
        "/v1/chat",
        json={"patient": PATIENT_ID, "question": planted, "purpose": planted, "extra": planted},
        headers={**headers, "X-Break-Glass": "x" * 501},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"] == {
        "message": "invalid fields: body.extra, body.purpose, header.X-Break-Glass",
        "type": "invalid_request_error",
        "code": "invalid-request",
    }
    not_json = api.client.post(
        "/v1/chat",
        content=f"{{patient: {planted}".encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["error"]["code"] == "invalid-body"
    assert not_json.json()["error"]["message"] == (
        "the request body is not valid JSON (at character 1)"
    )
    not_utf8 = api.client.post(
        "/v1/chat",
        content=b"\xc3\x28" + planted.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert not_utf8.status_code == 400
    assert not_utf8.json()["error"]["code"] == "invalid-body"
    for response in (invalid, not_json, not_utf8):
        assert NAME_FAMILY not in response.text
        assert "1961" not in response.text
