"""The per-patient summary chunk: pseudonymized demographics, active problems, medications,
allergies. Built from the patient's pseudonymized resources and renderings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clinvault.fhir.codes import concept_display

RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


def _extension_text(patient: Mapping[str, Any], url: str) -> str | None:
    for ext in patient.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            for inner in ext.get("extension") or []:
                if (
                    isinstance(inner, dict)
                    and inner.get("url") == "text"
                    and isinstance(inner.get("valueString"), str)
                ):
                    return str(inner["valueString"])
    return None


def _status(resource: Mapping[str, Any], key: str) -> str:
    value = resource.get(key)
    if isinstance(value, str):
        return value
    coding = (value or {}).get("coding") or [{}] if isinstance(value, dict) else [{}]
    return str(coding[0].get("code", "")) if coding else ""


def _label(concept: object) -> str | None:
    return concept_display(concept)


def summary_text(
    patient_token: str,
    pseudo_patient: Mapping[str, Any] | None,
    age: str | None,
    resources: Sequence[Mapping[str, Any]],
) -> str:
    parts = [f"Patient summary for {patient_token}."]
    if pseudo_patient is not None:
        demo = []
        if pseudo_patient.get("gender"):
            demo.append(f"sex {pseudo_patient['gender']}")
        if age:
            demo.append(f"age {age}")
        if pseudo_patient.get("birthDate"):
            demo.append(f"born {pseudo_patient['birthDate']}")
        if pseudo_patient.get("deceasedDateTime") or pseudo_patient.get("deceasedBoolean"):
            demo.append(f"deceased {pseudo_patient.get('deceasedDateTime') or ''}".strip())
        for label, url in (("race", RACE_URL), ("ethnicity", ETHNICITY_URL)):
            text = _extension_text(pseudo_patient, url)
            if text:
                demo.append(f"{label} {text}")
        for comm in pseudo_patient.get("communication") or []:
            language = _label((comm or {}).get("language"))
            if language:
                demo.append(f"language {language}")
        if demo:
            parts.append("Demographics: " + ", ".join(demo) + ".")
    problems, meds, allergies = [], [], []
    for res in resources:
        rtype = res.get("resourceType")
        if rtype == "Condition" and _status(res, "clinicalStatus") in (
            "active",
            "recurrence",
            "relapse",
        ):
            problems.append(_label(res.get("code")))
        elif rtype == "MedicationRequest" and res.get("status") == "active":
            meds.append(_label(res.get("medicationCodeableConcept")))
        elif rtype == "AllergyIntolerance" and _status(res, "clinicalStatus") in ("", "active"):
            allergies.append(_label(res.get("code")))
    for title, items in (
        ("Active problems", problems),
        ("Current medications", meds),
        ("Allergies", allergies),
    ):
        named = sorted({i for i in items if i})
        parts.append(f"{title}: {'; '.join(named) if named else 'none recorded'}.")
    return " ".join(parts)
