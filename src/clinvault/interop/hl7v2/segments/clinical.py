"""AL1/IAM allergies, DG1/PRB conditions, IN1 coverage."""

from __future__ import annotations

from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment

ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
DELETE_ACTIONS = frozenset({"D", "DE", "X"})


def _key(concept: dict[str, Any], segment: Segment) -> str:
    codings = concept.get("coding") or [{}]
    first = codings[0]
    return (
        f"{first.get('system', '')}|{first.get('code', '')}|{concept.get('text', '')}"
        if concept
        else segment.raw(1)
    )


def map_allergy(ctx: Context, segment: Segment) -> None:
    """AL1: type (2), allergen (3), severity (4), reactions (5), onset (6).
    IAM: type (2), allergen (3), severity (4), reactions (5), action (6), onset (11)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    kind = segment.get(2, 1).upper()
    code = dt.codeable(segment.first(3), tables)
    if not code:
        return
    is_iam = segment.name == "IAM"
    deleted = is_iam and segment.get(6).upper() in DELETE_ACTIONS
    onset = ctx.datetime(segment.get(11 if is_iam else 6))
    reactions = [r.get(1) for r in segment.repetitions(5) if r.get(1)]
    criticality = tables.lookup("allergy_criticality", segment.get(4, 1).upper())
    resource = dt.pruned(
        {
            "resourceType": "AllergyIntolerance",
            "id": ctx.stable_id("AllergyIntolerance", ctx.patient_ref, _key(code, segment)),
            "clinicalStatus": {
                "coding": [
                    {"system": ALLERGY_CLINICAL, "code": "inactive" if deleted else "active"}
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": ALLERGY_VERIFICATION,
                        "code": "entered-in-error" if deleted else "confirmed",
                    }
                ]
            },
            "type": tables.lookup("allergy_type", kind),
            "category": [tables.lookup("allergy_category", kind)],
            "criticality": criticality,
            "code": code,
            "patient": {"reference": ctx.patient_ref},
            "onsetDateTime": onset,
            "reaction": [{"manifestation": [{"text": r} for r in reactions]}] if reactions else [],
        }
    )
    ctx.add(resource)


def map_dg1(ctx: Context, segment: Segment) -> None:
    """DG1: code (3; v2.3 also 4 description), date (5), type (6: A admitting, W working, F final)."""
    if ctx.patient_ref is None:
        return
    code = dt.codeable(segment.first(3), ctx.tables)
    if not code and segment.get(4):
        code = {"text": segment.get(4)}
    if not code:
        return
    if segment.get(4) and "text" not in code:
        code["text"] = segment.get(4)
    kind = segment.get(6, 1).upper()
    resource = dt.pruned(
        {
            "resourceType": "Condition",
            "id": ctx.stable_id(
                "Condition", ctx.patient_ref, ctx.encounter_ref or "", "dg1", _key(code, segment)
            ),
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
            "verificationStatus": {
                "coding": [
                    {
                        "system": CONDITION_VERIFICATION,
                        "code": "provisional" if kind == "W" else "confirmed",
                    }
                ]
            },
            "category": [
                {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
            ],
            "code": code,
            "subject": {"reference": ctx.patient_ref},
            "encounter": ctx.encounter(),
            "onsetDateTime": ctx.datetime(segment.get(5)),
        }
    )
    ctx.add(resource)


def map_prb(ctx: Context, segment: Segment) -> None:
    """PRB: action (1), action time (2), problem (3), instance id (4), established (7),
    onset (16)."""
    if ctx.patient_ref is None:
        return
    code = dt.codeable(segment.first(3), ctx.tables)
    if not code:
        return
    deleted = segment.get(1).upper() in DELETE_ACTIONS
    instance = segment.get(4) or _key(code, segment)
    resource = dt.pruned(
        {
            "resourceType": "Condition",
            "id": ctx.stable_id("Condition", ctx.patient_ref, "prb", instance),
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]}
            if not deleted
            else {},
            "verificationStatus": {
                "coding": [
                    {
                        "system": CONDITION_VERIFICATION,
                        "code": "entered-in-error" if deleted else "confirmed",
                    }
                ]
            },
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
            "code": code,
            "subject": {"reference": ctx.patient_ref},
            "recordedDate": ctx.datetime(segment.get(7)) or ctx.datetime(segment.get(2)),
            "onsetDateTime": ctx.datetime(segment.get(16)),
        }
    )
    ctx.add(resource)


def map_in1(ctx: Context, segment: Segment) -> None:
    """IN1: plan (2), company id (3) and name (4), plan type (15), relationship (17),
    effective (12) / expiration (13), policy number (36), group number (8)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    company = segment.get(4, 1) or segment.get(3, 1)
    policy = segment.get(36) or segment.get(8)
    key = policy or segment.get(2, 1) or segment.get(1)
    relationship = segment.first(17)
    resource = dt.pruned(
        {
            "resourceType": "Coverage",
            "id": ctx.stable_id("Coverage", ctx.patient_ref, "in1", key or ctx.occurrence("IN1")),
            "status": "active",
            "identifier": [{"value": policy}] if policy else [],
            "type": dt.codeable(segment.first(15), tables),
            "beneficiary": {"reference": ctx.patient_ref},
            "subscriberId": segment.get(49) or policy,
            "relationship": dt.codeable(relationship, tables) if relationship else {},
            "period": {
                "start": ctx.datetime(segment.get(12)),
                "end": ctx.datetime(segment.get(13)),
            },
            "payor": [{"display": company or "unknown payor"}],
            "class": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                "code": "plan",
                            }
                        ]
                    },
                    "value": segment.get(2, 1),
                    "name": segment.get(2, 2),
                }
            ]
            if segment.get(2, 1)
            else [],
        }
    )
    ctx.add(resource)


def map_pda(ctx: Context, segment: Segment) -> None:
    """PDA: death cause (1) -> Condition; death time (4) -> Patient.deceasedDateTime."""
    patient = ctx.resources.get(ctx.patient_ref or "")
    if patient is None or ctx.patient_ref is None:
        return
    died = ctx.datetime(segment.get(4))
    if died and "deceasedBoolean" not in patient:
        patient.setdefault("deceasedDateTime", died)
    cause = dt.codeable(segment.first(1), ctx.tables)
    if not cause:
        return
    resource = dt.pruned(
        {
            "resourceType": "Condition",
            "id": ctx.stable_id("Condition", ctx.patient_ref, "death-cause", _key(cause, segment)),
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "resolved"}]},
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
            },
            "category": [
                {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
            ],
            "code": cause,
            "subject": {"reference": ctx.patient_ref},
            "note": [{"text": "cause of death"}],
            "abatementDateTime": died,
        }
    )
    ctx.add(resource)
