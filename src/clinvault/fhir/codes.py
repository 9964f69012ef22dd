"""Reading FHIR datatypes into short readable text: codes, quantities, dates.

Pure functions over the JSON form of R4 datatypes (Coding, CodeableConcept,
Quantity, Range, Ratio, Period, dateTime). They never look at names, addresses,
telecom or identifiers: the renderers only pass them clinical elements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

SYSTEM_LABELS: Mapping[str, str] = {
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-9-cm": "ICD-9-CM",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "http://www.ama-assn.org/go/cpt": "CPT",
    "http://unitsofmeasure.org": "UCUM",
    "urn:iso:std:iso:11073:10101": "ISO 11073",
}
"""Terminologies named in rendered text; codes of other systems are kept in ``codes`` only."""

DATE_ELEMENTS = (
    "effectiveDateTime", "effectiveInstant", "effectivePeriod",
    "onsetDateTime", "onsetPeriod",
    "performedDateTime", "performedPeriod",
    "occurrenceDateTime", "occurrencePeriod",
    "authoredOn", "recordedDate", "dateAsserted", "issued", "recorded",
    "date", "period", "created", "billablePeriod", "sent", "started", "startDate",
)  # fmt: skip
"""Where the clinical date of a resource is, most specific first."""


def as_dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Mapping[str, Any]]:
    """A repeating element as a list of objects (a single object becomes a list of one)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def codings(concept: object) -> list[Mapping[str, Any]]:
    return as_list(as_dict(concept).get("coding"))


def code_strings(concept: object) -> list[str]:
    """``system|code`` for every coding with a code (``|code`` when the system is absent)."""
    found: list[str] = []
    for coding in codings(concept):
        code = coding.get("code")
        if isinstance(code, str) and code:
            system = coding.get("system")
            found.append(f"{system if isinstance(system, str) else ''}|{code}")
    return found


def concept_display(concept: object) -> str | None:
    """``text`` of a CodeableConcept, else the display (or code) of its first coding."""
    data = as_dict(concept)
    text = data.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    for coding in codings(data):
        display = coding.get("display")
        if isinstance(display, str) and display.strip():
            return display.strip()
    for coding in codings(data):
        code = coding.get("code")
        if isinstance(code, str) and code:
            return code
    return None


def coding_display(coding: object) -> str | None:
    data = as_dict(coding)
    for key in ("display", "code"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def concepts_text(values: object) -> str | None:
    """Several CodeableConcepts as ``A (SNOMED 1), B``, duplicates removed."""
    found = [concept_with_codes(item) for item in as_list(values)]
    unique = list(dict.fromkeys(item for item in found if item))
    return ", ".join(unique) if unique else None


def code_labels(concept: object) -> str:
    """``LOINC 4548-4; SNOMED 44054006`` for the codings of known terminologies."""
    labels: list[str] = []
    for coding in codings(concept):
        label = SYSTEM_LABELS.get(str(coding.get("system")))
        code = coding.get("code")
        if label and isinstance(code, str) and f"{label} {code}" not in labels:
            labels.append(f"{label} {code}")
    return "; ".join(labels)


def concept_with_codes(concept: object) -> str | None:
    """``Hemoglobin A1c (LOINC 4548-4)``; ``None`` when the concept says nothing."""
    display = concept_display(concept)
    if display is None:
        return None
    labels = code_labels(concept)
    return f"{display} ({labels})" if labels else display


def status_code(concept: object) -> str | None:
    """The code of a status CodeableConcept (``active``), else its display."""
    for coding in codings(concept):
        code = coding.get("code")
        if isinstance(code, str) and code:
            return code
    return concept_display(concept)


def number(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def quantity(value: object) -> str | None:
    """``7.2 %``, ``< 5 mg/dL``; ``None`` without a numeric value."""
    data = as_dict(value)
    amount = number(data.get("value"))
    if amount is None:
        return None
    comparator = data.get("comparator")
    unit = data.get("unit") or data.get("code")
    text = f"{comparator} {amount}" if isinstance(comparator, str) else amount
    return f"{text} {unit}" if isinstance(unit, str) and unit else text


def value_range(value: object) -> str | None:
    data = as_dict(value)
    low, high = quantity(data.get("low")), quantity(data.get("high"))
    if low and high:
        return f"{low} to {high}"
    if low:
        return f">= {low}"
    if high:
        return f"<= {high}"
    return None


def ratio(value: object) -> str | None:
    data = as_dict(value)
    numerator, denominator = quantity(data.get("numerator")), quantity(data.get("denominator"))
    if numerator and denominator:
        return f"{numerator} / {denominator}"
    return numerator


def when(value: object) -> str | None:
    """A FHIR date/dateTime/instant for reading: ``2021-03-04`` or ``2021-03-04 10:15``."""
    if not isinstance(value, str) or not value:
        return None
    date, _, time = value.partition("T")
    return f"{date} {time[:5]}" if time else date


def period(value: object) -> str | None:
    data = as_dict(value)
    start, end = when(data.get("start")), when(data.get("end"))
    if start and end:
        return start if start == end else f"{start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return None


def first_date(
    resource: Mapping[str, Any], elements: tuple[str, ...] = DATE_ELEMENTS
) -> str | None:
    """The raw date/dateTime of the first present element (a Period gives its start)."""
    for element in elements:
        value = resource.get(element)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            for key in ("start", "end"):
                bound = value.get(key)
                if isinstance(bound, str) and bound:
                    return bound
    return None


def choice(resource: Mapping[str, Any], prefix: str) -> tuple[str, Any] | None:
    """The ``(suffix, value)`` of a choice element such as ``value[x]`` or ``onset[x]``."""
    for key, value in resource.items():
        if key.startswith(prefix) and key[len(prefix) : len(prefix) + 1].isupper():
            return key[len(prefix) :], value
    return None


def choice_text(resource: Mapping[str, Any], prefix: str) -> str | None:
    """A ``value[x]``-style element as text (Quantity, CodeableConcept, dateTime, ...)."""
    found = choice(resource, prefix)
    if found is None:
        return None
    kind, value = found
    return typed_value_text(kind, value)


def typed_value_text(kind: str, value: Any) -> str | None:
    renderer = {
        "Quantity": quantity,
        "Age": quantity,
        "Duration": quantity,
        "SimpleQuantity": quantity,
        "CodeableConcept": concept_with_codes,
        "Coding": coding_display,
        "Range": value_range,
        "Ratio": ratio,
        "Period": period,
        "DateTime": when,
        "Date": when,
        "Instant": when,
    }.get(kind)
    if renderer is not None:
        return renderer(value)
    if kind == "Boolean" and isinstance(value, bool):
        return "yes" if value else "no"
    if kind in ("Integer", "Decimal"):
        return number(value)
    if kind in ("String", "Time", "Markdown", "Code", "Uri") and isinstance(value, str):
        return value.strip() or None
    if kind == "SampledData":
        return "sampled data series"
    if kind == "Reference":
        return reference_type(value)
    return None


def reference_type(reference: object) -> str | None:
    """The type a Reference points at, never its id or display: ``a Practitioner``."""
    data = as_dict(reference)
    target = data.get("type")
    if not isinstance(target, str):
        literal = data.get("reference")
        target = None
        if isinstance(literal, str) and not literal.startswith(("#", "urn:")):
            head = literal.split("?")[0].rstrip("/").split("/")
            names = [part for part in head if part[:1].isupper() and part.isalpha()]
            target = names[-1] if names else None
    return target


def texts(values: Iterator[str | None] | list[str | None]) -> list[str]:
    return [value for value in values if value]
