"""Consent denials across the wire: what the vault service computes (``checks.consent_denials``
on a real vault) is what the API's remote client reads back, purposes included."""

from __future__ import annotations

import json

import httpx

from clinvault.access.consent import ConsentDeny, consent_resource
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault_service.checks import consent_denials
from clinvault.vault_service.remote import RemoteVaultClient

PATIENT = "Patient/wire-1"


def test_purpose_and_research_denials_round_trip(settings: Settings) -> None:
    with Runtime.open(settings) as runtime:
        vault = runtime.vault
        with vault.transaction():
            session = vault.patient_session(PATIENT)
            session.seal(PATIENT, {"resourceType": "Patient", "id": "wire-1"})
            session.seal(
                "Consent/c-1",
                consent_resource("c-1", PATIENT, "research", "2026-01-01", ["HOPERAT"]),
            )
            session.flush()
        token = vault.patient_token(PATIENT)

        def service(request: httpx.Request) -> httpx.Response:
            assert request.url.path == "/v1/call/consent_denials"
            args = json.loads(request.content)["args"]
            return httpx.Response(
                200, json={"result": consent_denials(vault, args["patient_token"])}
            )

        client = RemoteVaultClient(
            httpx.Client(transport=httpx.MockTransport(service), base_url="https://vault")
        )
        consent = vault.resource_token("Consent/c-1")
        assert client.consent_denials(token) == [
            ConsentDeny("purpose", consent, ("HOPERAT",)),
            ConsentDeny("research", consent),
        ]
