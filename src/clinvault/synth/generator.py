"""The cohort generator: one transaction Bundle and one truth record per patient.

Deterministic: everything is drawn from ``random.Random`` seeded by (seed, patient index) and
ids are uuid5, so the same config yields byte-identical output. Ages cycle through bands in
shuffled blocks of ten, so every ten patients include an infant, a child and someone over 89.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clinvault.synth import resources as fhir
from clinvault.synth.bundle import transaction_bundle
from clinvault.synth.history import HistoryBuilder
from clinvault.synth.identifiers import IdentifierBook
from clinvault.synth.ids import IdFactory
from clinvault.synth.names import NameBook
from clinvault.synth.note_facts import draw_note_facts
from clinvault.synth.notes import NoteWriter
from clinvault.synth.person import PersonFactory
from clinvault.synth.staff import ROLE_WORDS, Clinician, StaffDirectory
from clinvault.synth.truth import PhiLedger, demographics, facts, record_structured

Json = dict[str, Any]
DEFAULT_TODAY = date(2026, 6, 30)
YEAR = 365.25


@dataclass(frozen=True)
class SynthConfig:
    patients: int
    seed: int
    today: date = DEFAULT_TODAY

    def __post_init__(self) -> None:
        if self.patients < 1:
            raise ValueError("patients must be at least 1")


@dataclass(frozen=True)
class AgeBand:
    name: str
    min_days: int
    max_days: int
    forced_conditions: frozenset[str] = frozenset()


def _years(value: float) -> int:
    return int(value * YEAR)


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("infant", 10, 330),
    AgeBand("child", _years(2), _years(12.9)),
    AgeBand("teen", _years(13), _years(17.9)),
    AgeBand("young_adult", _years(18), _years(39.9)),
    AgeBand("adult", _years(40), _years(64.9)),
    AgeBand("adult_diabetic", _years(45), _years(79.9), frozenset({"diabetes"})),
    AgeBand("midlife", _years(30), _years(64.9)),
    AgeBand("older", _years(65), _years(79.9)),
    AgeBand("old", _years(80), _years(89.9)),
    AgeBand("oldest", _years(90) + 2, _years(103)),
)


@dataclass(frozen=True)
class SyntheticPatient:
    patient_id: str
    file_name: str
    bundle: Json
    truth: Json

    def bundle_text(self) -> str:
        """The bundle file's exact content: one entry per line (grep-friendly, and the C JSON
        encoder is several times faster than an indented dump)."""
        head = {key: value for key, value in self.bundle.items() if key != "entry"}
        entries = ",\n".join(json.dumps(e, ensure_ascii=False) for e in self.bundle["entry"])
        return json.dumps(head, ensure_ascii=False)[:-1] + ', "entry": [\n' + entries + "\n]}\n"

    def truth_line(self) -> str:
        return json.dumps(self.truth, ensure_ascii=False) + "\n"


@dataclass
class CohortGenerator:
    config: SynthConfig
    names: NameBook = field(default_factory=NameBook)
    identifiers: IdentifierBook = field(default_factory=IdentifierBook)

    def __post_init__(self) -> None:
        self.people = PersonFactory(self.names, self.identifiers, self.config.today)
        self.staff = StaffDirectory(self.config.seed, self.people, self.identifiers)

    def __iter__(self) -> Iterator[SyntheticPatient]:
        for index in range(self.config.patients):
            yield self.patient(index)

    def band(self, index: int) -> AgeBand:
        block, position = divmod(index, len(AGE_BANDS))
        order = list(AGE_BANDS)
        random.Random(f"{self.config.seed}/bands/{block}").shuffle(order)
        return order[position]

    def patient(self, index: int) -> SyntheticPatient:
        seed = self.config.seed
        rng = random.Random(f"{seed}/patient/{index}")
        ids = IdFactory(seed, f"patient/{index}")
        band = self.band(index)
        person = self.people.draw(
            rng,
            rng.randint(band.min_days, band.max_days),
            word_named_relative=rng.random() < 0.3,
        )
        staff = self.staff.for_city(person.city)
        history = HistoryBuilder(person, staff, rng, ids, band.forced_conditions).build()
        first_visit = next(e for e in history.encounters if e.kind != "telephone")
        note_facts = draw_note_facts(rng, person, first_visit.day)
        notes = NoteWriter(person, history, staff, rng, ids, self.people, note_facts).write_all()
        patient_id = ids.named("Patient")
        gp = staff.clinicians["pediatrics" if person.age < 18 else "family"]
        used = {gp.id: gp}
        used.update({e.clinician.id: e.clinician for e in history.encounters})
        used.update({n.author.id: n.author for n in notes})
        role_order = list(ROLE_WORDS)
        clinicians: list[Clinician] = sorted(used.values(), key=lambda c: role_order.index(c.role))
        facility = staff.facility
        resources: list[Json] = [
            fhir.patient(person, patient_id, gp, facility),
            fhir.organization(facility),
            *(fhir.practitioner(c) for c in clinicians),
            *(fhir.encounter(e, patient_id, facility) for e in history.encounters),
            *(fhir.condition(c, patient_id) for c in history.conditions),
            *(fhir.observation(o, patient_id) for o in history.observations),
            *(fhir.medication_request(m, patient_id) for m in history.medications),
            *(fhir.allergy(a, patient_id) for a in history.allergies),
            *(fhir.immunization(i, patient_id) for i in history.immunizations),
            *(fhir.procedure(p, patient_id) for p in history.procedures),
            *(fhir.document_reference(n, patient_id, facility) for n in notes),
        ]
        ledger = PhiLedger()
        record_structured(ledger, person, clinicians, facility)
        for note in notes:
            ledger.note(note)
        file_name = f"{patient_id}.json"
        truth: Json = {
            "patient_id": patient_id,
            "file": file_name,
            "age_band": band.name,
            "demographics": demographics(person),
            "phi": ledger.phi(),
            "non_phi": ledger.non_phi(),
            "facts": facts(history, notes),
        }
        bundle = transaction_bundle(ids.named("Bundle"), resources)
        return SyntheticPatient(patient_id, file_name, bundle, truth)


def generate_cohort(config: SynthConfig) -> Iterator[SyntheticPatient]:
    """Yield the cohort's patients in order (one shared generator keeps names unique)."""
    return iter(CohortGenerator(config))
