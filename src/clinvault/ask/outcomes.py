"""The one map from a failed ask's exception to its outcome: what the audit record says,
what the API answers, what the evaluation counts.

    AccessDenied        refused  <its reason>        403
    EgressBlocked       blocked  egress-blocked      502
    AskInputError       error    <its reason>        400 (unknown-patient: 404)
    InputError          error    invalid-request     400
    LLMError            error    llm-error           502
    other ClinvaultError error   <class code>        500   (VaultError -> vault-error)
    anything else       error    internal-error      500

Reason codes come from the exception's class or its own code, never from its text; the
message is fixed per kind (an ``AskInputError`` message is written by the ask service and
names no patient data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clinvault.errors import AccessDenied, ClinvaultError, EgressBlocked, InputError, LLMError

FailureStatus = Literal["refused", "blocked", "error"]


class AskInputError(InputError):
    """The ask cannot be answered as posed; ``reason`` is the audited code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


INPUT_STATUS = {"unknown-patient": 404}
"""HTTP status of an ``AskInputError`` reason other than 400."""


@dataclass(frozen=True, slots=True)
class Failure:
    status: FailureStatus
    """The audited outcome (and the evaluation's item status)."""
    reason: str
    """A stable code: the audit record's reason, the API's ``error.code``."""
    http_status: int
    message: str
    """Safe to show and log: fixed per kind, never the exception's text (except an
    ``AskInputError``'s, which the ask service writes)."""


def failure_of(exc: BaseException) -> Failure:
    """The outcome of an ask that raised ``exc`` (see the module docstring)."""
    if isinstance(exc, AccessDenied):
        return Failure("refused", exc.reason, 403, f"access refused: {exc.reason}")
    if isinstance(exc, EgressBlocked):
        return Failure(
            "blocked", "egress-blocked", 502, "the prompt was stopped by the egress guard"
        )
    if isinstance(exc, AskInputError):
        return Failure("error", exc.reason, INPUT_STATUS.get(exc.reason, 400), str(exc))
    if isinstance(exc, InputError):
        return Failure("error", "invalid-request", 400, "the request cannot be answered as posed")
    if isinstance(exc, LLMError):
        return Failure("error", "llm-error", 502, "no model route produced an answer")
    if isinstance(exc, ClinvaultError):
        return Failure("error", class_code(exc), 500, "internal error (see the server log)")
    return Failure("error", "internal-error", 500, "internal error (see the server log)")


def class_code(exc: ClinvaultError) -> str:
    """``IndexBackendError`` -> ``index-backend-error``: a code from the class, never its text."""
    name = type(exc).__name__.removesuffix("Error")
    words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*", name)]
    return "-".join([*words, "error"])
