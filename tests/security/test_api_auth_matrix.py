"""Issue 19 item 8: the authentication and authorization checks that held in the attack run,
kept as a matrix: each refusal is a 401/403 with a stable reason, and audited."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from clinvault.api.security.jwt import TokenIssuer
from tests.ask.ask_factories import PATIENT_ID
from tests.ask.conftest import AUDITOR, CARE_TEAM_LESS, CLINICIAN, Cohort
from tests.security.api_support import Served, cohort, served

__all__ = ["cohort"]

RESOURCE = f"/v1/patients/{PATIENT_ID}/resources/RES-0123456789ABCDEF"


def _claims(app: Served, user: str, role: str) -> dict[str, object]:
    token = app.issuer.issue(user, role, scopes=("user/*.rs",), ttl_s=600)
    return jwt.decode(token, options={"verify_signature": False})


def _alg_none(app: Served) -> str:
    return jwt.encode(_claims(app, CLINICIAN, "clinician"), key=None, algorithm="none")


def _wrong_key(app: Served) -> str:
    other = TokenIssuer(app.issuer.settings, b"another-deployment-secret-of-32-bytes!")
    return other.issue(CLINICIAN, "clinician", scopes=("user/*.rs",), ttl_s=600)


def _expired(app: Served) -> str:
    past = TokenIssuer(app.issuer.settings, app.issuer.secret, now=lambda: time.time() - 7200)
    return past.issue(CLINICIAN, "clinician", scopes=("user/*.rs",), ttl_s=600)


def _forged_subject(app: Served) -> str:
    """A valid token with its subject swapped and the signature kept."""
    header, _payload, signature = app.issuer.issue(
        CARE_TEAM_LESS, "clinician", scopes=("user/*.rs",), ttl_s=600
    ).split(".")
    claims = _claims(app, CARE_TEAM_LESS, "clinician") | {"sub": CLINICIAN}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _stranger(app: Served) -> str:
    return app.issuer.issue("nobody-here", "clinician", scopes=("user/*.rs",), ttl_s=600)


def _role_mismatch(app: Served) -> str:
    return app.issuer.issue(AUDITOR, "clinician", scopes=("user/*.rs",), ttl_s=600)


def _ungranted(app: Served) -> str:
    return app.issuer.issue(CARE_TEAM_LESS, "clinician", scopes=("user/*.rs",), ttl_s=600)


CASES = [
    ("missing", None, 401, "token-missing", "unauthenticated"),
    ("alg-none", _alg_none, 401, "token-algorithm-rejected", "unauthenticated"),
    ("wrong-key", _wrong_key, 401, "token-bad-signature", "unauthenticated"),
    ("expired", _expired, 401, "token-expired", "unauthenticated"),
    ("forged-subject", _forged_subject, 401, "token-bad-signature", "unauthenticated"),
    ("stranger", _stranger, 403, "unknown-principal", "nobody-here"),
    ("role-mismatch", _role_mismatch, 403, "role-mismatch", AUDITOR),
    ("ungranted-patient", _ungranted, 403, "no-relationship", CARE_TEAM_LESS),
]


@pytest.mark.parametrize(
    ("mint", "status", "reason", "principal"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_refused_and_audited(
    cohort: Cohort, mint: object, status: int, reason: str, principal: str
) -> None:
    with served(cohort) as app:
        headers = {} if mint is None else {"Authorization": f"Bearer {mint(app)}"}  # type: ignore[operator]
        response = app.client.get(RESOURCE, headers=headers)
        records = app.new_records()
    assert response.status_code == status
    assert response.json()["error"]["code"] == reason
    refused = [r for r in records if r.outcome == "refused"]
    assert [(r.reason, r.principal) for r in refused] == [(reason, principal)]
    if status == 401:
        assert refused[0].client == "203.0.113.7"


def test_the_granted_clinician_passes_the_same_gate(cohort: Cohort) -> None:
    """Control: the matrix refuses because of the token, not because the route always does."""
    with served(cohort) as app:
        response = app.client.get(RESOURCE, headers=app.headers(CLINICIAN, "clinician"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown-resource"
