"""The vault service's JSON encoding, shared by the server and :class:`RemoteVaultClient`.

Only plain data crosses: each ``VaultClient`` / ``PatientSession`` method's answer is
encoded by its declared kind (:data:`RETURNS`), errors by their ``clinvault.errors`` class
name and message (vault messages never carry PHI, by the protocol's contract).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault import errors
from clinvault.vault.client import RevealRequest, SourceRecord, Stored
from clinvault.vault.identifiers import KnownValue

CLIENT_METHODS: frozenset[str] = frozenset(
    {
        "patient_token",
        "resource_token",
        "chunk_id",
        "has_patient",
        "patient_tokens",
        "find_patient",
        "source_patient",
        "patient_of",
        "patient_resource",
        "patient_resources",
        "known_values",
        "consent_resources",
        "source_record",
        "source_reference",
        "pseudonymize_resource",
        "pseudonymized_record",
        "scan",
        "tokenize",
        "shift_date_text",
        "reidentify",
        "stored",
        "quarantine",
        "quarantined",
        "merge_patients",
        "erase",
        "is_erased",
        "counts",
    }
)
"""``VaultClient`` methods served one request each (``transaction`` and ``patient_session``
have their own routes; ``close`` is the client's own)."""

SESSION_METHODS: frozenset[str] = frozenset(
    {
        "pseudonymize",
        "age",
        "token",
        "scan",
        "replace_known",
        "shift",
        "known_values",
        "seal",
        "flush",
    }
)

RETURNS: Mapping[str, str] = {
    "known_values": "known_values",
    "source_record": "source_record",
    "pseudonymized_record": "source_record",
    "reveal_record": "source_record",
    "source_reference": "pair",
    "stored": "stored",
}
"""Methods whose answers are not JSON as they are; every other answer is."""

REVEALING: frozenset[str] = frozenset(
    {
        "reidentify",
        "source_record",
        "patient_resource",
        "patient_resources",
        "known_values",
        "consent_resources",
        "merge_patients",
    }
)
"""Calls that hand out real patient data: each is audited in the vault's own chain."""

SERVICE_METHODS: frozenset[str] = frozenset(
    {"reveal", "reveal_record", "consent_denials", "screen_prompt"}
)
"""Served by the vault service itself (:mod:`clinvault.vault_service.checks`), outside
transactions: ``reveal`` and ``reveal_record`` (re-identified text or an original resource
for a person, authorized and audited by the vault),
``consent_denials`` and ``screen_prompt`` (what the API needs instead of real values)."""

TRANSACTION_HEADER = "X-Vault-Transaction"

ERROR_TYPES: Mapping[str, type[errors.ClinvaultError]] = {
    cls.__name__: cls
    for cls in (
        errors.ClinvaultError,
        errors.ConfigError,
        errors.InputError,
        errors.UnusableInputError,
        errors.VaultError,
        errors.PatientErased,
        errors.PrivacyError,
        errors.AccessDenied,
    )
}


def encode(kind: str, value: Any) -> Any:
    """An answer of ``kind`` as JSON-ready data."""
    if value is None:
        return None
    if kind == "known_values":
        return [[k.kind, k.value] for k in value]
    if kind == "source_record":
        return {
            "patient_token": value.patient_token,
            "resource_type": value.resource_type,
            "reference": value.reference,
            "resource": value.resource,
        }
    if kind == "pair":
        return list(value)
    if kind == "stored":
        return {ref: state.value for ref, state in value.items()}
    return value


def decode(kind: str, value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if value is None:
        return None
    if kind == "known_values":
        return [KnownValue(str(k), str(v)) for k, v in value]
    if kind == "source_record":
        return SourceRecord(
            str(value["patient_token"]),
            str(value["resource_type"]),
            str(value["reference"]),
            dict(value["resource"]),
        )
    if kind == "pair":
        first, second = value
        return (str(first), str(second))
    if kind == "stored":
        return {ref: Stored(state) for ref, state in value.items()}
    return value


def reveal_request(data: Any) -> RevealRequest:
    """A :class:`RevealRequest` from its wire form; ``TypeError`` on a malformed one."""
    if not isinstance(data, Mapping):
        raise TypeError("request must be an object")
    fields = {}
    for name in ("response_id", "principal", "role", "purpose"):
        value = data.get(name)
        if not isinstance(value, str):
            raise TypeError(f"request.{name} must be a string")
        fields[name] = value
    reason = data.get("break_glass_reason")
    if reason is not None and not isinstance(reason, str):
        raise TypeError("request.break_glass_reason must be a string")
    return RevealRequest(**fields, break_glass_reason=reason)


def request_body(request: RevealRequest) -> dict[str, Any]:
    return {
        "response_id": request.response_id,
        "principal": request.principal,
        "role": request.role,
        "purpose": request.purpose,
        "break_glass_reason": request.break_glass_reason,
    }


def error_body(error: errors.ClinvaultError) -> dict[str, Any]:
    kind = type(error).__name__ if type(error).__name__ in ERROR_TYPES else "VaultError"
    body: dict[str, Any] = {"type": kind, "message": str(error)}
    if isinstance(error, errors.AccessDenied):
        body["reason"] = error.reason
    return {"error": body}


def raise_error(status: int, body: Any) -> None:
    """Raise the ``ClinvaultError`` a service answer describes (fail closed on anything else)."""
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        cls = ERROR_TYPES.get(str(detail.get("type")), errors.VaultError)
        message = str(detail.get("message", "vault service error"))
        if cls is errors.PatientErased:
            raise errors.PatientErased(message)
        if cls is errors.AccessDenied:
            raise errors.AccessDenied(str(detail.get("reason", "access-denied")), message)
        raise cls(message)
    raise errors.VaultError(f"vault service answered HTTP {status}")
