"""Who can ask: principals, their roles, and the purposes of use they may state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from clinvault.errors import InputError


class Role(StrEnum):
    CLINICIAN = "clinician"
    RESEARCHER = "researcher"
    AUDITOR = "auditor"


class Purpose(StrEnum):
    """HL7 v3 PurposeOfUse codes clinvault understands."""

    TREAT = "TREAT"
    ETREAT = "ETREAT"
    HOPERAT = "HOPERAT"
    HRESCH = "HRESCH"


TREATMENT_PURPOSES = frozenset({Purpose.TREAT, Purpose.ETREAT, Purpose.HOPERAT})
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+\-]{0,127}")
"""User names as identity providers issue them: no spaces, no control characters."""


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    practitioner: str | None = None
    """Normalized ``Practitioner/<id>`` (or conditional reference) this user acts as."""


def check_user_name(name: str) -> str:
    if not USER_NAME.fullmatch(name):
        raise InputError(
            "user names are 1-128 characters: letters, digits and . _ @ + - (no spaces)"
        )
    return name


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputError("role must be one of " + ", ".join(role.value for role in Role)) from None
