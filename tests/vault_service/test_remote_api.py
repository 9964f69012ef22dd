"""The API app in remote mode (issue 15): the routes that show real data to a clinician get it
from the vault service's authorized calls, on the split deployment of ``split.py``.

``GET /v1/patients`` names a clinician's own patients (each name revealed by the vault for
the listing's response id, audited in the vault's chain) and no one else's; a researcher sees
tokens. ``GET /v1/patients/{id}/resources/{token}`` shows the clinician the original and the
researcher the pseudonymized form, which holds none of the patient's real values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from clinvault.api import ApiServices, create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.api.security.jwt import TokenIssuer
from clinvault.api.services import hs256_secret
from clinvault.audit import AuditLog
from clinvault.keys import RecordKeys
from tests.api.conftest import API_TEST_SETTINGS

from .split import CLINICIAN, RESEARCHER, Split


@dataclass
class RemoteApi:
    client: TestClient
    services: ApiServices
    issuer: TokenIssuer

    def headers(self, user: str, role: str) -> dict[str, str]:
        token = self.issuer.issue(user, role, scopes=("user/*.rs",), ttl_s=600)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def remote_api(split: Split) -> Iterator[RemoteApi]:
    settings = split.api_settings().model_copy(
        update={"api": split.api_settings().api.model_copy(update=API_TEST_SETTINGS)}
    )
    services = ApiServices.open(settings)
    app = create_app(settings, services=services, limiter=InProcessRateLimiter(1000))
    secret = hs256_secret(settings.auth, services.runtime.record_keys)
    assert secret is not None
    try:
        with TestClient(app) as client:
            yield RemoteApi(client, services, TokenIssuer(settings.auth, secret))
    finally:
        services.close()


def _full_name(split: Split, index: int) -> str:
    line = split.truth.read_text().splitlines()[index]
    return next(p["value"] for p in json.loads(line)["phi"] if p["type"] == "NAME")


def test_the_patient_list_names_only_the_clinicians_patients(
    split: Split, remote_api: RemoteApi
) -> None:
    listed = remote_api.client.get(
        "/v1/patients", headers=remote_api.headers(CLINICIAN, "clinician")
    )
    assert listed.status_code == 200, listed.text
    patients = listed.json()["patients"]
    assert [(p["reference"], p["name"]) for p in patients] == [
        (split.patients[0], _full_name(split, 0))
    ]
    research = remote_api.client.get(
        "/v1/patients", headers=remote_api.headers(RESEARCHER, "researcher")
    )
    assert research.status_code == 200, research.text
    assert {p["name"] for p in research.json()["patients"]} == {None}
    assert not any(value in research.text for value in split.needles())

    log = AuditLog.open(split.vault_side_settings(), RecordKeys.load(split.vault_side_settings()))
    try:
        vault_records = list(log.iter_records())
    finally:
        log.close()
    listing = [r for r in remote_api.services.audit.recent(20) if r.reason == "patients-listed"]
    revealed = {r.related_response_id for r in vault_records if r.reason == "reidentify-grant"}
    assert any(r.response_id in revealed for r in listing)


def test_a_resource_is_the_original_for_the_clinician_only(
    split: Split, remote_api: RemoteApi
) -> None:
    reference = split.patients[0]
    token = remote_api.services.vault.resource_token(reference)
    path = f"/v1/patients/{reference.split('/')[1]}/resources/{token}"
    clinician = remote_api.client.get(path, headers=remote_api.headers(CLINICIAN, "clinician"))
    assert clinician.status_code == 200, clinician.text
    assert clinician.json()["pseudonymous"] is False
    assert clinician.json()["resource"]["id"] == reference.split("/")[1]
    assert _full_name(split, 0).split()[-1] in clinician.text
    researcher = remote_api.client.get(
        path + "?purpose=HRESCH", headers=remote_api.headers(RESEARCHER, "researcher")
    )
    assert researcher.status_code == 200, researcher.text
    assert researcher.json()["pseudonymous"] is True
    assert not any(value in researcher.text for value in split.needles())
    assert reference.split("/")[1] not in researcher.text
