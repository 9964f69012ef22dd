"""SMART on FHIR v2 scopes: which resource types a token may read, for which patients.

``context/Type.perms[?query]`` where context is ``patient`` (only the patient in the token's
launch context), ``user`` (any patient the user may access) or ``system``; ``Type`` is a FHIR
resource type or ``*``; ``perms`` is an ordered subset of ``cruds``. Asking needs ``r`` or
``s``. SMART v1 forms (``patient/*.read``) are read as ``rs``. Query-qualified scopes
(``?category=...``) are treated as not granting the type: clinvault cannot enforce them, so
it fails closed. Other scopes (``openid``, ``fhirUser``, ``launch/patient``) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SCOPE = re.compile(
    r"(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]{1,63})"
    r"\.(?P<perms>c?r?u?d?s?|read|write|\*)(?P<query>\?.*)?"
)
READ_PERMS = frozenset({"r", "s"})
ALL_TYPES = "*"


@dataclass(frozen=True, slots=True)
class ResourceAccess:
    """The resource types a token may read for one patient: ``None`` means every type."""

    types: frozenset[str] | None

    @property
    def nothing(self) -> bool:
        return self.types is not None and not self.types

    def allows(self, resource_type: str) -> bool:
        return self.types is None or resource_type in self.types


@dataclass(frozen=True, slots=True)
class SmartScopes:
    patient_types: frozenset[str]
    """Readable types under ``patient/`` scopes (``*`` for all)."""
    user_types: frozenset[str]
    """Readable types under ``user/`` and ``system/`` scopes (``*`` for all)."""

    def access_for(self, patient: str, launch_patient: str | None) -> ResourceAccess:
        """What may be read about ``patient`` (a normalized ``Patient/<id>``)."""
        types = set(self.user_types)
        if launch_patient is not None and launch_patient == patient:
            types |= self.patient_types
        if ALL_TYPES in types:
            return ResourceAccess(None)
        return ResourceAccess(frozenset(types))

    @property
    def any_read(self) -> bool:
        return bool(self.patient_types or self.user_types)


def parse_scopes(scopes: Iterable[str]) -> SmartScopes:
    patient: set[str] = set()
    user: set[str] = set()
    for scope in scopes:
        match = _SCOPE.fullmatch(scope)
        if match is None or match.group("query"):
            continue
        if not _reads(match.group("perms")):
            continue
        target = patient if match.group("context") == "patient" else user
        target.add(match.group("type"))
    return SmartScopes(frozenset(patient), frozenset(user))


def _reads(perms: str) -> bool:
    if perms in ("read", "*"):
        return True
    return bool(set(perms) & READ_PERMS)
