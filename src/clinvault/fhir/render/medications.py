"""Medications, immunizations and allergies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    as_dict,
    as_list,
    code_labels,
    concept_display,
    concept_with_codes,
    first_date,
    number,
    quantity,
    status_code,
    when,
)
from clinvault.fhir.render.base import Rendered, Sentence, joined, plain, rendered

PERIOD_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week",
                "mo": "month", "a": "year"}  # fmt: skip


def render_medication_request(resource: Mapping[str, Any]) -> Rendered:
    concept, display = medication(resource)
    head = _with_codes(display, concept) or "unnamed medication"
    sentence = Sentence("MedicationRequest", head)
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(plain(resource.get("intent")), "intent")
    sentence.add_when(resource.get("authoredOn"), "authored")
    sentence.add(_dosages(resource.get("dosageInstruction")), "dosage")
    sentence.add(_reasons(resource), "reason")
    return rendered(sentence, date=first_date(resource, ("authoredOn",)), code=concept,
                    display=display)  # fmt: skip


def render_medication_statement(resource: Mapping[str, Any]) -> Rendered:
    concept, display = medication(resource)
    head = _with_codes(display, concept) or "unnamed medication"
    sentence = Sentence("MedicationStatement", head)
    sentence.add(plain(resource.get("status")), "status")
    date = first_date(resource, ("effectiveDateTime", "effectivePeriod", "dateAsserted"))
    sentence.add(_effective(resource), "taken")
    sentence.add_when(resource.get("dateAsserted"), "asserted")
    sentence.add(_dosages(resource.get("dosage")), "dosage")
    sentence.add(_reasons(resource), "reason")
    return rendered(sentence, date=date, code=concept, display=display)


def render_medication(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    sentence = Sentence("Medication", concept_with_codes(code) or "unnamed medication")
    sentence.add(concept_display(resource.get("form")), "form")
    ingredients = [
        concept_display(item.get("itemCodeableConcept"))
        for item in as_list(resource.get("ingredient"))
    ]
    sentence.add(joined([item for item in ingredients if item]), "ingredients")
    sentence.add(plain(resource.get("status")), "status")
    return rendered(sentence, date=None, code=code)


def render_immunization(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("vaccineCode")
    date = first_date(resource, ("occurrenceDateTime", "recorded"))
    head = concept_with_codes(code) or "unnamed vaccine"
    if date:
        head = f"{head} on {when(date)}"
    sentence = Sentence("Immunization", head)
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(concept_display(resource.get("statusReason")), "status reason")
    sentence.add(quantity(resource.get("doseQuantity")), "dose")
    sentence.add(concept_display(resource.get("route")), "route")
    sentence.add(concept_display(resource.get("site")), "site")
    if resource.get("primarySource") is False:
        sentence.add("reported by a secondary source")
    return rendered(sentence, date=date, code=code)


def render_allergy(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("code")
    sentence = Sentence("AllergyIntolerance", concept_with_codes(code) or "unnamed substance")
    sentence.add(plain(resource.get("type")))
    categories = [item for item in resource.get("category", []) if isinstance(item, str)]
    sentence.add(joined(categories), "category")
    sentence.add(plain(resource.get("criticality")), "criticality")
    sentence.add(status_code(resource.get("clinicalStatus")), "clinical status")
    sentence.add(status_code(resource.get("verificationStatus")), "verification")
    sentence.add(_onset(resource), "onset")
    sentence.add_when(resource.get("recordedDate"), "recorded")
    sentence.add_when(resource.get("lastOccurrence"), "last occurrence")
    sentence.add(joined([r for r in map(_reaction, as_list(resource.get("reaction"))) if r], "; "))
    date = first_date(resource, ("onsetDateTime", "onsetPeriod", "recordedDate"))
    return rendered(sentence, date=date, code=code)


def medication(resource: Mapping[str, Any]) -> tuple[object, str | None]:
    """The medication concept and display of ``medication[x]``; a contained Medication is
    followed, another referenced Medication is named by its reference display only."""
    concept = resource.get("medicationCodeableConcept")
    if concept is not None:
        return concept, concept_display(concept)
    reference = as_dict(resource.get("medicationReference"))
    literal = reference.get("reference")
    if isinstance(literal, str) and literal.startswith("#"):
        for contained in as_list(resource.get("contained")):
            if contained.get("id") == literal[1:] and contained.get("resourceType") == "Medication":
                return contained.get("code"), concept_display(contained.get("code"))
    display = reference.get("display")
    return None, display.strip() if isinstance(display, str) and display.strip() else None


def _with_codes(display: str | None, concept: object) -> str | None:
    if display is None:
        return None
    labels = code_labels(concept)
    return f"{display} ({labels})" if labels else display


def _dosages(value: object) -> str | None:
    return joined([d for d in map(_dosage, as_list(value)) if d], "; ")


def _dosage(dosage: Mapping[str, Any]) -> str | None:
    text = plain(dosage.get("text"))
    if text:
        return text
    parts: list[str] = []
    for dose_rate in as_list(dosage.get("doseAndRate")):
        dose = quantity(dose_rate.get("doseQuantity"))
        if dose:
            parts.append(dose)
    parts.extend(p for p in [_timing(dosage.get("timing"))] if p)
    route = concept_display(dosage.get("route"))
    if route:
        parts.append(route)
    if dosage.get("asNeededBoolean") is True:
        parts.append("as needed")
    as_needed = concept_display(dosage.get("asNeededCodeableConcept"))
    if as_needed:
        parts.append(f"as needed for {as_needed}")
    return ", ".join(parts) or None


def _timing(timing: object) -> str | None:
    repeat = as_dict(as_dict(timing).get("repeat"))
    frequency, duration = number(repeat.get("frequency")), number(repeat.get("period"))
    unit = PERIOD_UNITS.get(str(repeat.get("periodUnit")))
    if frequency and duration and unit:
        plural = "" if duration == "1" else "s"
        every = unit if duration == "1" else f"{duration} {unit}{plural}"
        return f"{frequency} times every {every}" if frequency != "1" else f"once every {every}"
    return concept_display(as_dict(timing).get("code"))


def _effective(resource: Mapping[str, Any]) -> str | None:
    value = resource.get("effectiveDateTime")
    if isinstance(value, str):
        return when(value)
    period = as_dict(resource.get("effectivePeriod"))
    start, end = when(period.get("start")), when(period.get("end"))
    if start or end:
        return f"{start or '?'} to {end or 'ongoing'}"
    return None


def _onset(resource: Mapping[str, Any]) -> str | None:
    value = resource.get("onsetDateTime")
    if isinstance(value, str):
        return when(value)
    return plain(resource.get("onsetString")) or quantity(resource.get("onsetAge"))


def _reasons(resource: Mapping[str, Any]) -> str | None:
    found = [concept_with_codes(item) for item in as_list(resource.get("reasonCode"))]
    return joined([item for item in found if item])


def _reaction(reaction: Mapping[str, Any]) -> str | None:
    manifestations = [concept_display(m) for m in as_list(reaction.get("manifestation"))]
    text = joined([m for m in manifestations if m])
    if not text:
        return None
    parts = [f"reaction {text}"]
    substance = concept_display(reaction.get("substance"))
    if substance:
        parts.append(f"to {substance}")
    severity = plain(reaction.get("severity"))
    if severity:
        parts.append(f"({severity})")
    return " ".join(parts)
