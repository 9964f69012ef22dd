"""Facts of one patient read from their FHIR resources (any cohort, not only synthetic).

The dataset builder turns these into questions with gold answers: the newest result of each
observation code, every value of a code (trend), active conditions, current and stopped
medications, allergies, immunizations, procedures, and the demographics used for slices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Resource = dict[str, Any]
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
AGE_BANDS = ((0, "0-17"), (18, "18-44"), (45, "45-64"), (65, "65+"))


@dataclass(frozen=True, slots=True)
class Measurement:
    code: str
    display: str
    value: str
    unit: str | None
    date: str
    category: str
    reference: str


@dataclass(frozen=True, slots=True)
class Entry:
    display: str
    reference: str
    date: str | None = None


@dataclass
class PatientFacts:
    reference: str
    name: str = ""
    """The patient's name as recorded (in memory only: for the other-patient question)."""
    demographics: dict[str, str] = field(default_factory=dict)
    series: dict[str, list[Measurement]] = field(default_factory=dict)
    """Numeric observations by LOINC code, oldest first."""
    active_conditions: list[Entry] = field(default_factory=list)
    current_medications: list[Entry] = field(default_factory=list)
    stopped_medications: list[Entry] = field(default_factory=list)
    allergies: list[Entry] = field(default_factory=list)
    immunizations: list[Entry] = field(default_factory=list)
    procedures: list[Entry] = field(default_factory=list)
    notes: list[Entry] = field(default_factory=list)
    text: str = ""
    """Every resource as JSON, lower-cased: to check that an 'unanswerable' topic is absent."""


def _display(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    codings = concept.get("coding") or []
    for coding in codings:
        if coding.get("display"):
            return str(coding["display"])
    return str(concept.get("text") or "")


def _code(concept: Any, system: str) -> str | None:
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") == system and coding.get("code"):
            return str(coding["code"])
    return None


def _status(resource: Resource, element: str) -> str:
    value = resource.get(element)
    if isinstance(value, dict):
        for coding in value.get("coding") or []:
            return str(coding.get("code") or "")
    return str(value or "")


def _day(value: Any) -> str | None:
    return str(value)[:10] if isinstance(value, str) and len(value) >= 10 else None


def _number(value: float | int) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def age_band(birth: str | None, on: str | None) -> str:
    if not birth or not on:
        return "unknown"
    born, then = date.fromisoformat(birth[:10]), date.fromisoformat(on[:10])
    years = then.year - born.year - ((then.month, then.day) < (born.month, born.day))
    band = "unknown"
    for lower, name in AGE_BANDS:
        if years >= lower:
            band = name
    return band


def _extension_text(patient: Resource, url: str) -> str:
    for extension in patient.get("extension") or []:
        if extension.get("url") != url:
            continue
        parts = extension.get("extension") or []
        for part in parts:
            if part.get("url") == "text" and part.get("valueString"):
                return str(part["valueString"])
        for part in parts:
            display = (part.get("valueCoding") or {}).get("display")
            if display:
                return str(display)
    return "unknown"


def _language(patient: Resource) -> str:
    for item in patient.get("communication") or []:
        name = _display(item.get("language"))
        if name:
            return name
    return "unknown"


def patient_facts(resources: Iterable[Resource]) -> PatientFacts:
    items = list(resources)
    patient = next((r for r in items if r.get("resourceType") == "Patient"), {})
    facts = PatientFacts(reference=f"Patient/{patient.get('id')}", name=_name(patient))
    series: dict[str, list[Measurement]] = defaultdict(list)
    newest = ""
    for resource in items:
        kind = resource.get("resourceType")
        ref = f"{kind}/{resource.get('id')}"
        if kind == "Observation":
            measurement = _measurement(resource, ref)
            if measurement is not None:
                series[measurement.code].append(measurement)
                newest = max(newest, measurement.date)
        elif kind == "Condition" and _status(resource, "clinicalStatus") == "active":
            facts.active_conditions.append(Entry(_display(resource.get("code")), ref))
        elif kind == "MedicationRequest":
            entry = Entry(_display(resource.get("medicationCodeableConcept")), ref)
            target = facts.current_medications
            if resource.get("status") != "active":
                target = facts.stopped_medications
            target.append(entry)
        elif kind == "AllergyIntolerance":
            facts.allergies.append(Entry(_display(resource.get("code")), ref))
        elif kind == "Immunization" and resource.get("status", "completed") == "completed":
            day = _day(resource.get("occurrenceDateTime"))
            facts.immunizations.append(Entry(_display(resource.get("vaccineCode")), ref, day))
        elif kind == "Procedure":
            day = _day(resource.get("performedDateTime")) or _day(
                (resource.get("performedPeriod") or {}).get("start")
            )
            facts.procedures.append(Entry(_display(resource.get("code")), ref, day))
        elif kind == "DocumentReference":
            facts.notes.append(
                Entry(_display(resource.get("type")), ref, _day(resource.get("date")))
            )
    facts.series = {code: sorted(s, key=lambda m: m.date) for code, s in sorted(series.items())}
    facts.demographics = {
        "sex": str(patient.get("gender") or "unknown"),
        "age_band": age_band(patient.get("birthDate"), newest or None),
        "race": _extension_text(patient, RACE_URL),
        "ethnicity": _extension_text(patient, ETHNICITY_URL),
        "language": _language(patient),
    }
    facts.text = " ".join(str(r) for r in items if r.get("resourceType") != "Patient").casefold()
    return facts


def _measurement(resource: Resource, ref: str) -> Measurement | None:
    quantity = resource.get("valueQuantity")
    code = _code(resource.get("code"), "http://loinc.org")
    day = _day(resource.get("effectiveDateTime"))
    if not isinstance(quantity, dict) or code is None or day is None:
        return None
    value = quantity.get("value")
    if not isinstance(value, int | float):
        return None
    category = ""
    for concept in resource.get("category") or []:
        category = _status({"c": concept}, "c") or category
    return Measurement(
        code=code,
        display=_display(resource.get("code")),
        value=_number(value),
        unit=quantity.get("unit") or quantity.get("code"),
        date=day,
        category=category,
        reference=ref,
    )


def _name(patient: Resource) -> str:
    for name in patient.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        if any(parts):
            return " ".join(p for p in parts if p)
    return ""
