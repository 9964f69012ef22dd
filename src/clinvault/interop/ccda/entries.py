"""Clinical statement mappers: one function per C-CDA entry template, FHIR R4 resources out.

Each mapper takes the entry's element, the document ``Context`` and the entry's position
and returns the resources it made (already added to the context). Which mapper runs for
which entry is declared in ``sections.py``; nothing here decides by section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from clinvault.interop.ccda import templates as t
from clinvault.interop.ccda.context import Context
from clinvault.interop.ccda.datatypes import (
    codeable,
    effective,
    id_keys,
    identifiers,
    is_null,
    period,
    quantity,
    ts_of,
    value_x,
)
from clinvault.interop.ccda.participants import encounter_participants
from clinvault.interop.ccda.xpath import XSI_TYPE, all_of, attr, first, template_ids, text_of

Mapper = Callable[[etree._Element, Context, str], list[dict[str, Any]]]

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SNOMED = "http://snomed.info/sct"
PROBLEM_STATUS = {
    "55561003": "active",
    "73425007": "inactive",
    "413322009": "resolved",
    "246455001": "recurrence",
    "263855007": "relapse",
    "277022003": "remission",
}
ALLERGY_STATUS = {"55561003": "active", "73425007": "inactive", "413322009": "resolved"}
SEVERITY = {
    "255604002": "mild",
    "6736007": "moderate",
    "24484000": "severe",
    "371923003": "mild",
    "371924009": "moderate",
    "399166001": "severe",
}
ALLERGY_CATEGORY = {
    "414285001": "food",
    "235719002": "food",
    "418471000": "food",
    "416098002": "medication",
    "419511003": "medication",
    "59037007": "medication",
    "426232007": "environment",
    "419199007": None,
    "420134006": None,
    "418038007": None,
}
ALLERGY_TYPE = {
    "416098002": "allergy",
    "414285001": "allergy",
    "419199007": "allergy",
    "59037007": "intolerance",
    "235719002": "intolerance",
    "420134006": None,
}
MED_STATUS = {
    "active": "active",
    "completed": "completed",
    "aborted": "stopped",
    "suspended": "on-hold",
    "cancelled": "not-taken",
    "held": "on-hold",
    "nullified": "entered-in-error",
    "new": "intended",
}
SUPPLY_ORDER_STATUS = {
    "active": "active",
    "completed": "completed",
    "aborted": "stopped",
    "cancelled": "cancelled",
    "held": "on-hold",
    "suspended": "on-hold",
    "new": "draft",
    "nullified": "entered-in-error",
}
DISPENSE_STATUS = {
    "completed": "completed",
    "active": "in-progress",
    "aborted": "stopped",
    "cancelled": "cancelled",
    "held": "on-hold",
    "suspended": "on-hold",
    "new": "preparation",
    "nullified": "entered-in-error",
}
PROCEDURE_STATUS = {
    "completed": "completed",
    "active": "in-progress",
    "aborted": "stopped",
    "cancelled": "not-done",
    "new": "preparation",
    "held": "on-hold",
    "suspended": "on-hold",
    "nullified": "entered-in-error",
}
OBSERVATION_STATUS = {
    "completed": "final",
    "active": "preliminary",
    "aborted": "cancelled",
    "cancelled": "cancelled",
    "nullified": "entered-in-error",
}
ENCOUNTER_STATUS = {
    "completed": "finished",
    "active": "in-progress",
    "aborted": "cancelled",
    "cancelled": "cancelled",
    "new": "planned",
}
UNKNOWN_CLASS = {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"}
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NO_KNOWN_ALLERGY = {"system": SNOMED, "code": "716186003", "display": "No known allergy"}


SIGNATURE_PARTS = (
    "v:code",
    "v:value",
    "v:effectiveTime",
    "v:doseQuantity",
    "v:statusCode",
    "v:participant/v:participantRole/v:playingEntity/v:code",
    "v:consumable/v:manufacturedProduct/v:manufacturedMaterial/v:code",
    "v:consumable/v:manufacturedProduct/v:manufacturedMaterial/v:lotNumberText",
)


def _signature(element: etree._Element, parts_of: tuple[str, ...] = SIGNATURE_PARTS) -> str:
    """What makes a statement this statement, apart from its ids (see ``Context.repeated``).
    A problem is its ``value`` and times: its ``code`` only says which kind of problem list
    quotes it (admission vs discharge diagnosis)."""
    parts = []
    for path in parts_of:
        for node in all_of(element, path):
            parts.append(" ".join(etree.tostring(node, method="c14n").decode().split()))
    return "\x1f".join(parts)


def _status(element: etree._Element) -> str:
    return attr(first(element, "v:statusCode"), "code") or ""


def _code(element: etree._Element, ctx: Context, path: str = "v:code") -> dict[str, Any] | None:
    node = first(element, path)
    return None if node is None else codeable(node, ctx.narrative)


def _negated(element: etree._Element) -> bool:
    return attr(element, "negationInd") == "true"


def _related(element: etree._Element, template: str) -> list[etree._Element]:
    return [
        node for node in all_of(element, "v:entryRelationship/*") if template in template_ids(node)
    ]


def _base(kind: str, element: etree._Element, ctx: Context, position: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": kind,
        "id": ctx.new_id(kind, id_keys(element), position),
    }
    ids = identifiers(element)
    if ids:
        resource["identifier"] = ids
    return resource


# -- problems ------------------------------------------------------------------------------


def problems(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    """Problem concern act (or a diagnosis act) holding Problem Observations -> Condition."""
    observations = (
        [entry]
        if t.PROBLEM_OBSERVATION in template_ids(entry)
        else [
            node
            for node in all_of(entry, ".//v:observation")
            if t.PROBLEM_OBSERVATION in template_ids(node)
        ]
    )
    category = (
        "encounter-diagnosis" if template_ids(entry) & t.DIAGNOSIS_ACTS else "problem-list-item"
    )
    out = []
    for number, observation in enumerate(observations):
        code = _code(observation, ctx, "v:value")
        if code is None or ctx.repeated(
            "Condition", id_keys(observation), _signature(observation, SIGNATURE_PARTS[1:])
        ):
            continue
        condition = _base("Condition", observation, ctx, f"{position}.{number}")
        condition["category"] = [{"coding": [{"system": CONDITION_CATEGORY, "code": category}]}]
        condition["code"] = code
        condition["subject"] = ctx.patient_ref
        _, low, high = effective(observation)
        status = _problem_status(observation, high)
        if status:
            condition["clinicalStatus"] = {
                "coding": [{"system": CONDITION_CLINICAL, "code": status}]
            }
        if _negated(observation):
            condition["verificationStatus"] = {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "refuted"}]
            }
        if low:
            condition["onsetDateTime"] = low
        if high and status in ("inactive", "resolved", "remission"):
            condition["abatementDateTime"] = high
        recorded = ts_of(first(observation, "v:author/v:time")) or ts_of(
            first(entry, "v:author/v:time")
        )
        if recorded:
            condition["recordedDate"] = recorded
        out.append(ctx.add(condition))
    return out


def _problem_status(observation: etree._Element, high: str | None) -> str | None:
    for node in _related(observation, t.PROBLEM_STATUS):
        code = attr(first(node, "v:value"), "code")
        if code in PROBLEM_STATUS:
            return PROBLEM_STATUS[code]
    return "resolved" if high else None


# -- allergies -----------------------------------------------------------------------------


def allergies(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    """Allergy concern act -> AllergyIntolerance per Allergy - Intolerance Observation."""
    observations = [
        node
        for node in all_of(entry, ".//v:observation")
        if t.ALLERGY_OBSERVATION in template_ids(node)
    ]
    out = []
    for number, observation in enumerate(observations):
        allergy = _base("AllergyIntolerance", observation, ctx, f"{position}.{number}")
        allergen = _code(observation, ctx, "v:participant/v:participantRole/v:playingEntity/v:code")
        kind = attr(first(observation, "v:value"), "code") or ""
        if _negated(observation) and allergen is None:
            allergen = {"coding": [dict(NO_KNOWN_ALLERGY)]}
        elif allergen is None:
            continue
        if ctx.repeated("AllergyIntolerance", id_keys(observation), _signature(observation)):
            continue
        allergy["code"] = allergen
        allergy["patient"] = ctx.patient_ref
        if ALLERGY_TYPE.get(kind):
            allergy["type"] = ALLERGY_TYPE[kind]
        if ALLERGY_CATEGORY.get(kind):
            allergy["category"] = [ALLERGY_CATEGORY[kind]]
        status = next(
            (
                ALLERGY_STATUS[c]
                for n in _related(observation, t.ALLERGY_STATUS)
                if (c := attr(first(n, "v:value"), "code")) in ALLERGY_STATUS
            ),
            "active" if _status(entry) == "active" else None,
        )
        refuted = _negated(observation) and allergen.get("coding") != [NO_KNOWN_ALLERGY]
        if status and not refuted:
            allergy["clinicalStatus"] = {"coding": [{"system": ALLERGY_CLINICAL, "code": status}]}
        if refuted:
            allergy["verificationStatus"] = {
                "coding": [{"system": ALLERGY_VERIFICATION, "code": "refuted"}]
            }
        _, low, _ = effective(observation)
        if low:
            allergy["onsetDateTime"] = low
        reactions = _reactions(observation, ctx)
        if reactions:
            allergy["reaction"] = reactions
        severity = _severity(observation)
        if severity and "reaction" in allergy:
            for reaction in allergy["reaction"]:
                reaction.setdefault("severity", severity)
        out.append(ctx.add(allergy))
    return out


def _reactions(observation: etree._Element, ctx: Context) -> list[dict[str, Any]]:
    out = []
    for node in _related(observation, t.REACTION_OBSERVATION):
        manifestation = _code(node, ctx, "v:value")
        if manifestation is None:
            continue
        reaction: dict[str, Any] = {"manifestation": [manifestation]}
        _, low, _ = effective(node)
        if low:
            reaction["onset"] = low
        severity = _severity(node)
        if severity:
            reaction["severity"] = severity
        out.append(reaction)
    return out


def _severity(element: etree._Element) -> str | None:
    for node in _related(element, t.SEVERITY_OBSERVATION):
        code = attr(first(node, "v:value"), "code")
        if code in SEVERITY:
            return SEVERITY[code]
    return None


# -- medications ---------------------------------------------------------------------------


def medications(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    """Medication Activity -> MedicationStatement (code inline as medicationCodeableConcept);
    an admission or discharge medication act maps the activities it holds."""
    if t.MEDICATION_ACTIVITY in template_ids(entry):
        activities = [entry]
    else:
        activities = [
            node
            for node in all_of(entry, "v:entryRelationship/v:substanceAdministration")
            if t.MEDICATION_ACTIVITY in template_ids(node)
        ]
    out = []
    for number, activity in enumerate(activities):
        made = _medication_statement(activity, ctx, f"{position}.{number}")
        if made is not None:
            out.append(made)
    return out


def _medication_statement(
    entry: etree._Element, ctx: Context, position: str
) -> dict[str, Any] | None:
    code = _code(entry, ctx, "v:consumable/v:manufacturedProduct/v:manufacturedMaterial/v:code")
    if code is None or ctx.repeated("MedicationStatement", id_keys(entry), _signature(entry)):
        return None
    statement = _base("MedicationStatement", entry, ctx, position)
    status = MED_STATUS.get(_status(entry), "unknown")
    if _negated(entry):
        status = "not-taken"
    statement["status"] = status
    statement["medicationCodeableConcept"] = code
    statement["subject"] = ctx.patient_ref
    point, low, high = effective(entry, "v:effectiveTime[1]")
    when = period(low, high)
    if when:
        statement["effectivePeriod"] = when
    elif point:
        statement["effectiveDateTime"] = point
    dosage: dict[str, Any] = {}
    dose = quantity(first(entry, "v:doseQuantity"))
    if dose:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    route = _code(entry, ctx, "v:routeCode")
    if route:
        dosage["route"] = route
    timing = _timing(entry)
    if timing:
        dosage["timing"] = timing
    text = _own_text(entry, ctx)
    if text:
        dosage["text"] = text
    if dosage:
        statement["dosage"] = [dosage]
    ctx.add(statement)
    orders = _supplies(entry, ctx, position, code)
    if orders:
        statement["basedOn"] = [{"reference": f"MedicationRequest/{o}"} for o in orders]
    return statement


TIME_UNITS = {"s": "s", "min": "min", "h": "h", "d": "d", "wk": "wk", "mo": "mo", "a": "a"}
EVENT_TIMES = frozenset(
    {"HS", "WAKE", "C", "CM", "CD", "CV", "AC", "ACM", "ACD", "ACV", "PC", "PCM", "PCD", "PCV"}
)


def _timing(entry: etree._Element) -> dict[str, Any] | None:
    """The frequency of a medication: ``PIVL_TS`` (every 12 h) -> ``repeat.period``,
    ``EIVL_TS`` (before meals) -> ``repeat.when``."""
    for node in all_of(entry, "v:effectiveTime"):
        kind = (node.get(XSI_TYPE) or "").split(":")[-1]
        if kind == "PIVL_TS":
            every = first(node, "v:period")
            value, unit = attr(every, "value"), TIME_UNITS.get(attr(every, "unit") or "")
            try:
                amount = float(value) if value is not None else None
            except ValueError:
                amount = None
            if amount is not None and amount > 0 and unit:
                whole = int(amount) if amount.is_integer() else amount
                return {"repeat": {"frequency": 1, "period": whole, "periodUnit": unit}}
        if kind == "EIVL_TS":
            event = attr(first(node, "v:event"), "code")
            if event in EVENT_TIMES:
                return {"repeat": {"when": [event]}}
    return None


def _supplies(
    entry: etree._Element, ctx: Context, position: str, code: dict[str, Any]
) -> list[str]:
    """Supply orders (-> MedicationRequest, intent order) and dispenses (-> MedicationDispense)
    nested in a Medication Activity; returns the MedicationRequest ids."""
    orders: list[str] = []
    material = "v:product/v:manufacturedProduct/v:manufacturedMaterial/v:code"
    for number, supply in enumerate(all_of(entry, "v:entryRelationship/v:supply")):
        roots = template_ids(supply)
        product = _code(supply, ctx, material) or code
        amount = quantity(first(supply, "v:quantity"))
        repeats = attr(first(supply, "v:repeatNumber"), "value")
        if t.MEDICATION_SUPPLY_ORDER in roots:
            order = _base("MedicationRequest", supply, ctx, f"{position}.supply{number}")
            order["status"] = SUPPLY_ORDER_STATUS.get(_status(supply), "unknown")
            order["intent"] = "order"
            order["medicationCodeableConcept"] = product
            order["subject"] = ctx.patient_ref
            authored = ts_of(first(supply, "v:author/v:time"))
            if authored:
                order["authoredOn"] = authored
            dispense: dict[str, Any] = {}
            if amount:
                dispense["quantity"] = amount
            if repeats and repeats.isdigit():
                dispense["numberOfRepeatsAllowed"] = int(repeats)
            _, low, high = effective(supply)
            if period(low, high):
                dispense["validityPeriod"] = period(low, high)
            if dispense:
                order["dispenseRequest"] = dispense
            orders.append(ctx.add(order)["id"])
        elif t.MEDICATION_DISPENSE in roots:
            handed = _base("MedicationDispense", supply, ctx, f"{position}.supply{number}")
            handed["status"] = DISPENSE_STATUS.get(_status(supply), "unknown")
            handed["medicationCodeableConcept"] = product
            handed["subject"] = ctx.patient_ref
            if amount:
                handed["quantity"] = amount
            point, low, _ = effective(supply)
            if point or low:
                handed["whenHandedOver"] = point or low
            ctx.add(handed)
    return orders


def _own_text(element: etree._Element, ctx: Context) -> str | None:
    reference = attr(first(element, "v:text/v:reference"), "value")
    if reference and reference.startswith("#"):
        return ctx.narrative.get(reference[1:])
    return None


# -- results and vital signs ---------------------------------------------------------------


def results(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    return _organizer(entry, ctx, position, "laboratory", t.RESULT_OBSERVATION, report=True)


def vital_signs(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    return _organizer(entry, ctx, position, "vital-signs", t.VITAL_SIGN_OBSERVATION, report=False)


def _organizer(
    entry: etree._Element,
    ctx: Context,
    position: str,
    category: str,
    template: str,
    *,
    report: bool,
) -> list[dict[str, Any]]:
    members = all_of(entry, "v:component/v:observation")
    if not members and entry.tag.endswith("observation"):
        members = [entry]
    out = []
    for number, observation in enumerate(members):
        made = observation_resource(observation, ctx, f"{position}.{number}", category)
        if made is not None:
            out.append(made)
    if report and out and entry.tag.endswith("organizer"):
        diagnostic = _base("DiagnosticReport", entry, ctx, position)
        diagnostic["status"] = OBSERVATION_STATUS.get(_status(entry), "final")
        diagnostic["category"] = [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}
        ]
        diagnostic["code"] = _code(entry, ctx) or {"text": "Results"}
        diagnostic["subject"] = ctx.patient_ref
        point, low, _ = effective(entry)
        if point or low:
            diagnostic["effectiveDateTime"] = point or low
        elif out[0].get("effectiveDateTime"):
            diagnostic["effectiveDateTime"] = out[0]["effectiveDateTime"]
        diagnostic["result"] = [{"reference": f"Observation/{o['id']}"} for o in out]
        out.append(ctx.add(diagnostic))
    return out


def observation_resource(
    observation: etree._Element, ctx: Context, position: str, category: str
) -> dict[str, Any] | None:
    code = _code(observation, ctx)
    if code is None or ctx.repeated("Observation", id_keys(observation), _signature(observation)):
        return None
    resource = _base("Observation", observation, ctx, position)
    resource["status"] = OBSERVATION_STATUS.get(_status(observation), "final")
    resource["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}]
    resource["code"] = code
    resource["subject"] = ctx.patient_ref
    point, low, high = effective(observation)
    if point:
        resource["effectiveDateTime"] = point
    elif low and high and low != high:
        resource["effectivePeriod"] = {"start": low, "end": high}
    elif low or high:
        resource["effectiveDateTime"] = low or high
    resource.update(value_x(first(observation, "v:value"), ctx.narrative))
    interpretation = [
        c
        for node in all_of(observation, "v:interpretationCode")
        if (c := codeable(node, ctx.narrative))
    ]
    if interpretation:
        resource["interpretation"] = interpretation
    ranges = [
        r
        for node in all_of(observation, "v:referenceRange/v:observationRange")
        if (r := _range(node))
    ]
    if ranges:
        resource["referenceRange"] = ranges
    if "value" not in "".join(resource) and not ranges:
        text = _own_text(observation, ctx)
        if text:
            resource["note"] = [{"text": text}]
    return ctx.add(resource)


def _range(node: etree._Element) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    value = first(node, "v:value")
    if value is not None:
        for key in ("low", "high"):
            q = quantity(first(value, f"v:{key}"))
            if q:
                out[key] = q
    text = text_of(first(node, "v:text")) or ""
    if text:
        out["text"] = text
    return out or None


def social_history(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    if entry.tag.endswith("observation") and template_ids(entry) & t.SOCIAL_OBSERVATIONS:
        made = observation_resource(entry, ctx, position, "social-history")
        return [made] if made else []
    return []


# -- immunizations -------------------------------------------------------------------------


def immunizations(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    if t.IMMUNIZATION_ACTIVITY not in template_ids(entry):
        return []
    material = "v:consumable/v:manufacturedProduct/v:manufacturedMaterial"
    code = _code(entry, ctx, f"{material}/v:code")
    if code is None or ctx.repeated("Immunization", id_keys(entry), _signature(entry)):
        return []
    immunization = _base("Immunization", entry, ctx, position)
    immunization["status"] = (
        "not-done"
        if _negated(entry)
        else ("entered-in-error" if _status(entry) == "nullified" else "completed")
    )
    immunization["vaccineCode"] = code
    immunization["patient"] = ctx.patient_ref
    point, low, _ = effective(entry)
    when = point or low
    if when:
        immunization["occurrenceDateTime"] = when
    else:
        immunization["occurrenceString"] = "unknown"
    lot = first(entry, f"{material}/v:lotNumberText")
    if lot is not None and lot.text and lot.text.strip():
        immunization["lotNumber"] = lot.text.strip()
    route = _code(entry, ctx, "v:routeCode")
    if route:
        immunization["route"] = route
    dose = quantity(first(entry, "v:doseQuantity"))
    if dose:
        immunization["doseQuantity"] = dose
    reason = _code(
        entry,
        ctx,
        f"v:entryRelationship/v:observation[v:templateId/@root='{t.IMMUNIZATION_REFUSAL}']/v:code",
    )
    if reason and _negated(entry):
        immunization["statusReason"] = reason
    return [ctx.add(immunization)]


# -- procedures and encounters -------------------------------------------------------------


def procedures(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    if not template_ids(entry) & t.PROCEDURE_ACTIVITIES:
        return []
    code = _code(entry, ctx)
    if code is None or ctx.repeated("Procedure", id_keys(entry), _signature(entry)):
        return []
    procedure = _base("Procedure", entry, ctx, position)
    procedure["status"] = (
        "not-done" if _negated(entry) else PROCEDURE_STATUS.get(_status(entry), "unknown")
    )
    procedure["code"] = code
    procedure["subject"] = ctx.patient_ref
    point, low, high = effective(entry)
    when = period(low, high)
    if point:
        procedure["performedDateTime"] = point
    elif when:
        procedure["performedPeriod"] = when
    sites = [
        c
        for node in all_of(entry, "v:targetSiteCode")
        if not is_null(node) and (c := codeable(node, ctx.narrative))
    ]
    if sites:
        procedure["bodySite"] = sites
    return [ctx.add(procedure)]


def encounters(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    if t.ENCOUNTER_ACTIVITY not in template_ids(entry):
        return []
    encounter = _base("Encounter", entry, ctx, position)
    encounter["status"] = ENCOUNTER_STATUS.get(_status(entry), "finished")
    code = _code(entry, ctx)
    encounter["class"] = _encounter_class(code)
    if code:
        encounter["type"] = [code]
    encounter["subject"] = ctx.patient_ref
    point, low, high = effective(entry)
    when = period(low or point, high)
    if when:
        encounter["period"] = when
    participants = encounter_participants(entry, ctx, position)
    if participants:
        encounter["participant"] = participants
    reasons = [c for node in _related(entry, t.INDICATION) if (c := _code(node, ctx, "v:value"))]
    if reasons:
        encounter["reasonCode"] = reasons
    out = [ctx.add(encounter)]
    for number, act in enumerate(_related(entry, t.ENCOUNTER_DIAGNOSIS)):
        out.extend(problems(act, ctx, f"{position}.dx{number}"))
    return out


def _encounter_class(code: dict[str, Any] | None) -> dict[str, str]:
    for c in (code or {}).get("coding", []):
        if c.get("system") == ACT_CODE:
            return {k: v for k, v in c.items() if k in ("system", "code", "display")}
    return dict(UNKNOWN_CLASS)


# -- plans and referrals -------------------------------------------------------------------

REQUEST_STATUS = {
    "active": "active",
    "completed": "completed",
    "aborted": "revoked",
    "cancelled": "revoked",
    "held": "on-hold",
    "suspended": "on-hold",
    "new": "draft",
    "nullified": "entered-in-error",
}
REQUEST_INTENT = {
    "INT": "plan",
    "RQO": "order",
    "PRP": "proposal",
    "PRMS": "plan",
    "ARQ": "plan",
    "APT": "plan",
}


def planned(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    """Plan of treatment / referral entries: planned medication -> MedicationRequest, planned
    act, procedure, observation, encounter and referral -> ServiceRequest."""
    roots = template_ids(entry)
    intent = REQUEST_INTENT.get(attr(entry, "moodCode") or "", "plan")
    status = REQUEST_STATUS.get(_status(entry), "active")
    point, low, high = effective(entry)
    if t.PLANNED_MEDICATION in roots:
        code = _code(entry, ctx, "v:consumable/v:manufacturedProduct/v:manufacturedMaterial/v:code")
        if code is None:
            return []
        request = _base("MedicationRequest", entry, ctx, position)
        request.update(
            status=status, intent=intent, medicationCodeableConcept=code, subject=ctx.patient_ref
        )
        text = _own_text(entry, ctx)
        if text:
            request["dosageInstruction"] = [{"text": text}]
        return [ctx.add(request)]
    if not roots & t.PLANNED_REQUESTS:
        return []
    code = _code(entry, ctx)
    if code is None:
        return []
    service = _base("ServiceRequest", entry, ctx, position)
    service.update(status=status, intent=intent, code=code, subject=ctx.patient_ref)
    when = period(low, high)
    if point:
        service["occurrenceDateTime"] = point
    elif when:
        service["occurrencePeriod"] = when
    priority = attr(first(entry, "v:priorityCode"), "code")
    if priority in PRIORITY:
        service["priority"] = PRIORITY[priority]
    text = _own_text(entry, ctx)
    if text:
        service["note"] = [{"text": text}]
    return [ctx.add(service)]


PRIORITY = {"R": "routine", "UR": "urgent", "EM": "stat", "S": "stat", "A": "asap", "EL": "routine"}
