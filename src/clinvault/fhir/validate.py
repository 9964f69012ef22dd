"""Validation of one FHIR R4 resource with the ``fhir.resources.R4B`` models.

``validate(resource, where)`` *returns* a ``ResourceRejected`` (the caller
quarantines the resource and goes on) or ``None`` when the resource is valid;
it never raises for bad data. The R4B models parse R4 data (the root package of
``fhir.resources`` is R5 and rejects R4).

The message names the resource type, ``where``, and each error's element path
and pydantic message, but never a value from the resource: pydantic's
``input_value=...`` is not used, messages are scrubbed of the offending input,
and element keys that are not plain element names are masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from clinvault.errors import ResourceRejected
from clinvault.fhir.resource_types import is_r4_resource_type

MAX_REPORTED_ERRORS = 5
ELEMENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MIN_SCRUBBED_LENGTH = 3


def validate(resource: Mapping[str, Any], where: str) -> ResourceRejected | None:
    resource_type = resource.get("resourceType")
    if not is_r4_resource_type(resource_type):
        return ResourceRejected(
            "resourceType is not a FHIR R4 resource type", where=where, resource_type="Resource"
        )
    try:
        model = get_fhir_model_class(resource_type)
    except ValueError:
        return ResourceRejected(
            "this R4 resource type has no R4B model and cannot be validated",
            where=where,
            resource_type=resource_type,
        )
    contained = _unknown_contained(resource.get("contained"))
    if contained is not None:
        return ResourceRejected(
            f"{contained}: resourceType is not a FHIR R4 resource type",
            where=where,
            resource_type=resource_type,
        )
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return ResourceRejected(_describe(exc), where=where, resource_type=resource_type)
    except (ValueError, KeyError, TypeError) as exc:
        # fhir_core raises these for e.g. a contained resource of unknown type.
        return ResourceRejected(
            f"invalid ({type(exc).__name__} in the model)", where=where, resource_type=resource_type
        )
    return None


def _unknown_contained(contained: object) -> str | None:
    if not isinstance(contained, list):
        return None
    for position, item in enumerate(contained):
        if isinstance(item, Mapping) and not is_r4_resource_type(item.get("resourceType")):
            return f"contained[{position}]"
    return None


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_context=False, include_input=True)
    parts = [f"{_location(e['loc'])}: {_scrub(e['msg'], e.get('input'))}" for e in errors]
    shown = "; ".join(parts[:MAX_REPORTED_ERRORS])
    more = len(parts) - MAX_REPORTED_ERRORS
    suffix = f"; and {more} more" if more > 0 else ""
    noun = "error" if len(parts) == 1 else "errors"
    return f"{len(parts)} validation {noun}: {shown}{suffix}"


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if ELEMENT_NAME.match(part) else "<key>"
            text += f".{name}" if text else name
    return text or "<resource>"


def _scrub(message: str, value: object) -> str:
    """The pydantic message with the offending input removed, should a validator echo it."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= MIN_SCRUBBED_LENGTH and text in message:
            message = message.replace(text, "<value>")
    return message
