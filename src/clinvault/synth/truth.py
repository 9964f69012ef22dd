"""Ground truth for one patient: where each PHI value sits, and the facts a good answer states.

``phi`` entries: ``value``, ``type``, ``known_to_record`` (the value is a field of a resource in
the bundle: Patient name, identifiers, telecom, address, birth date, contact, or a Practitioner /
Organization; ``false`` means free text only, such as a neighbour's name or a shorthand date),
``where`` (``Patient.<element>``, ``Practitioner/<id>``, ``Organization/<id>`` or
``DocumentReference/<id>``) and ``spans`` (character offsets in the decoded note text).
``non_phi`` lists clinical eponyms written in notes: they look like names and are not PHI.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from clinvault.synth.events import ClinicalHistory
from clinvault.synth.mentions import Eponym, Phi, PhiType
from clinvault.synth.notes import Note
from clinvault.synth.person import Person
from clinvault.synth.staff import Clinician, Facility

Json = dict[str, Any]


@dataclass
class _Entry:
    value: str
    type: str
    known: bool
    where: list[str] = field(default_factory=list)
    spans: list[Json] = field(default_factory=list)

    def as_json(self, *, phi: bool) -> Json:
        result: Json = {"value": self.value}
        if phi:
            result["type"] = self.type
            result["known_to_record"] = self.known
        else:
            result["kind"] = self.type
        result["where"] = self.where
        result["spans"] = self.spans
        return result


@dataclass
class PhiLedger:
    """Collects PHI (and eponym) mentions, merged by (value, type)."""

    _phi: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    _eponyms: dict[str, _Entry] = field(default_factory=dict)

    def structured(self, value: str | None, phi_type: PhiType, where: str) -> None:
        if value:
            self._add(Phi(value, phi_type, True), where)

    def _add(self, phi: Phi, where: str, span: tuple[int, int] | None = None) -> None:
        entry = self._phi.setdefault((phi.value, phi.type), _Entry(phi.value, phi.type, False))
        entry.known = entry.known or phi.known
        self._locate(entry, where, span)

    @staticmethod
    def _locate(entry: _Entry, where: str, span: tuple[int, int] | None) -> None:
        if where not in entry.where:
            entry.where.append(where)
        if span is not None:
            entry.spans.append({"where": where, "start": span[0], "end": span[1]})

    def note(self, note: Note) -> None:
        where = f"DocumentReference/{note.id}"
        for span in note.spans:
            item = span.item
            if isinstance(item, Eponym):
                entry = self._eponyms.setdefault(item.value, _Entry(item.value, "EPONYM", False))
                self._locate(entry, where, (span.start, span.end))
            else:
                self._add(item, where, (span.start, span.end))

    def phi(self) -> list[Json]:
        return [entry.as_json(phi=True) for entry in self._phi.values()]

    def non_phi(self) -> list[Json]:
        return [entry.as_json(phi=False) for entry in self._eponyms.values()]


def record_structured(
    ledger: PhiLedger, person: Person, clinicians: list[Clinician], facility: Facility
) -> None:
    name, relative = person.name, person.relative
    ledger.structured(name.full, "NAME", "Patient.name")
    for part in (name.given, name.middle, name.family, person.nickname, person.maiden_name):
        ledger.structured(part, "NAME_PART", "Patient.name")
    ledger.structured(person.mrn, "MRN", "Patient.identifier")
    ledger.structured(person.ssn, "SSN", "Patient.identifier")
    ledger.structured(person.phone, "PHONE", "Patient.telecom")
    ledger.structured(person.email, "EMAIL", "Patient.telecom")
    ledger.structured(person.address.line, "ADDRESS", "Patient.address")
    ledger.structured(person.address.city.name, "CITY", "Patient.address")
    ledger.structured(person.address.postal_code, "POSTAL_CODE", "Patient.address")
    ledger.structured(person.birth_date.isoformat(), "BIRTH_DATE", "Patient.birthDate")
    ledger.structured(relative.name.full, "RELATIVE_NAME", "Patient.contact")
    ledger.structured(relative.name.given, "RELATIVE_NAME", "Patient.contact")
    ledger.structured(relative.phone, "PHONE", "Patient.contact")
    for clinician in clinicians:
        where = f"Practitioner/{clinician.id}"
        ledger.structured(clinician.name.full, "PROVIDER_NAME", where)
        ledger.structured(clinician.name.family, "PROVIDER_NAME", where)
        ledger.structured(clinician.name.given, "PROVIDER_NAME", where)
    ledger.structured(facility.name, "FACILITY", f"Organization/{facility.id}")


def demographics(person: Person) -> Json:
    return {
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "age": person.age,
        "race": person.race_text,
        "ethnicity": person.ethnicity.display,
        "language": person.language.display,
        "culture": person.culture.key,
        "city": person.address.city.name,
        "state": person.address.city.state,
    }


def _latest_observations(history: ClinicalHistory) -> Json:
    counts = Counter(o.spec.code.code for o in history.observations)
    latest: Json = {}
    for obs in sorted(history.observations, key=lambda o: o.effective):
        entry: Json = {
            "display": obs.spec.code.display,
            "value": obs.display_value if obs.components else obs.value,
            "unit": obs.spec.unit,
            "date": obs.effective.date().isoformat(),
            "datetime": obs.effective.isoformat(timespec="seconds"),
            "resource_id": f"Observation/{obs.id}",
            "count": counts[obs.spec.code.code],
            "category": obs.spec.category,
        }
        if obs.components:
            entry["components"] = {part.code.code: value for part, value in obs.components}
        latest[obs.spec.code.code] = entry
    return dict(sorted(latest.items()))


def facts(history: ClinicalHistory, notes: list[Note]) -> Json:
    meds = history.medications
    return {
        "latest_labs": _latest_observations(history),
        "allergies": [
            {
                "substance": a.spec.code.display,
                "code": a.spec.code.code,
                "category": a.spec.category,
                "criticality": a.criticality,
                "reaction": a.manifestation.display,
                "resource_id": f"AllergyIntolerance/{a.id}",
            }
            for a in history.allergies
        ],
        "active_conditions": [
            {
                "display": c.spec.code.display,
                "code": c.spec.code.code,
                "onset": c.onset.isoformat(),
                "resource_id": f"Condition/{c.id}",
            }
            for c in history.conditions
            if c.abatement is None
        ],
        "resolved_conditions": [
            {
                "display": c.spec.code.display,
                "code": c.spec.code.code,
                "onset": c.onset.isoformat(),
                "abatement": c.abatement.isoformat(),
                "resource_id": f"Condition/{c.id}",
            }
            for c in history.conditions
            if c.abatement is not None
        ],
        "current_medications": [
            {
                "display": m.spec.code.display,
                "code": m.spec.code.code,
                "authored": m.authored.date().isoformat(),
                "dosage": m.spec.dosage,
                "resource_id": f"MedicationRequest/{m.id}",
            }
            for m in meds
            if m.status == "active"
        ],
        "stopped_medications": [
            {
                "display": m.spec.code.display,
                "code": m.spec.code.code,
                "status": m.status,
                "authored": m.authored.date().isoformat(),
                "reason": m.status_reason,
                "resource_id": f"MedicationRequest/{m.id}",
            }
            for m in meds
            if m.status != "active"
        ],
        "immunizations": [
            {
                "display": i.code.display,
                "code": i.code.code,
                "date": i.when.date().isoformat(),
                "resource_id": f"Immunization/{i.id}",
            }
            for i in history.immunizations
        ],
        "procedures": [
            {
                "display": p.code.display,
                "code": p.code.code,
                "date": p.when.date().isoformat(),
                "resource_id": f"Procedure/{p.id}",
            }
            for p in history.procedures
        ],
        "note_facts": [
            {
                "question": f.question,
                "answer": f.answer,
                "sentence": f.sentence,
                "resource_id": f"DocumentReference/{note.id}",
            }
            for note in notes
            for f in note.facts
        ],
    }
