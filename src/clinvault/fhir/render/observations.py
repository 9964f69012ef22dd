"""Observation and DiagnosticReport: what was measured, the value, when, and status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    as_list,
    choice_text,
    code_strings,
    concept_display,
    concept_with_codes,
    first_date,
    quantity,
    when,
)
from clinvault.fhir.render.base import Rendered, Sentence, joined, plain, rendered

OBSERVATION_DATES = ("effectiveDateTime", "effectiveInstant", "effectivePeriod", "issued")
REPORT_DATES = ("effectiveDateTime", "effectivePeriod", "issued")


def render_observation(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    head = concept_with_codes(code) or "unnamed observation"
    value = _value(resource)
    if value:
        head = f"{head} = {value}"
    date = first_date(resource, OBSERVATION_DATES)
    if date:
        head = f"{head} on {when(date)}"
    sentence = Sentence("Observation", head)
    sentence.add(
        joined([c for c in (_component(c) for c in as_list(resource.get("component"))) if c])
    )
    sentence.add(_interpretation(resource), "interpretation")
    sentence.add(_reference_ranges(resource.get("referenceRange")), "reference range")
    sentence.add(concept_display(resource.get("dataAbsentReason")), "value absent:")
    sentence.add(joined(_categories(resource)), "category")
    sentence.add(plain(resource.get("status")), "status")
    components = [
        code for c in as_list(resource.get("component")) for code in code_strings(c.get("code"))
    ]
    return rendered(sentence, date=date, code=code, extra_codes=components)


def render_diagnostic_report(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    head = concept_with_codes(code) or "unnamed report"
    date = first_date(resource, REPORT_DATES)
    if date:
        head = f"{head} on {when(date)}"
    sentence = Sentence("DiagnosticReport", head)
    results = len(as_list(resource.get("result")))
    if results:
        sentence.add(f"{results} result{'s' if results != 1 else ''}")
    sentence.add(plain(resource.get("conclusion")), "conclusion:")
    conclusions = [concept_with_codes(c) for c in as_list(resource.get("conclusionCode"))]
    sentence.add(joined([c for c in conclusions if c]), "coded conclusion:")
    sentence.add(joined(_categories(resource)), "category")
    sentence.add(plain(resource.get("status")), "status")
    return rendered(sentence, date=date, code=code)


def _value(resource: Mapping[str, Any]) -> str | None:
    return choice_text(resource, "value")


def _component(component: Mapping[str, Any]) -> str | None:
    name = concept_display(component.get("code"))
    value = _value(component) or concept_display(component.get("dataAbsentReason"))
    if name and value:
        return f"{name} = {value}"
    return name


def _interpretation(resource: Mapping[str, Any]) -> str | None:
    found = [concept_display(item) for item in as_list(resource.get("interpretation"))]
    return joined([item for item in found if item])


def _reference_ranges(ranges: object) -> str | None:
    found: list[str] = []
    for item in as_list(ranges):
        low, high = quantity(item.get("low")), quantity(item.get("high"))
        text = plain(item.get("text"))
        if low and high:
            found.append(f"{low} to {high}")
        elif low:
            found.append(f">= {low}")
        elif high:
            found.append(f"<= {high}")
        elif text:
            found.append(text)
    return joined(found)


def _categories(resource: Mapping[str, Any]) -> list[str]:
    found = [concept_display(item) for item in as_list(resource.get("category"))]
    return [item for item in found if item]
