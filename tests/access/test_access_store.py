"""AccessStore contract on SQLite and PostgreSQL: principals, grants, care teams, no plaintext."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from clinvault.access import AccessStore, Principal, Role
from clinvault.errors import InputError

NPI_REF = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999941699"


def test_add_user_and_read_back(store: AccessStore) -> None:
    added = store.add_user("dr.grey", "clinician", "Practitioner/p-17")
    assert added == Principal("dr.grey", Role.CLINICIAN, "Practitioner/p-17")
    assert store.principal("dr.grey") == added
    assert store.principal("dr.gray") is None


def test_duplicate_user_is_refused(store: AccessStore) -> None:
    store.add_user("dr.grey", "clinician")
    with pytest.raises(InputError, match="already exists"):
        store.add_user("dr.grey", "researcher")
    assert store.principal("dr.grey") == Principal("dr.grey", Role.CLINICIAN)


@pytest.mark.parametrize(
    ("name", "role", "practitioner"),
    [("dr grey", "clinician", None), ("dr.grey", "admin", None), ("dr.grey", "clinician", "Org/1")],
)
def test_malformed_users_are_refused(
    store: AccessStore, name: str, role: str, practitioner: str | None
) -> None:
    with pytest.raises(InputError):
        store.add_user(name, role, practitioner)
    assert store.users() == []


def test_grants_match_any_spelling_of_the_patient_reference(store: AccessStore) -> None:
    store.add_user("dr.grey", "clinician")
    assert store.grant("dr.grey", "abc-123") is True
    assert store.grant("dr.grey", "Patient/abc-123") is False, "already granted"
    assert store.has_grant("dr.grey", "https://ehr.example/fhir/Patient/abc-123")
    assert not store.has_grant("dr.grey", "Patient/other")
    assert store.granted_patients("dr.grey") == ["Patient/abc-123"]

    assert store.revoke("dr.grey", "Patient/abc-123") is True
    assert store.revoke("dr.grey", "abc-123") is False
    assert not store.has_grant("dr.grey", "abc-123")


def test_grants_need_an_existing_clinician(store: AccessStore) -> None:
    with pytest.raises(InputError, match="no such user"):
        store.grant("ghost", "abc")
    store.add_user("res.one", "researcher")
    with pytest.raises(InputError, match="clinicians"):
        store.grant("res.one", "abc")


def test_users_lists_roles_and_grant_counts(store: AccessStore) -> None:
    store.add_user("res.one", "researcher")
    store.add_user("dr.grey", "clinician", NPI_REF)
    store.grant("dr.grey", "a")
    store.grant("dr.grey", "b")
    summary = [
        (u.principal.name, u.principal.role, u.principal.practitioner, u.grants)
        for u in store.users()
    ]
    assert summary == [
        ("dr.grey", Role.CLINICIAN, NPI_REF, 2),
        ("res.one", Role.RESEARCHER, None, 0),
    ]


def test_care_team_links_are_additive_and_idempotent(store: AccessStore) -> None:
    assert store.record_care_team("Patient/abc", ["Practitioner/p1", "p2", "Practitioner/p1"]) == 2
    assert store.record_care_team("abc", ["Practitioner/p2", NPI_REF]) == 1
    assert store.in_care_team("Practitioner/p1", "abc")
    assert store.in_care_team("p2", "Patient/abc")
    assert store.in_care_team(NPI_REF, "Patient/abc")
    assert not store.in_care_team("Practitioner/p1", "Patient/other")


def test_care_team_refuses_non_practitioner_references(store: AccessStore) -> None:
    with pytest.raises(InputError, match="Practitioner"):
        store.record_care_team("Patient/abc", ["Practitioner/p1", "Organization/o1"])
    assert not store.in_care_team("Practitioner/p1", "Patient/abc"), "nothing half-written"


def test_nothing_is_stored_in_plaintext(store: AccessStore, sql_engine: Engine) -> None:
    store.add_user("dr.grey", "clinician", "Practitioner/p-17")
    store.grant("dr.grey", "Patient/abc-123")
    store.record_care_team("Patient/abc-123", ["Practitioner/p-17"])
    with sql_engine.connect() as connection:
        rows = [
            tuple(row)
            for table in ("access_principals", "access_grants", "access_care_team")
            for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
        ]
    assert len(rows) == 3
    dump = repr(rows).encode() + b"".join(v for row in rows for v in row if isinstance(v, bytes))
    for secret in (b"dr.grey", b"p-17", b"abc-123"):
        assert secret not in dump
