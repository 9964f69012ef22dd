"""Any other resource type: type, main code, value, date and status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    choice_text,
    concept_display,
    concept_with_codes,
    first_date,
    status_code,
    when,
)
from clinvault.fhir.render.base import Rendered, Sentence, rendered
from clinvault.fhir.render.medications import medication

CODE_ELEMENTS = ("code", "type", "vaccineCode", "category", "description", "action", "activity")
STATUS_ELEMENTS = ("status", "clinicalStatus", "lifecycleStatus")


def render_generic(resource: Mapping[str, Any]) -> Rendered:
    resource_type = str(resource.get("resourceType") or "Resource")
    concept, display = _main_code(resource)
    head = concept_with_codes(concept) if concept is not None else display
    value = choice_text(resource, "value")
    if head and value:
        head = f"{head} = {value}"
    sentence = Sentence(resource_type, head or value)
    date = first_date(resource)
    sentence.add(when(date), "date")
    for element in STATUS_ELEMENTS:
        sentence.add(status_code(resource.get(element)) or _string(resource.get(element)), element)
    return rendered(sentence, date=date, code=concept, display=display)


def _main_code(resource: Mapping[str, Any]) -> tuple[object, str | None]:
    concept, display = medication(resource)
    if concept is not None or display is not None:
        return concept, display
    for element in CODE_ELEMENTS:
        value = resource.get(element)
        if isinstance(value, list):
            value = next((item for item in value if isinstance(item, Mapping)), None)
        if isinstance(value, Mapping) and concept_display(value):
            return value, concept_display(value)
    return None, None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
