"""Rendering a (pseudonymized, date-shifted) FHIR resource as one clinical sentence.

``render(resource)`` returns ``Rendered(text, date, codes, display)``, e.g.
``Observation: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4) = 7.2 % on
2021-03-04; status final.``

The vault calls it on resources whose identifiers are already tokens and whose
dates are already shifted; even so, a renderer never reads names, addresses,
telecom or identifiers, and shows references only as their type, never an id.
Each common type has its own renderer; any other type gets the generic one
(type, main code, value, date, status). Free text (notes, narrative) is not
rendered here: see :mod:`clinvault.fhir.notes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from clinvault.fhir.render.base import Rendered, Renderer
from clinvault.fhir.render.care import (
    render_care_plan,
    render_care_team,
    render_device,
    render_goal,
)
from clinvault.fhir.render.conditions import render_condition, render_procedure
from clinvault.fhir.render.documents import render_document_reference
from clinvault.fhir.render.encounters import render_encounter
from clinvault.fhir.render.generic import render_generic
from clinvault.fhir.render.medications import (
    render_allergy,
    render_immunization,
    render_medication,
    render_medication_request,
    render_medication_statement,
)
from clinvault.fhir.render.observations import render_diagnostic_report, render_observation
from clinvault.fhir.render.patient import render_patient

RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "Patient": render_patient,
        "Condition": render_condition,
        "Observation": render_observation,
        "MedicationRequest": render_medication_request,
        "MedicationStatement": render_medication_statement,
        "Medication": render_medication,
        "AllergyIntolerance": render_allergy,
        "Immunization": render_immunization,
        "Procedure": render_procedure,
        "Encounter": render_encounter,
        "DiagnosticReport": render_diagnostic_report,
        "DocumentReference": render_document_reference,
        "CarePlan": render_care_plan,
        "Goal": render_goal,
        "Device": render_device,
        "CareTeam": render_care_team,
    }
)


def render(resource: Mapping[str, Any]) -> Rendered:
    renderer = RENDERERS.get(str(resource.get("resourceType")), render_generic)
    return renderer(resource)


__all__ = ["RENDERERS", "Rendered", "render"]
