"""Normalizing FHIR references so grants and care-team links match however they were written.

``abc``, ``Patient/abc``, ``https://ehr.example/fhir/Patient/abc/_history/3`` all become
``Patient/abc``. ``urn:uuid:…`` and conditional references (``Practitioner?identifier=…``,
as Synthea writes them) are kept verbatim: they are already canonical for their source.
Errors say which kind of reference was malformed, never what it was.
"""

from __future__ import annotations

import re

from clinvault.errors import InputError

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def normalize_reference(reference: str, resource_type: str) -> str:
    value = reference.strip()
    if not value:
        raise InputError(f"empty {resource_type} reference")
    if value.startswith("urn:"):
        return value
    if "?" in value:
        if value.startswith(f"{resource_type}?") and len(value) > len(resource_type) + 1:
            return value
        raise InputError(f"malformed conditional {resource_type} reference")
    segments = [s for s in value.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "_history":
        segments = segments[:-2]
    if len(segments) == 1 and "://" not in value:
        resource_id = segments[0]
    elif len(segments) >= 2 and segments[-2] == resource_type:
        resource_id = segments[-1]
    else:
        raise InputError(f"not a {resource_type} reference")
    if not FHIR_ID.fullmatch(resource_id):
        raise InputError(f"malformed {resource_type} id")
    return f"{resource_type}/{resource_id}"


def patient_reference(reference: str) -> str:
    return normalize_reference(reference, "Patient")


def practitioner_reference(reference: str) -> str:
    return normalize_reference(reference, "Practitioner")
