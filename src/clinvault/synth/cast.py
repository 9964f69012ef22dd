"""The people and places a note can mention, as :class:`Phi` values ready to write.

``Cast`` hides which PHI type and ``known`` flag each mention carries, so note templates read
like notes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from clinvault.synth import dates
from clinvault.synth.events import ClinicalHistory, Encounter
from clinvault.synth.mentions import NoteBuilder, Phi
from clinvault.synth.person import Person, age_on
from clinvault.synth.staff import CityStaff, Clinician

LAB_SHORT: dict[str, str] = {
    "hba1c": "HbA1c",
    "glucose": "Glucose",
    "creatinine": "Creatinine",
    "potassium": "K",
    "sodium": "Na",
    "ldl": "LDL",
    "hemoglobin": "Hgb",
}
UNIT_TEXT: dict[str, str] = {
    "%": "%",
    "mg/dL": " mg/dL",
    "mmol/L": " mmol/L",
    "g/dL": " g/dL",
}


@dataclass
class Cast:
    person: Person
    staff: CityStaff
    rng: random.Random

    # --- the patient --------------------------------------------------------------------------

    @property
    def full_name(self) -> Phi:
        return Phi(self.person.name.full, "NAME", True)

    @property
    def given(self) -> Phi:
        return Phi(self.person.name.given, "NAME_PART", True)

    @property
    def family(self) -> Phi:
        return Phi(self.person.name.family, "NAME_PART", True)

    def called(self) -> Phi:
        """What staff call the patient: the nickname when there is one, else the first name."""
        if self.person.nickname and self.rng.random() < 0.7:
            return Phi(self.person.nickname, "NAME_PART", True)
        return self.given

    def write_title(self, note: NoteBuilder) -> None:
        """``Mr. Okafor`` for adults, the first name for children."""
        if self.person.prefix:
            note.write("{prefix} {family}", prefix=self.person.prefix, family=self.family)
        else:
            note.write("{given}", given=self.given)

    @property
    def mrn(self) -> Phi:
        return Phi(self.person.mrn, "MRN", True)

    @property
    def phone(self) -> Phi:
        return Phi(self.person.phone, "PHONE", True)

    @property
    def street(self) -> Phi:
        return Phi(self.person.address.line, "ADDRESS", True)

    @property
    def city(self) -> Phi:
        return Phi(self.person.address.city.name, "CITY", True)

    @property
    def postal_code(self) -> Phi:
        return Phi(self.person.address.postal_code, "POSTAL_CODE", True)

    def birth_date(self, fmt: Callable[[date], str] = dates.us) -> Phi:
        return Phi(fmt(self.person.birth_date), "BIRTH_DATE", True)

    def age_on(self, day: date) -> Phi | int:
        """Ages over 89 are PHI (HIPAA Safe Harbor); younger ages are not."""
        age = age_on(self.person.birth_date, day)
        return Phi(str(age), "AGE", False) if age > 89 else age

    # --- relatives, staff, other people -------------------------------------------------------

    @property
    def relative_full(self) -> Phi:
        return Phi(self.person.relative.name.full, "RELATIVE_NAME", True)

    @property
    def relative_given(self) -> Phi:
        return Phi(self.person.relative.name.given, "RELATIVE_NAME", True)

    @property
    def relative_phone(self) -> Phi:
        return Phi(self.person.relative.phone, "PHONE", True)

    @property
    def facility(self) -> Phi:
        return Phi(self.staff.facility.name, "FACILITY", True)

    def write_doctor(self, note: NoteBuilder, clinician: Clinician, *, full: bool) -> None:
        """``Dr. Amelia Chen`` / ``Dr. Chen``; a nurse is ``Jo Park, RN`` / ``Jo``."""
        if clinician.role == "nurse":
            value = clinician.name.full if full else clinician.name.given
            note.write("{n}" + (", RN" if full else ""), n=Phi(value, "PROVIDER_NAME", True))
            return
        value = clinician.name.full if full else clinician.name.family
        note.write("Dr. {n}", n=Phi(value, "PROVIDER_NAME", True))

    def date(self, day: date, fmt: Callable[[date], str] | None = None) -> Phi:
        chosen = fmt or self.rng.choice(dates.FULL_FORMATS)
        return Phi(chosen(day), "DATE", True)

    # --- clinical summaries (not PHI) ---------------------------------------------------------

    @staticmethod
    def vitals_text(history: ClinicalHistory, encounter: Encounter) -> str:
        parts = []
        for obs in history.observations:
            if obs.encounter is not encounter:
                continue
            key, value = obs.spec.key, obs.display_value
            label = {
                "bp": f"BP {value} mmHg",
                "heart_rate": f"HR {value}",
                "temperature": f"T {value} C",
                "weight": f"Wt {value} kg",
                "bmi": f"BMI {value}",
            }.get(key)
            if label:
                parts.append(label)
        return ", ".join(parts) + "." if parts else "Not obtained."

    @staticmethod
    def lab_text(key: str, value: str, unit: str) -> str:
        return f"{LAB_SHORT[key]} {value}{UNIT_TEXT.get(unit, ' ' + unit)}"
