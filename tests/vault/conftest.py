from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from clinvault.clock import FixedClock, seeded_random
from clinvault.keys import KeyRing
from clinvault.settings import Settings
from clinvault.vault import Vault
from clinvault.vault.policy import load_policy
from clinvault.vault.store_sql import SqlVaultStore
from tests.conftest import POSTGRES_URL


def postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[SqlVaultStore]:
    if request.param == "sqlite":
        s = SqlVaultStore(settings.vault_url)
    else:
        if not postgres_available():
            import os

            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 in CI")
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        s = SqlVaultStore(POSTGRES_URL, prefix=f"t{uuid.uuid4().hex[:10]}_")
    yield s
    if request.param == "postgresql":
        s.drop_all()
    s.close()


@pytest.fixture
def vault(store: SqlVaultStore, settings: Settings) -> Iterator[Vault]:
    rnd = seeded_random(7)
    v = Vault(
        store=store,
        keys=KeyRing.from_master(bytes(range(32))),
        policy=load_policy(settings.vault.policy_file),
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), timedelta(seconds=1)),
        random=rnd,
    )
    return v


PATIENT = {
    "resourceType": "Patient",
    "id": "pat-okafor-1",
    "name": [{"family": "Okafor", "given": ["Chidi", "Benedict"], "prefix": ["Mr."]}],
    "birthDate": "1960-03-05",
    "identifier": [
        {
            "system": "urn:oid:2.16.840.1.113883.19.5",
            "type": {"coding": [{"code": "MR"}]},
            "value": "MRN-448812",
        },
        {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"},
    ],
    "telecom": [
        {"system": "phone", "value": "316-555-0142"},
        {"system": "email", "value": "chidi.okafor@example.org"},
    ],
    "address": [
        {
            "line": ["1427 Maple Grove Ave"],
            "city": "Wichita",
            "state": "KS",
            "postalCode": "67202",
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                    "extension": [{"url": "latitude", "valueDecimal": 37.68}],
                }
            ],
        }
    ],
    "contact": [
        {
            "relationship": [{"text": "daughter"}],
            "name": {"family": "Okafor", "given": ["Adaeze"]},
            "telecom": [{"system": "phone", "value": "(316) 555-0199"}],
        }
    ],
    "generalPractitioner": [{"reference": "Practitioner/prac-1", "display": "Dr. Helen Marsh"}],
    "photo": [{"contentType": "image/png", "data": "aGVsbG8="}],
    "text": {"status": "generated", "div": "<div>Chidi Okafor, 316-555-0142</div>"},
}

PATIENT_PHI = [
    "Okafor",
    "Chidi",
    "Benedict",
    "MRN-448812",
    "999-12-3456",
    "316-555-0142",
    "chidi.okafor@example.org",
    "1427 Maple Grove Ave",
    "Wichita",
    "67202",
    "Adaeze",
    "555-0199",
    "Helen Marsh",
    "pat-okafor-1",
    "prac-1",
    "1960-03-05",
]
