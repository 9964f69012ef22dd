"""Every way a request is refused: 401/403/429 with a reason code, each with its audit record."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt
import pytest

from clinvault.api.security.jwt import TokenIssuer
from tests.api.conftest import Api
from tests.ask.ask_factories import NAME_FAMILY, OTHER_ID, PATIENT_ID
from tests.ask.conftest import AUDITOR, CARE_TEAM_LESS, CLINICIAN, RESEARCHER

CHAT = {"patient": f"Patient/{PATIENT_ID}", "question": "What is the latest HbA1c?"}


def _post(
    api: Api,
    token: str | None,
    body: Mapping[str, object] = CHAT,
    headers: Mapping[str, str] | None = None,
) -> Any:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return api.client.post("/v1/chat", json=body, headers=sent)


def _refused(api: Api, response: Any, status: int, reason: str, principal: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == reason
    record = api.last_record()
    assert record.outcome == "refused"
    assert record.reason == reason
    assert record.principal == principal


def _issuer(api: Api, **changes: object) -> TokenIssuer:
    return TokenIssuer(api.issuer.settings.model_copy(update=changes), api.issuer.secret)


def test_no_token(api: Api) -> None:
    response = _post(api, None)
    _refused(api, response, 401, "token-missing", "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token(api: Api) -> None:
    past = TokenIssuer(api.issuer.settings, api.issuer.secret, now=lambda: time.time() - 7200)
    token = past.issue(CLINICIAN, "clinician", scopes=["user/*.rs"], ttl_s=600)
    _refused(api, _post(api, token), 401, "token-expired", "unauthenticated")


def test_not_yet_valid_token(api: Api) -> None:
    future = TokenIssuer(api.issuer.settings, api.issuer.secret, now=lambda: time.time() + 7200)
    token = future.issue(CLINICIAN, "clinician", scopes=["user/*.rs"], ttl_s=600)
    _refused(api, _post(api, token), 401, "token-not-yet-valid", "unauthenticated")


def test_wrong_audience(api: Api) -> None:
    token = _issuer(api, audience="another-api").issue(
        CLINICIAN, "clinician", scopes=["user/*.rs"], ttl_s=600
    )
    _refused(api, _post(api, token), 401, "token-wrong-audience", "unauthenticated")


def test_wrong_issuer(api: Api) -> None:
    token = _issuer(api, issuer="https://evil.example").issue(
        CLINICIAN, "clinician", scopes=["user/*.rs"], ttl_s=600
    )
    _refused(api, _post(api, token), 401, "token-wrong-issuer", "unauthenticated")


def test_alg_none(api: Api) -> None:
    claims = jwt.decode(api.token(CLINICIAN, "clinician"), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key="", algorithm="none")
    _refused(api, _post(api, unsigned), 401, "token-algorithm-rejected", "unauthenticated")


def test_tampered_signature(api: Api) -> None:
    header, _payload, signature = api.token(RESEARCHER, "researcher").split(".")
    forged_claims = jwt.decode(
        api.token(CLINICIAN, "clinician"), options={"verify_signature": False}
    )
    forged_payload = jwt.encode(forged_claims, "x" * 32, algorithm="HS256").split(".")[1]
    _refused(
        api,
        _post(api, f"{header}.{forged_payload}.{signature}"),
        401,
        "token-bad-signature",
        "unauthenticated",
    )


def test_signed_with_another_secret(api: Api) -> None:
    token = TokenIssuer(api.issuer.settings, b"k" * 32).issue(
        CLINICIAN, "clinician", scopes=["user/*.rs"], ttl_s=600
    )
    _refused(api, _post(api, token), 401, "token-bad-signature", "unauthenticated")


def test_malformed_token(api: Api) -> None:
    _refused(api, _post(api, "not-a-jwt"), 401, "token-malformed", "unauthenticated")


def test_unknown_user(api: Api) -> None:
    token = api.token("dr-nobody", "clinician")
    _refused(api, _post(api, token), 403, "unknown-principal", "dr-nobody")


def test_role_claim_must_match_the_registered_role(api: Api) -> None:
    token = api.token(RESEARCHER, "clinician")
    _refused(api, _post(api, token), 403, "role-mismatch", RESEARCHER)


def test_patient_not_accessible(api: Api) -> None:
    before = api.head_seq()
    response = _post(api, api.token(CARE_TEAM_LESS, "clinician"))
    _refused(api, response, 403, "no-relationship", CARE_TEAM_LESS)
    kinds = [(r.kind, r.outcome, r.reason) for r in api.records_since(before)]
    assert kinds == [
        ("access", "refused", "no-relationship"),
        ("ask", "refused", "no-relationship"),
    ]


def test_auditor_may_not_ask(api: Api) -> None:
    _refused(api, _post(api, api.token(AUDITOR, "auditor")), 403, "role-not-permitted", AUDITOR)


def test_unknown_purpose(api: Api) -> None:
    body = {**CHAT, "purpose": "MARKETING"}
    _refused(
        api,
        _post(api, api.token(CLINICIAN, "clinician"), body),
        403,
        "purpose-not-permitted",
        CLINICIAN,
    )


def test_patient_scope_for_another_patient_is_too_narrow(api: Api) -> None:
    token = api.token(CLINICIAN, "clinician", scopes=("patient/*.rs",), patient=OTHER_ID)
    response = _post(api, token)
    _refused(api, response, 403, "scope-insufficient", CLINICIAN)
    assert api.last_record().patient == api.cohort.patient_token


def test_write_only_scope_is_too_narrow(api: Api) -> None:
    token = api.token(CLINICIAN, "clinician", scopes=("user/*.cu",))
    _refused(api, _post(api, token), 403, "scope-insufficient", CLINICIAN)


def test_patient_scope_for_the_launch_patient_is_enough(api: Api) -> None:
    token = api.token(CLINICIAN, "clinician", scopes=("patient/*.rs",), patient=PATIENT_ID)
    assert _post(api, token).status_code == 200


def test_resource_scope_limits_what_is_retrieved(api: Api) -> None:
    token = api.token(CLINICIAN, "clinician", scopes=("user/AllergyIntolerance.rs",))
    response = _post(api, token, {**CHAT, "question": "What is the latest HbA1c?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert all(c["resource_type"] == "AllergyIntolerance" for c in body["citations"])
    record = api.services.audit.get(body["response_id"])
    assert record is not None
    assert "7.9" not in body["answer"]


def test_break_glass_is_allowed_flagged_and_listed(api: Api) -> None:
    before = api.head_seq()
    response = _post(
        api, api.token(CARE_TEAM_LESS, "clinician"), headers={"X-Break-Glass": "unconscious in ED"}
    )
    assert response.status_code == 200, response.text
    records = api.records_since(before)
    access = next(r for r in records if r.kind == "access")
    ask = next(r for r in records if r.kind == "ask")
    assert access.break_glass
    assert access.reason == "break-glass"
    assert ask.break_glass
    assert ask.response_id == response.json()["response_id"]
    listed = {r.response_id for r in api.services.audit.break_glass_records()}
    assert {access.response_id, ask.response_id} <= listed


def test_break_glass_needs_a_reason(api: Api) -> None:
    response = _post(api, api.token(CARE_TEAM_LESS, "clinician"), headers={"X-Break-Glass": "  "})
    _refused(api, response, 403, "break-glass-reason-required", CARE_TEAM_LESS)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/patients", "GET"),
        (f"/v1/responses/RSP-{'0' * 32}", "GET"),
        ("/v1/chat/completions", "POST"),
    ],
)
def test_every_data_endpoint_needs_a_token(api: Api, path: str, method: str) -> None:
    response = api.client.request(method, path, json={} if method == "POST" else None)
    _refused(api, response, 401, "token-missing", "unauthenticated")


def test_researcher_claiming_treatment_and_break_glass_still_gets_pseudonyms(api: Api) -> None:
    before = api.head_seq()
    response = _post(
        api,
        api.token(RESEARCHER, "researcher"),
        {"patient": api.cohort.patient_token, "question": "What is the name?", "purpose": "TREAT"},
        headers={"X-Break-Glass": "curious"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pseudonymous"] is True
    assert NAME_FAMILY not in response.text
    assert PATIENT_ID not in response.text
    access, ask = api.records_since(before)
    assert (access.kind, access.principal, access.reason) == (
        "access",
        RESEARCHER,
        "pseudonymous-only",
    )
    assert (ask.kind, ask.principal, ask.response_id) == ("ask", RESEARCHER, body["response_id"])
    assert not access.break_glass
    assert not ask.break_glass
    listed = {r.response_id for r in api.services.audit.break_glass_records()}
    assert not {access.response_id, ask.response_id} & listed


def test_researcher_sees_a_cited_resource_pseudonymized(api: Api) -> None:
    headers = api.headers(RESEARCHER, "researcher")
    asked = api.client.post(
        "/v1/chat",
        json={"patient": api.cohort.patient_token, "question": "What is the latest HbA1c?"},
        headers=headers,
    ).json()
    token = asked["citations"][0]["resource_token"]
    before = api.head_seq()
    shown = api.client.get(
        f"/v1/patients/{api.cohort.patient_token}/resources/{token}", headers=headers
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["pseudonymous"] is True
    assert NAME_FAMILY not in shown.text
    assert PATIENT_ID not in shown.text
    access = api.records_since(before)
    assert [(r.kind, r.principal, r.reason) for r in access] == [
        ("access", RESEARCHER, "pseudonymous-only")
    ]
