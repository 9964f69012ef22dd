"""Segment mappers, by the names the family tables (``mappings/*.toml``) use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment
from clinvault.interop.hl7v2.segments import (
    clinical,
    documents,
    encounter,
    patient,
    pharmacy,
    results,
    scheduling,
)

SegmentMapper = Callable[[Context, Segment], None]

MAPPERS: Mapping[str, SegmentMapper] = MappingProxyType(
    {
        "patient": patient.map_pid,
        "patient_extra": patient.map_pd1,
        "related_person": patient.map_nk1,
        "merge": patient.map_mrg,
        "insured_identifiers": patient.map_in2,
        "disability_identifier": patient.map_db1,
        "guarantor_self": patient.map_gt1,
        "encounter": encounter.map_pv1,
        "encounter_extra": encounter.map_pv2,
        "allergy": clinical.map_allergy,
        "condition": clinical.map_dg1,
        "problem": clinical.map_prb,
        "coverage": clinical.map_in1,
        "death": clinical.map_pda,
        "order": results.map_orc,
        "report": results.map_obr,
        "observation": results.map_obx,
        "note": results.map_nte,
        "document": documents.map_txa,
        "immunization": pharmacy.map_rxa_immunization,
        "medication_administration": pharmacy.map_rxa_administration,
        "medication_request": pharmacy.map_rxe,
        "route": pharmacy.map_rxr,
        "appointment": scheduling.map_sch,
        "appointment_service": scheduling.map_ais,
        "appointment_person": scheduling.map_aip,
        "appointment_location": scheduling.map_ail,
    }
)
