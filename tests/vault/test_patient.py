"""A patient's vault context learns the Patient's source id where it reads as a code."""

from __future__ import annotations

from typing import Any

from clinvault.vault import Vault
from clinvault.vault.tokens import VALUE_TOKEN_RE


def _patient(source_id: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": source_id, "name": [{"family": "Okafor"}]}


def _scan_after_pseudonymizing(vault: Vault, source_id: str, text: str) -> str:
    with vault.transaction():
        ctx = vault.context(f"Patient/{source_id}")
        pseudo = ctx.pseudonymize(_patient(source_id))
        assert pseudo["id"] != source_id
        scanned = ctx.scan(text)
        ctx.flush()
    return scanned


def test_a_code_like_patient_id_in_free_text_becomes_a_reidentifiable_token(
    vault: Vault,
) -> None:
    scanned = _scan_after_pseudonymizing(
        vault, "f201", "Patient f201 reviewed; reason DiagnosticReport/f201."
    )
    assert "f201" not in scanned
    tokens = [m.group(0) for m in VALUE_TOKEN_RE.finditer(scanned)]
    assert len(tokens) == 2
    assert len(set(tokens)) == 1
    assert tokens[0].startswith("[ID-")
    token = vault.patient_token("Patient/f201")
    assert (
        vault.reidentify(token, scanned) == "Patient f201 reviewed; reason DiagnosticReport/f201."
    )


def test_the_learned_id_is_known_to_a_later_context(vault: Vault) -> None:
    _scan_after_pseudonymizing(vault, "pat1", "")
    with vault.transaction():
        later = vault.context("Patient/pat1")
        assert "pat1" not in later.scan("Follow-up for pat1.")


def test_a_word_id_is_not_replaced_in_free_text(vault: Vault) -> None:
    """``example`` cannot be told from the word; in a note it identifies no one."""
    text = "In this example, the blood pressure was not measured."
    assert _scan_after_pseudonymizing(vault, "example", text) == text


def test_a_short_numeric_id_is_not_replaced_in_free_text(vault: Vault) -> None:
    text = "Glucose 908 mg/dL, repeat in 2 hours."
    assert _scan_after_pseudonymizing(vault, "908", text) == text


def test_only_the_patients_id_is_learned_not_other_resources_ids(vault: Vault) -> None:
    with vault.transaction():
        ctx = vault.context("Patient/p-9")
        ctx.pseudonymize({"resourceType": "Observation", "id": "obs-17", "status": "final"})
        assert ctx.scan("see obs-17") == "see obs-17"
        ctx.flush()
