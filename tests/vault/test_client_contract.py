"""The ``VaultClient`` contract: what every vault client must do, seen from the caller.

Written against the protocol only (the ``client`` fixture), with plain-data assertions, so
a remote client (issue 15) reuses it by adding a fixture parameter. Here the in-process
``Vault`` runs it over SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import pickle
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pytest

from clinvault.errors import PatientErased, VaultError
from clinvault.keys import KeyRing
from clinvault.vault import SHARED_SCOPE, PatientSession, SourceRecord, Stored, Vault, VaultClient
from clinvault.vault import client as client_module
from clinvault.vault.identifiers import KnownValue
from clinvault.vault.policy import Policy
from clinvault.vault.store_sql import SqlVaultStore
from clinvault.vault.tokens import PATIENT_TOKEN_RE, RESOURCE_TOKEN_RE, VALUE_TOKEN_RE

from .conftest import PATIENT, PATIENT_PHI

REF = "Patient/pat-okafor-1"
OBSERVATION = {
    "resourceType": "Observation",
    "id": "obs-1",
    "status": "final",
    "subject": {"reference": REF},
    "code": {"text": "Hemoglobin A1c"},
    "effectiveDateTime": "2024-03-05",
    "note": [{"text": "Discussed with Chidi Okafor on 03/05/2024."}],
}


@pytest.fixture
def client(vault: Vault) -> VaultClient:
    return vault


def _record(client: VaultClient) -> str:
    """Seal the test patient and one observation; returns the patient token."""
    with client.transaction():
        session = client.patient_session(REF)
        session.pseudonymize(PATIENT)
        session.seal(REF, PATIENT)
        session.seal("Observation/obs-1", OBSERVATION, ("chunk-a",))
        session.flush()
    return session.patient_token


# -- the protocol itself ------------------------------------------------------------------------

PLAIN = {
    str,
    int,
    bool,
    bytes,
    type(None),
    Any,
    dict,
    list,
    tuple,
    Mapping,
    Stored,
    SourceRecord,
    KnownValue,
    PatientSession,
    AbstractContextManager,
    Sequence,
    client_module.RevealRequest,
    client_module.Revealed,
}


def _leaves(hint: Any) -> Iterator[Any]:
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is None:
        yield type(None) if hint is None else hint
        return
    if origin not in (typing.Union, types.UnionType):
        yield origin
    for arg in args:
        if arg is not Ellipsis:
            yield from _leaves(arg)


@pytest.mark.parametrize("protocol", [VaultClient, PatientSession])
def test_only_plain_data_crosses_the_protocol(protocol: type) -> None:
    """A remote vault can implement it: no store, key ring, sealer or connection type in any
    signature."""
    names = [n for n in vars(protocol) if not n.startswith("_")]
    assert names
    for name in names:
        member = getattr(protocol, name)
        target = member.fget if isinstance(member, property) else member
        hints = typing.get_type_hints(target, vars(client_module))
        for where, hint in hints.items():
            for leaf in _leaves(hint):
                assert leaf in PLAIN, f"{protocol.__name__}.{name} {where}: {leaf!r}"


def test_the_vault_is_a_vault_client_with_private_parts(client: VaultClient) -> None:
    assert isinstance(client, VaultClient)
    public = {n for n in dir(client) if not n.startswith("_")}
    assert not public & {"store", "keys", "policy", "clock", "random"}
    for name in vars(client):
        value = getattr(client, name)
        if isinstance(value, (SqlVaultStore, KeyRing, Policy)):
            assert name.startswith("_"), name


def test_a_session_is_a_patient_session(client: VaultClient) -> None:
    with client.transaction():
        session = client.patient_session(REF)
        assert isinstance(session, PatientSession)
        assert not {n for n in dir(session) if not n.startswith("_")} & {"store", "keys", "sealer"}


# -- names --------------------------------------------------------------------------------------


def test_names_are_opaque_deterministic_and_keyed(client: VaultClient) -> None:
    token = client.patient_token(REF)
    assert PATIENT_TOKEN_RE.fullmatch(token)
    assert client.patient_token("pat-okafor-1") == token
    assert client.patient_token("Patient/other") != token
    res = client.resource_token("Observation/obs-1")
    assert RESOURCE_TOKEN_RE.fullmatch(res)
    assert client.resource_token("Observation/obs-1") == res
    chunk = client.chunk_id(res, "resource")
    assert len(chunk) == 36
    assert chunk.count("-") == 4
    assert client.chunk_id(res, "resource") == chunk
    assert client.chunk_id(res, "summary") != chunk
    for name in (token, res, chunk):
        assert "okafor" not in name.lower()
        assert "obs-1" not in name


# -- ingest: transaction, unchanged check, session ----------------------------------------------


def test_the_unchanged_check(client: VaultClient) -> None:
    assert client.stored({REF: PATIENT}) == {REF: Stored.NEW}
    _record(client)
    edited = {**OBSERVATION, "status": "amended"}
    assert client.stored({REF: PATIENT, "Observation/obs-1": edited, "Patient/new": {}}) == {
        REF: Stored.UNCHANGED,
        "Observation/obs-1": Stored.CHANGED,
        "Patient/new": Stored.NEW,
    }


def test_a_failed_transaction_writes_nothing(client: VaultClient) -> None:
    with pytest.raises(RuntimeError, match="boom"), client.transaction():
        session = client.patient_session(REF)
        session.pseudonymize(PATIENT)
        session.seal(REF, PATIENT)
        session.flush()
        raise RuntimeError("boom")
    assert client.stored({REF: PATIENT}) == {REF: Stored.NEW}
    assert not client.has_patient(client.patient_token(REF))
    assert client.find_patient("MRN", "MRN-448812") == []


def test_a_session_pseudonymizes_and_learns(client: VaultClient) -> None:
    with client.transaction():
        session = client.patient_session(REF)
        pseudo = session.pseudonymize(PATIENT)
        dumped = json.dumps(pseudo).lower()
        for value in PATIENT_PHI:
            assert value.lower() not in dumped, value
        known = {k.value for k in session.known_values()}
        assert {"Okafor", "MRN-448812"} <= known
        note = session.scan("Chidi Okafor seen 03/05/2024")
        assert "Okafor" not in note
        assert "03/05/2024" not in note
        assert session.replace_known("see Okafor") != "see Okafor"
        assert session.shift("2024-03-05") not in (None, "2024-03-05")
        assert VALUE_TOKEN_RE.fullmatch(session.token("NAME", "Adaeze Okafor"))
        assert session.age(PATIENT) not in (None, "")
        assert session.age(None) is None
        session.flush()


def test_references_resolve_to_opaque_tokens(client: VaultClient) -> None:
    raw = "urn:uuid:1234"
    resource = {**OBSERVATION, "subject": {"reference": raw}}
    with client.transaction():
        session = client.patient_session(REF, references={raw: REF})
        pseudo = session.pseudonymize(resource)
        session.flush()
    assert pseudo["subject"]["reference"] == f"Patient/{client.resource_token(REF)}"


# -- patients and resources ---------------------------------------------------------------------


def test_patient_lookups(client: VaultClient) -> None:
    token = _record(client)
    assert client.has_patient(token)
    assert not client.has_patient(client.patient_token("Patient/nobody"))
    assert token in client.patient_tokens()
    assert client.find_patient("MRN", "mrn-448812") == [token]
    assert client.find_patient("patient", "pat-okafor-1") == [token]
    assert client.find_patient("MRN", "unknown") == []
    assert client.source_patient(token) == REF
    assert client.patient_of("Observation/obs-1") == REF
    assert client.patient_of("Observation/unknown") is None
    assert client.patient_resource(token) == PATIENT
    assert sorted(r["id"] for r in client.patient_resources(token)) == ["obs-1", "pat-okafor-1"]
    assert {"Okafor", "MRN-448812"} <= {k.value for k in client.known_values(token)}


def test_source_records(client: VaultClient) -> None:
    token = _record(client)
    res = client.resource_token("Observation/obs-1")
    record = client.source_record(res)
    assert record == SourceRecord(token, "Observation", "Observation/obs-1", OBSERVATION)
    assert client.source_record(res.lower()) == record
    assert client.source_reference(res) == (token, "Observation/obs-1")
    assert client.source_record("RES-0000000000000000") is None
    assert client.source_reference("RES-0000000000000000") is None
    shown = json.dumps(client.pseudonymize_resource(token, OBSERVATION))
    assert "Okafor" not in shown
    assert "obs-1" not in shown
    pseudonymized = client.pseudonymized_record(res.lower())
    assert pseudonymized is not None
    assert (pseudonymized.patient_token, pseudonymized.resource_type) == (token, "Observation")
    assert pseudonymized.reference == res
    assert pseudonymized.resource == client.pseudonymize_resource(token, OBSERVATION)
    assert client.pseudonymized_record("RES-0000000000000000") is None


def test_shared_scope_is_its_own_scope(client: VaultClient) -> None:
    practitioner = {"resourceType": "Practitioner", "id": "prac-1", "name": [{"text": "Dr. X"}]}
    with client.transaction():
        session = client.patient_session(SHARED_SCOPE)
        session.seal("Practitioner/prac-1", practitioner)
        session.flush()
    assert client.stored({"Practitioner/prac-1": practitioner}) == {
        "Practitioner/prac-1": Stored.UNCHANGED
    }
    assert client.patient_of("Practitioner/prac-1") is None


# -- free text ----------------------------------------------------------------------------------


def test_scan_and_reidentify_round_trip(client: VaultClient) -> None:
    token = _record(client)
    question = "Did Chidi Okafor get an A1c on 03/05/2024?"
    scanned = client.scan(token, question)
    assert "Okafor" not in scanned
    assert "03/05/2024" not in scanned
    assert client.reidentify(token, scanned) == question
    res = client.resource_token("Observation/obs-1")
    assert client.reidentify(token, f"see {res}") == "see Observation/obs-1"
    assert client.reidentify(token, f"see {res}", resolve_resources=False) == f"see {res}"
    other = client.patient_token("Patient/other")
    with pytest.raises(VaultError):
        client.reidentify(other, scanned)


def test_tokenize_and_shift(client: VaultClient) -> None:
    token = _record(client)
    name = client.tokenize(token, "NAME", "Adaeze Okafor")
    assert VALUE_TOKEN_RE.fullmatch(name)
    assert client.tokenize(token, "NAME", "adaeze okafor ") == name
    assert client.reidentify(token, name) == "Adaeze Okafor"
    shifted = client.shift_date_text(token, "2024-03-05")
    assert shifted not in (None, "2024-03-05")
    assert client.reidentify(token, str(shifted)) == "2024-03-05"


# -- quarantine, erase, counts ------------------------------------------------------------------


def test_quarantine_keeps_the_place_sealed(client: VaultClient) -> None:
    where = "bad/Okafor_Chidi.json#entry[1]"
    client.quarantine(where, "Observation", f"invalid value in {where}", PATIENT)
    (row,) = client.quarantined()
    assert row["where"] == where
    assert row["resource_type"] == "Observation"
    assert "Okafor" not in row["message"]
    assert client.counts()["quarantine"] == 1


def test_erase_makes_the_patient_unreadable(client: VaultClient) -> None:
    token = _record(client)
    before = client.counts()
    assert client.erase(token) > 0
    assert not client.has_patient(token)
    assert client.find_patient("MRN", "MRN-448812") == []
    assert client.source_record(client.resource_token("Observation/obs-1")) is None
    with pytest.raises(VaultError):
        client.reidentify(token, "x")
    assert client.counts()["patients"] == before["patients"] - 1


def test_answers_are_plain_data(client: VaultClient) -> None:
    """Everything a client returns can cross a process boundary."""
    token = _record(client)
    res = client.resource_token("Observation/obs-1")
    answers: list[Any] = [
        client.stored({REF: PATIENT}),
        client.patient_tokens(),
        client.find_patient("MRN", "MRN-448812"),
        client.source_patient(token),
        client.patient_of("Observation/obs-1"),
        client.patient_resource(token),
        client.patient_resources(token),
        client.known_values(token),
        client.source_record(res),
        client.source_reference(res),
        client.scan(token, "Okafor"),
        client.counts(),
        client.quarantined(),
    ]
    for answer in answers:
        assert pickle.loads(pickle.dumps(answer)) == answer  # noqa: S301 - our own bytes


# -- patient merges (HL7 A40, FHIR Patient.link replaced-by) -------------------------------------

MERGED_REF = "Patient/pat-okafor-old"
MERGED_PATIENT = {"resourceType": "Patient", "id": "pat-okafor-old", "active": False}
MERGED_OBSERVATION = {**OBSERVATION, "id": "obs-old", "subject": {"reference": MERGED_REF}}


def test_a_merged_patient_resolves_to_the_survivor(client: VaultClient) -> None:
    survivor = _record(client)
    with client.transaction():
        session = client.patient_session(MERGED_REF)
        session.seal(MERGED_REF, MERGED_PATIENT)
        session.seal("Observation/obs-old", MERGED_OBSERVATION)
        session.flush()
    merged = session.patient_token
    assert merged != survivor
    moved = client.merge_patients(REF, MERGED_REF)
    assert sorted(r["id"] for r in moved) == ["obs-old", "pat-okafor-old"]
    assert pickle.loads(pickle.dumps(moved)) == moved  # noqa: S301 - our own bytes
    assert client.patient_token(MERGED_REF) == survivor
    assert client.patient_token("pat-okafor-old") == survivor
    assert client.find_patient("patient", MERGED_REF) == [survivor]
    assert not client.has_patient(merged)  # the survivor keeps the only record
    assert not client.is_erased(merged)
    assert client.patient_tokens().count(survivor) == 1
    assert merged not in client.patient_tokens()
    assert client.source_record(client.resource_token("Observation/obs-old")) is None
    assert client.patient_resource(survivor) == PATIENT
    with client.transaction():  # a later session for the merged id is the survivor's
        assert client.patient_session(MERGED_REF).patient_token == survivor
    assert client.merge_patients(REF, MERGED_REF) == []  # replay: nothing more


def test_merges_chain_and_need_a_stored_survivor(client: VaultClient) -> None:
    survivor = _record(client)
    with pytest.raises(VaultError):
        client.merge_patients("Patient/nobody", REF)
    assert client.patient_token(REF) == survivor  # the refused merge changed nothing
    assert client.merge_patients(REF, "Patient/a") == []  # never stored: the link alone
    with client.transaction():
        session = client.patient_session("Patient/c")
        session.seal("Patient/c", {"resourceType": "Patient", "id": "c"})
        session.flush()
    client.merge_patients("Patient/c", REF)
    assert client.patient_token("Patient/a") == session.patient_token  # a -> okafor -> c
    assert client.patient_token(REF) == session.patient_token
    with pytest.raises(VaultError):
        client.merge_patients(SHARED_SCOPE, "Patient/c")


def test_erasing_the_survivor_erases_the_merged_ids(client: VaultClient) -> None:
    survivor = _record(client)
    client.merge_patients(REF, MERGED_REF)
    client.erase(survivor)
    assert client.is_erased(client.patient_token(MERGED_REF))
    with pytest.raises(PatientErased), client.transaction():  # re-ingest of the old id refused
        client.patient_session(MERGED_REF)
