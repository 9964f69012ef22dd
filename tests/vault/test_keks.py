"""KEK versions: rotation re-wraps every data key (nothing else changes), resumes after an
interruption, destroys the old versions, and leaves the other sub-keys alone."""

from __future__ import annotations

import pytest

from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.vault import Vault
from clinvault.vault.keks import KekRing
from clinvault.vault.store_sql import SqlVaultStore

from .conftest import PATIENT

MASTER = bytes(range(32))


def _patients(vault: Vault, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        ref = f"Patient/p{i}"
        with vault.transaction():
            session = vault.patient_session(ref)
            resource = {**PATIENT, "id": f"p{i}"}
            session.pseudonymize(resource)
            session.seal(ref, resource)
            session.flush()
        tokens.append(session.patient_token)
    return tokens


def _snapshot(store: SqlVaultStore) -> dict[str, object]:
    """What rotation must not touch: sealed resources, tokens, offsets, look-ups."""
    return {
        "resources": sorted((r.record_id, r.resource_ct) for p in store.patients()
                            for r in store.resources_of(p.patient_token)),
        "tokens": sorted((t.token, t.value_ct) for p in store.patients()
                         for t in store.tokens_of(p.patient_token)),
        "offsets": sorted((p.patient_token, p.offset_ct) for p in store.patients()),
    }  # fmt: skip


@pytest.fixture
def tokens(vault: Vault) -> list[str]:
    return _patients(vault, 5)


def test_rotation_rewraps_every_dek_and_nothing_else(
    vault: Vault, store: SqlVaultStore, tokens: list[str]
) -> None:
    before = _snapshot(store)
    wrapped = {p.patient_token: p.wrapped_dek for p in store.patients()}
    answers = {t: vault.reidentify(t, "x") for t in tokens}
    assert [(s.version, s.state, s.patients) for s in vault.kek_status()] == [(1, "active", 5)]

    rotation = vault.rotate_kek(batch=2)

    assert (rotation.version, rotation.resumed, rotation.rewrapped) == (2, False, 5)
    assert rotation.destroyed == (1,)
    assert _snapshot(store) == before
    assert all(p.wrapped_dek != wrapped[p.patient_token] for p in store.patients())
    assert {p.kek_version for p in store.patients()} == {2}
    assert [(s.version, s.state, s.patients) for s in vault.kek_status()] == [
        (1, "destroyed", 0),
        (2, "active", 5),
    ]
    assert {t: vault.reidentify(t, "x") for t in tokens} == answers
    assert vault.patient_resource(tokens[0]) == {**PATIENT, "id": "p0"}


def test_a_second_rotation_destroys_the_stored_version(
    vault: Vault, store: SqlVaultStore, tokens: list[str]
) -> None:
    vault.rotate_kek()
    rotation = vault.rotate_kek()
    assert (rotation.version, rotation.destroyed) == (3, (2,))
    (v2,) = [row for row in store.keks() if row.version == 2]
    assert v2.state == "destroyed"
    assert v2.wrapped_key is None
    assert v2.destroyed_at is not None
    assert vault.patient_resource(tokens[4]) == {**PATIENT, "id": "p4"}


def test_new_patients_during_and_after_rotation_are_wrapped_by_the_newest_version(
    vault: Vault, store: SqlVaultStore, tokens: list[str]
) -> None:
    vault.rotate_kek()
    (late,) = _patients(vault, 6)[5:]
    assert store.get_patient(late).kek_version == 2  # type: ignore[union-attr]
    assert vault.patient_resource(late) == {**PATIENT, "id": "p5"}


class Interrupted(Exception):
    pass


def test_an_interrupted_rotation_resumes_and_every_patient_stays_readable(
    vault: Vault, store: SqlVaultStore, tokens: list[str]
) -> None:
    def stop_after_first_batch(done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        vault.rotate_kek(batch=2, progress=stop_after_first_batch)
    assert sorted(p.kek_version for p in store.patients()) == [1, 1, 1, 2, 2]
    assert {(s.version, s.state) for s in vault.kek_status()} == {(1, "active"), (2, "pending")}
    # a fresh process (new key ring object, no cached keys) reads every patient
    fresh = Vault(store=store, keys=KeyRing.from_master(MASTER), policy=vault._policy,
                  clock=vault._clock, random=vault._random)  # fmt: skip
    for i, token in enumerate(tokens):
        assert fresh.patient_resource(token) == {**PATIENT, "id": f"p{i}"}

    rotation = fresh.rotate_kek(batch=2)
    assert (rotation.version, rotation.resumed, rotation.rewrapped) == (2, True, 3)
    assert {p.kek_version for p in store.patients()} == {2}


def test_a_destroyed_version_opens_nothing(
    vault: Vault, store: SqlVaultStore, tokens: list[str]
) -> None:
    old = next(iter(store.patients()))
    vault.rotate_kek()
    ring = KekRing(store, KeyRing.from_master(MASTER), vault._random, vault._clock)
    with pytest.raises(VaultError):
        ring.unwrap(old)  # the row as it was before the rotation, under version 1


def test_rotation_leaves_the_other_sub_keys_alone(vault: Vault, tokens: list[str]) -> None:
    ring = KeyRing.from_master(MASTER)
    vault.rotate_kek()
    after = KeyRing.from_master(MASTER)
    assert (ring.token, ring.blind, ring.audit, ring.access) == (
        after.token, after.blind, after.audit, after.access,
    )  # fmt: skip
    assert vault.patient_token("Patient/p0") == tokens[0]
    assert vault.find_patient("patient", "Patient/p3") == [tokens[3]]
