"""Condition and Procedure: what the patient has and what was done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    choice,
    concept_display,
    concept_with_codes,
    concepts_text,
    first_date,
    status_code,
    typed_value_text,
)
from clinvault.fhir.render.base import Rendered, Sentence, plain, rendered


def render_condition(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    sentence = Sentence("Condition", concept_with_codes(code) or "unnamed condition")
    sentence.add(status_code(resource.get("clinicalStatus")), "clinical status")
    sentence.add(status_code(resource.get("verificationStatus")), "verification")
    sentence.add(concepts_text(resource.get("category")), "category")
    sentence.add(concept_display(resource.get("severity")), "severity")
    sentence.add(_choice(resource, "onset"), "onset")
    sentence.add(_choice(resource, "abatement"), "abated")
    sentence.add_when(resource.get("recordedDate"), "recorded")
    sentence.add(concepts_text(resource.get("bodySite")), "body site")
    date = first_date(resource, ("onsetDateTime", "onsetPeriod", "recordedDate"))
    return rendered(sentence, date=date, code=code)


def render_procedure(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    head = concept_with_codes(code) or "unnamed procedure"
    performed = _choice(resource, "performed")
    if performed:
        head = f"{head} performed {performed}"
    sentence = Sentence("Procedure", head)
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(concepts_text(resource.get("reasonCode")), "reason")
    sentence.add(concepts_text(resource.get("bodySite")), "body site")
    sentence.add(concept_display(resource.get("outcome")), "outcome")
    date = first_date(resource, ("performedDateTime", "performedPeriod"))
    return rendered(sentence, date=date, code=code)


def _choice(resource: Mapping[str, Any], prefix: str) -> str | None:
    found = choice(resource, prefix)
    return typed_value_text(*found) if found else None
