"""``/v1/patients``, ``/v1/responses/{id}``, cited resources, health, readiness, metrics."""

from __future__ import annotations

import pytest

from tests.api.conftest import METRICS_AUTH, Api
from tests.ask.ask_factories import NAME_FAMILY, NAME_GIVEN, OTHER_ID, PATIENT_ID
from tests.ask.conftest import AUDITOR, CARE_TEAM_LESS, CLINICIAN, RESEARCHER


def _ask(api: Api, user: str = CLINICIAN, role: str = "clinician") -> dict[str, object]:
    response = api.client.post(
        "/v1/chat",
        json={"patient": PATIENT_ID, "question": "What is the latest HbA1c?"},
        headers=api.headers(user, role),
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_clinician_lists_their_patients_with_names(api: Api) -> None:
    response = api.client.get("/v1/patients", headers=api.headers(CLINICIAN, "clinician"))
    assert response.status_code == 200
    patients = response.json()["patients"]
    assert {p["reference"] for p in patients} == {f"Patient/{PATIENT_ID}", f"Patient/{OTHER_ID}"}
    anna = next(p for p in patients if p["reference"] == f"Patient/{PATIENT_ID}")
    assert anna["name"] == f"{NAME_GIVEN} {NAME_FAMILY}"
    assert anna["relationship"] == "grant"
    record = api.last_record()
    assert (record.kind, record.principal, record.reason) == (
        "access",
        CLINICIAN,
        "patients-listed",
    )


def test_clinician_without_relationships_lists_nobody(api: Api) -> None:
    response = api.client.get("/v1/patients", headers=api.headers(CARE_TEAM_LESS, "clinician"))
    assert response.json()["patients"] == []


def test_researcher_lists_tokens_only(api: Api) -> None:
    response = api.client.get("/v1/patients", headers=api.headers(RESEARCHER, "researcher"))
    assert response.status_code == 200
    body = response.json()
    assert body["pseudonymous"] is True
    assert NAME_FAMILY not in response.text
    assert PATIENT_ID not in response.text
    assert api.cohort.patient_token in {p["patient_token"] for p in body["patients"]}


def test_auditor_may_not_list_patients(api: Api) -> None:
    response = api.client.get("/v1/patients", headers=api.headers(AUDITOR, "auditor"))
    assert response.status_code == 403
    assert api.last_record().reason == "role-not-permitted"


def test_asker_and_auditor_see_what_a_response_used(api: Api) -> None:
    body = _ask(api)
    path = f"/v1/responses/{body['response_id']}"
    mine = api.client.get(path, headers=api.headers(CLINICIAN, "clinician"))
    assert mine.status_code == 200
    viewed = api.last_record()
    assert (viewed.kind, viewed.principal, viewed.reason, viewed.related_response_id) == (
        "audit-view",
        CLINICIAN,
        "own-question-revealed",
        body["response_id"],
    )
    trace = mine.json()
    assert trace["question"] == "What is the latest HbA1c?"
    assert trace["retrieved"]
    assert {c["resource_token"] for c in trace["citations"]} == {
        c["resource_token"]
        for c in body["citations"]  # type: ignore[attr-defined]
    }
    audited = api.client.get(path, headers=api.headers(AUDITOR, "auditor"))
    assert audited.status_code == 200
    assert audited.json()["question"] == "What is the latest HbA1c?"
    view = api.last_record()
    assert (view.kind, view.related_response_id) == ("audit-view", body["response_id"])


def test_others_cannot_read_a_response(api: Api) -> None:
    body = _ask(api)
    response = api.client.get(
        f"/v1/responses/{body['response_id']}", headers=api.headers(RESEARCHER, "researcher")
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "response-not-visible"
    assert api.last_record().reason == "response-not-visible"
    unknown = api.client.get(
        f"/v1/responses/RSP-{'A' * 32}", headers=api.headers(AUDITOR, "auditor")
    )
    assert unknown.status_code == 403


def test_cited_resource_is_shown_reidentified_to_the_clinician(api: Api) -> None:
    body = _ask(api)
    citation = body["citations"][0]  # type: ignore[index]
    path = f"/v1/patients/{PATIENT_ID}/resources/{citation['resource_token']}"
    shown = api.client.get(path, headers=api.headers(CLINICIAN, "clinician"))
    assert shown.status_code == 200
    resource = shown.json()
    assert resource["pseudonymous"] is False
    assert (
        f"{resource['resource']['resourceType']}/{resource['resource']['id']}"
        == (citation["reference"])
    )
    refused = api.client.get(path, headers=api.headers(CARE_TEAM_LESS, "clinician"))
    assert refused.status_code == 403
    assert api.last_record().reason == "no-relationship"


def test_health_readiness_and_metrics(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"vault", "index", "audit", "model-route"}
    _ask(api)
    metrics = api.client.get("/metrics", headers=METRICS_AUTH).text
    assert 'clinvault_http_requests_total{method="POST",route="/v1/chat",status="200"}' in metrics
    assert "clinvault_denials_total" in metrics


def test_openapi_schema_lists_every_endpoint(api: Api) -> None:
    paths = set(api.client.get("/openapi.json").json()["paths"])
    assert {
        "/v1/chat",
        "/v1/chat/completions",
        "/v1/patients",
        "/v1/responses/{response_id}",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= paths


def test_readiness_fails_closed_naming_only_the_check(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> int:
        raise OSError(f"/srv/{NAME_FAMILY}/index: no such file")

    monkeypatch.setattr(api.services.index, "count", broken)
    response = api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not-ready",
        "checks": {"vault": "ok", "index": "failed: OSError", "audit": "ok", "model-route": "ok"},
    }
    assert NAME_FAMILY not in response.text


def test_metrics_label_route_templates_never_ids(api: Api) -> None:
    response_id = f"RSP-{'C' * 32}"
    api.client.get(f"/v1/responses/{response_id}", headers=api.headers(CLINICIAN, "clinician"))
    api.client.get(f"/v1/patients/{PATIENT_ID}/resources/RES-{'0' * 16}")
    metrics = api.client.get("/metrics", headers=METRICS_AUTH)
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'route="/v1/responses/{response_id}",status="403"' in metrics.text
    assert 'route="/v1/patients/{patient}/resources/{resource_token}"' in metrics.text
    assert response_id not in metrics.text
    assert PATIENT_ID not in metrics.text
    assert 'clinvault_denials_total{reason="response-not-visible"}' in metrics.text
