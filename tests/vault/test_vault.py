"""The vault's API: pseudonymize, scan text, re-identify, erase; nothing stored in plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.errors import VaultError
from clinvault.settings import Settings
from clinvault.vault import Vault
from clinvault.vault.dates import date_variants
from clinvault.vault.store import VaultStore
from clinvault.vault.tokens import VALUE_TOKEN_RE

from .conftest import PATIENT, PATIENT_PHI


def _ingest_patient(vault: Vault) -> tuple[str, dict[str, object], str]:
    with vault.transaction():
        ctx = vault.context("Patient/pat-okafor-1")
        pseudo = ctx.pseudonymize(PATIENT)
        note = ctx.scan(
            "Mr. Okafor (MRN-448812) seen 03/05/2024 with his daughter Adaeze Okafor. "
            "Call 316.555.0142 or chidi.okafor@example.org. Lives at 1427 Maple Grove Ave, "
            "Wichita 67202. Chidi says his father was a 94-year-old with Parkinson disease."
        )
        ctx.seal("Patient/pat-okafor-1", PATIENT)
        ctx.flush()
    return ctx.patient_token, pseudo, note


def test_pseudonymized_resource_holds_no_direct_identifier(vault: Vault) -> None:
    _, pseudo, _ = _ingest_patient(vault)
    dumped = json.dumps(pseudo)
    for value in PATIENT_PHI:
        assert value.lower() not in dumped.lower(), value
    assert "latitude" not in dumped
    assert "photo" not in pseudo
    assert "text" not in pseudo
    assert pseudo["address"][0]["state"] == "KS"  # type: ignore[index]
    assert pseudo["birthDate"] != "1960-03-05"


def test_note_text_is_scanned_and_dates_shifted(vault: Vault) -> None:
    _, _, note = _ingest_patient(vault)
    for value in [*PATIENT_PHI, "316.555.0142", "03/05/2024"]:
        assert value.lower() not in note.lower(), value
    assert "Parkinson" in note
    assert "90+-year-old" in note
    assert len(VALUE_TOKEN_RE.findall(note)) >= 8


def test_same_value_same_token_within_patient_and_not_across(vault: Vault) -> None:
    with vault.transaction():
        a = vault.context("Patient/a")
        b = vault.context("Patient/b")
        assert a.token("NAME", "Okafor") == a.token("NAME", "okafor ")
        assert a.token("NAME", "Okafor") != b.token("NAME", "Okafor")
        a.flush()
        b.flush()


def test_reidentify_round_trip_with_lenient_tokens(vault: Vault) -> None:
    token, _, note = _ingest_patient(vault)
    restored = vault.reidentify(token, note)
    assert "Okafor" in restored
    assert "MRN-448812" in restored
    assert "03/05/2024" in restored
    name_token = VALUE_TOKEN_RE.search(note)
    assert name_token is not None
    altered = f"Patient is {name_token.group(0).lower().strip('[]')} and [NAME-FFFFFFFF]"
    out = vault.reidentify(token, altered)
    assert "[NAME-FFFFFFFF]" in out  # unknown token left as is, never guessed
    assert VALUE_TOKEN_RE.search(out.replace("[NAME-FFFFFFFF]", "")) is None


def test_tokens_of_one_patient_do_not_resolve_for_another(vault: Vault) -> None:
    token, _, note = _ingest_patient(vault)
    with vault.transaction():
        other = vault.context("Patient/other")
        other.flush()
    assert vault.reidentify(other.patient_token, note) != vault.reidentify(token, note)
    assert "Okafor" not in vault.reidentify(other.patient_token, note)


def test_resource_tokens_resolve_to_source_reference(vault: Vault) -> None:
    token, _, _ = _ingest_patient(vault)
    res = vault.resource_token("Patient/pat-okafor-1")
    assert vault.reidentify(token, f"see Patient/{res}") == "see Patient/pat-okafor-1"
    assert vault.source_patient(token) == "Patient/pat-okafor-1"


def test_blind_index_lookups(vault: Vault) -> None:
    token, _, _ = _ingest_patient(vault)
    assert vault.find_patient("MRN", "mrn-448812") == [token]
    assert vault.find_patient("patient", "pat-okafor-1") == [token]
    assert vault.find_patient("MRN", "unknown") == []


def test_offsets_are_nonzero_and_within_bounds(vault: Vault) -> None:
    with vault.transaction():
        offsets = [vault.context(f"Patient/p{i}").offset_days for i in range(40)]
    assert all(30 <= abs(o) <= 365 for o in offsets)
    assert any(o < 0 for o in offsets)
    assert any(o > 0 for o in offsets)


def test_erase_makes_the_patient_unreadable(vault: Vault) -> None:
    token, _, note = _ingest_patient(vault)
    assert vault.erase(token) > 0
    with pytest.raises(VaultError):
        vault.reidentify(token, note)
    assert vault.find_patient("MRN", "MRN-448812") == []


def test_tampered_ciphertext_is_refused_without_detail(vault: Vault, store: VaultStore) -> None:
    _ingest_patient(vault)
    row = store.resources_of(vault.patient_token("pat-okafor-1"))[0]
    ctx = vault.context("Patient/pat-okafor-1", create=False)
    forged = type(row)(
        **{
            **{k: getattr(row, k) for k in row.__slots__},
            "resource_ct": row.resource_ct[:-1] + b"\0",
        }
    )
    with pytest.raises(VaultError) as excinfo:
        ctx.open_row(forged)
    assert str(excinfo.value) == "vault operation failed"


def test_nothing_under_home_holds_plaintext(settings: Settings) -> None:
    vault = Vault.open(settings)
    _ingest_patient(vault)
    vault.quarantine("bad/Okafor_Chidi.json#entry[1]", "Observation", "invalid value", PATIENT)
    vault.close()
    key_file = settings.master_key_file
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    needles = [v.encode() for v in PATIENT_PHI]
    needles += [d.encode() for d in date_variants("1960-03-05")]
    for path in Path(settings.home).rglob("*"):
        if path.is_file() and path != key_file:
            blob = path.read_bytes().lower()
            for needle in needles:
                assert needle.lower() not in blob, (path.name, needle)
    reopened = Vault.open(settings)
    assert reopened.quarantined()[0]["where"] == "bad/Okafor_Chidi.json#entry[1]"
