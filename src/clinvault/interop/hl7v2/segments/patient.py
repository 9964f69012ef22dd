"""PID, PD1, NK1 and MRG: the patient, next of kin and patient merges."""

from __future__ import annotations

from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Repetition, Segment

US_SSN = "http://hl7.org/fhir/sid/us-ssn"
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
MAIDEN_URL = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
MARITAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
RELATIONSHIP_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0063"


def mrn_of(segment: Segment, ctx: Context) -> Repetition | None:
    """The PID-3 repetition that names the patient: the configured authority's, else the
    first of type MR, else the first (PID-2, the old external id, when PID-3 is empty)."""
    reps = [r for r in segment.repetitions(3) if r.get(1)]
    authority = ctx.options.mrn_authority
    if authority:
        for rep in reps:
            if authority in (rep.get(4, 1), rep.get(4, 2)):
                return rep
    for rep in reps:
        if rep.get(5).upper() == "MR":
            return rep
    if reps:
        return reps[0]
    old = [r for r in segment.repetitions(2) if r.get(1)]
    return old[0] if old else None


def patient_id(segment: Segment, ctx: Context) -> str:
    rep = mrn_of(segment, ctx)
    if rep is None:
        return ctx.positional_id("Patient", segment)
    system = dt.authority_system(rep, ctx.tables, comp=4)
    return ctx.stable_id("Patient", "mrn", system, rep.get(1))


def map_pid(ctx: Context, segment: Segment) -> None:
    tables = ctx.tables
    identifiers = [dt.identifier(rep, tables) for rep in segment.repetitions(3)]
    identifiers += [dt.identifier(rep, tables) for rep in segment.repetitions(2)]
    identifiers += [dt.identifier(rep, tables) for rep in segment.repetitions(4)]
    ssn = segment.get(19)
    if ssn:
        identifiers.append(_typed_identifier(ctx, "SS", US_SSN, ssn))
    licence = segment.first(20)
    if licence is not None and licence.get(1):
        identifiers.append(
            _typed_identifier(ctx, "DL", tables.code_system(licence.get(2)), licence.get(1))
        )
    if ctx.known_patient is not None:
        identifiers = [*ctx.known_patient.get("identifier", []), *identifiers]
    identifiers = _unique(identifiers)
    death_time = segment.get(29)
    deceased: dict[str, Any] = {}
    if death_time and ctx.datetime(death_time):
        deceased = {"deceasedDateTime": ctx.datetime(death_time)}
    elif segment.get(30).upper() == "Y":
        deceased = {"deceasedBoolean": True}
    elif segment.get(30).upper() == "N":
        deceased = {"deceasedBoolean": False}
    language = segment.first(15)
    marital = segment.get(16)
    resource = dt.pruned(
        {
            "resourceType": "Patient",
            "id": ctx.patient_ref.split("/", 1)[1] if ctx.patient_ref else patient_id(segment, ctx),
            "extension": _race_ethnicity(ctx, segment) + _maiden(segment),
            "identifier": identifiers,
            "name": [dt.human_name(rep, tables) for rep in segment.repetitions(5)]
            + [_alias(dt.human_name(rep, tables)) for rep in segment.repetitions(9)],
            "gender": tables.lookup("gender", segment.get(8).upper()),
            "birthDate": dt.Clock.date(segment.get(7)),
            "address": [dt.address(rep, tables) for rep in segment.repetitions(11)],
            "telecom": [dt.contact_point(rep, tables) for rep in segment.repetitions(13)]
            + [_work(dt.contact_point(rep, tables)) for rep in segment.repetitions(14)],
            "maritalStatus": _marital(ctx, marital),
            "communication": [{"language": dt.codeable(language, tables)}] if language else [],
            "multipleBirthInteger": dt.decimal(segment.get(25)) if segment.get(25) else None,
            **deceased,
        }
    )
    if segment.get(24).upper() == "Y" and "multipleBirthInteger" not in resource:
        resource["multipleBirthBoolean"] = True
    ctx.add(resource)


def _typed_identifier(ctx: Context, id_type: str, system: str, value: str) -> dict[str, Any]:
    display = ctx.tables.lookup("identifier_type", id_type)
    code_system = ctx.tables.code_system("HL70203")
    return dt.pruned(
        {
            "type": {"coding": [{"system": code_system, "code": id_type, "display": display}]},
            "system": system,
            "value": value,
        }
    )


def _unique(identifiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for ident in identifiers:
        key = (str(ident.get("system", "")), str(ident.get("value", "")))
        if ident.get("value") and key not in seen:
            seen.add(key)
            kept.append(ident)
    return kept


def _work(point: dict[str, Any]) -> dict[str, Any]:
    return {**point, "use": point.get("use") or "work"} if point else point


def _marital(ctx: Context, code: str) -> dict[str, Any]:
    mapped = ctx.tables.lookup("marital_status", code.upper())
    if not code:
        return {}
    if not mapped:
        return {"text": code}
    return {"coding": [{"system": MARITAL_SYSTEM, "code": mapped}]}


def _race_ethnicity(ctx: Context, segment: Segment) -> list[dict[str, Any]]:
    extensions = []
    for url, field_no in ((RACE_URL, 10), (ETHNICITY_URL, 22)):
        reps = segment.repetitions(field_no)
        if not reps:
            continue
        parts: list[dict[str, Any]] = []
        texts = []
        for rep in reps:
            code, display = rep.get(1), rep.get(2)
            texts.append(display or code)
            if code and rep.get(3):
                system = ctx.tables.code_system(rep.get(3))
                parts.append(
                    {
                        "url": "ombCategory",
                        "valueCoding": dt.pruned(
                            {"system": system, "code": code, "display": display}
                        ),
                    }
                )
        parts.append({"url": "text", "valueString": ", ".join(t for t in texts if t)})
        kept = [dt.pruned(part) for part in parts]
        kept = [part for part in kept if "valueCoding" in part or part.get("valueString")]
        if kept:
            extensions.append({"url": url, "extension": kept})
    return extensions


def _maiden(segment: Segment) -> list[dict[str, Any]]:
    rep = segment.first(6)
    if rep is None or not rep.get(1, 1):
        return []
    return [{"url": MAIDEN_URL, "valueString": rep.get(1, 1)}]


def map_pd1(ctx: Context, segment: Segment) -> None:
    """PD1-4 primary care provider -> Patient.generalPractitioner."""
    if ctx.patient_ref is None or ctx.patient_ref not in ctx.resources:
        return
    patient = ctx.resources[ctx.patient_ref]
    doctors = [ctx.practitioner(rep) for rep in segment.repetitions(4)]
    found = [d for d in doctors if d]
    if found:
        patient["generalPractitioner"] = found


def map_nk1(ctx: Context, segment: Segment) -> None:
    """NK1 -> RelatedPerson: name (2, else 30), relationship (3), address (4), phones (5, 6),
    gender (15), birth date (16)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    names = segment.repetitions(2) or segment.repetitions(30)
    relationship = segment.first(3)
    phones = [dt.contact_point(r, tables) for r in segment.repetitions(5)]
    phones += [_work(dt.contact_point(r, tables)) for r in segment.repetitions(6)]
    phones += [dt.contact_point(r, tables) for r in segment.repetitions(31)]
    key = segment.get(1) or ctx.occurrence("NK1")
    resource = dt.pruned(
        {
            "resourceType": "RelatedPerson",
            "id": ctx.stable_id("RelatedPerson", ctx.patient_ref, "nk1", key),
            "patient": {"reference": ctx.patient_ref},
            "relationship": [_relationship(ctx, relationship)] if relationship else [],
            "name": [dt.human_name(r, tables) for r in names],
            "telecom": phones,
            "address": [dt.address(r, tables) for r in segment.repetitions(4)]
            + [dt.address(r, tables) for r in segment.repetitions(32)],
            "gender": tables.lookup("gender", segment.get(15).upper()),
            "birthDate": dt.Clock.date(segment.get(16)),
            "period": {
                "start": ctx.clock.date(segment.get(8)),
                "end": ctx.clock.date(segment.get(9)),
            },
        }
    )
    ctx.add(resource)


def _relationship(ctx: Context, rep: Repetition) -> dict[str, Any]:
    concept = dt.codeable(rep, ctx.tables)
    if rep.get(1) and not rep.get(3) and concept.get("coding"):
        concept["coding"][0]["system"] = RELATIONSHIP_SYSTEM
    return concept


def map_mrg(ctx: Context, segment: Segment) -> None:
    """MRG (A40/A34): the merged patient (MRG-1) is replaced by PID's patient; both link."""
    if ctx.patient_ref is None or ctx.patient_ref not in ctx.resources:
        return
    reps = [r for r in segment.repetitions(1) if r.get(1)]
    if not reps:
        return
    tables = ctx.tables
    chosen = next((r for r in reps if r.get(5).upper() == "MR"), reps[0])
    system = dt.authority_system(chosen, tables, comp=4)
    merged_id = ctx.stable_id("Patient", "mrn", system, chosen.get(1))
    surviving = ctx.resources[ctx.patient_ref]
    if merged_id == surviving["id"]:
        return
    links = surviving.setdefault("link", [])
    links.append({"other": {"reference": f"Patient/{merged_id}"}, "type": "replaces"})
    merged = dt.pruned(
        {
            "resourceType": "Patient",
            "id": merged_id,
            "active": False,
            "identifier": _unique([dt.identifier(r, tables) for r in reps]),
            "link": [{"other": {"reference": ctx.patient_ref}, "type": "replaced-by"}],
        }
    )
    ctx.add(merged)


def _alias(name: dict[str, Any]) -> dict[str, Any]:
    """PID-9 patient alias: a name the patient is also known by."""
    return {**name, "use": name.get("use") or "usual"} if name else name


INSURED_IDENTIFIERS = ((6, "MC"), (8, "MA"), (10, "MI"), (61, "MB"))
"""IN2 fields that identify the patient: Medicare (6), Medicaid (8), military (10), member (61)."""


def map_in2(ctx: Context, segment: Segment) -> None:
    """IN2: the patient's Medicare, Medicaid, military and member numbers -> identifiers."""
    patient = ctx.resources.get(ctx.patient_ref or "")
    if patient is None:
        return
    found = []
    for field_no, id_type in INSURED_IDENTIFIERS:
        rep = segment.first(field_no)
        if rep is not None and rep.get(1):
            system = dt.authority_system(rep, ctx.tables, comp=4) if field_no == 61 else ""
            found.append(_typed_identifier(ctx, id_type, system, rep.get(1)))
    if found:
        patient["identifier"] = _unique([*patient.get("identifier", []), *found])


def map_gt1(ctx: Context, segment: Segment) -> None:
    """GT1 when the guarantor is the patient (GT1-11 ``SEL``, as the v2-to-FHIR IG maps
    GT1 to Patient): the guarantor number (GT1-2), SSN (GT1-12) and employee id (GT1-19)
    are the patient's identifiers. Another guarantor is a financial party: not mapped."""
    patient = ctx.resources.get(ctx.patient_ref or "")
    if patient is None or segment.get(11, 1).upper() != "SEL":
        return
    found = [dt.identifier(rep, ctx.tables) for rep in segment.repetitions(2) if rep.get(1)]
    if segment.get(12):
        found.append(_typed_identifier(ctx, "SS", US_SSN, segment.get(12)))
    found += [dt.identifier(rep, ctx.tables) for rep in segment.repetitions(19) if rep.get(1)]
    if found:
        patient["identifier"] = _unique([*patient.get("identifier", []), *found])


def map_db1(ctx: Context, segment: Segment) -> None:
    """DB1-3 disabled person identifier, when DB1-2 says the person is the patient (PT)."""
    patient = ctx.resources.get(ctx.patient_ref or "")
    rep = segment.first(3)
    if patient is None or rep is None or not rep.get(1) or segment.get(2).upper() != "PT":
        return
    patient["identifier"] = _unique(
        [*patient.get("identifier", []), dt.identifier(rep, ctx.tables)]
    )
