"""AuditEvent refuses anything malformed or carrying PHI in plaintext, without echoing it."""

from __future__ import annotations

from typing import Any

import pytest

from clinvault.audit import Citation, RetrievedChunk
from clinvault.errors import PrivacyError

from .audit_factories import ask_event


@pytest.mark.parametrize(
    "patient", ["Patient/123", "Jane Doe", "PT-3f9a1c0b7d2e4a61", "PT-3F9A", "123-45-6789"]
)
def test_patient_must_be_a_token(patient: str) -> None:
    with pytest.raises(PrivacyError) as caught:
        ask_event(patient=patient)
    assert patient not in str(caught.value)


def test_citation_must_name_a_resource_token() -> None:
    with pytest.raises(PrivacyError):
        ask_event(citations=(Citation("chunk-a", "Observation/abc"),))


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": "Patient Jane Doe has no consent"},
        {"reason": ""},
        {"kind": "login"},
        {"outcome": "ok"},
        {"principal": ""},
        {"principal": "dr\nnewline"},
        {"prompt_sha256": "abc"},
        {"latency_ms": float("nan")},
        {"latency_ms": -1.0},
        {"cost_usd": float("inf")},
        {"prompt_tokens": -3},
        {"retrieved": (RetrievedChunk("c", float("nan")),)},
        {"latency_breakdown": {"llm": -2.0}},
        {"response_id": "resp-1"},
        {"break_glass": True},
        {"break_glass": True, "break_glass_reason": "   "},
        {"break_glass_reason": "reason without the flag"},
    ],
)
def test_malformed_events_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"audit|break-glass|retrieved|latency"):
        ask_event(**overrides)


def test_events_without_patient_or_question_are_fine() -> None:
    event = ask_event(patient=None, question=None, retrieved=(), citations=())
    assert event.patient is None
