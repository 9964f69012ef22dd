"""Clinicians and facilities: one facility with its clinicians per city, shared by the cohort.

The same clinician keeps the same id in every bundle that references them (PUT is idempotent),
as a real practice sees many patients.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from clinvault.synth.identifiers import IdentifierBook
from clinvault.synth.ids import IdFactory
from clinvault.synth.names import Sex
from clinvault.synth.person import PersonFactory, PersonName, draw_culture
from clinvault.synth.places import Address, City, draw_address

Role = Literal[
    "family", "pediatrics", "internal", "endocrinology", "cardiology", "emergency", "nurse"
]

ROLE_WORDS: dict[Role, str] = {
    "family": "family medicine",
    "pediatrics": "pediatrics",
    "internal": "internal medicine",
    "endocrinology": "endocrinology",
    "cardiology": "cardiology",
    "emergency": "emergency medicine",
    "nurse": "nursing",
}

FACILITY_PATTERNS = (
    "{place} Community Health Center",
    "St. {saint} Medical Center",
    "{place} Family Health Clinic",
    "{place} Regional Hospital",
    "{place} Medical Group",
)
PLACES = (
    "Riverside",
    "Lakeside",
    "Northgate",
    "Cedar Valley",
    "Brookfield",
    "Maple Grove",
    "Stonebridge",
    "Silver Creek",
    "Willow Bend",
    "Eastfield",
    "Pine Ridge",
    "Fairhaven",
    "Oak Hollow",
    "Bayshore",
    "Sunnyvale Heights",
    "Red Rock",
    "Clearwater",
    "Highland Park",
)
SAINTS = ("Bernadette", "Raphael", "Jude", "Agnes", "Brendan", "Clare", "Luke", "Vincent")


@dataclass(frozen=True)
class Clinician:
    id: str
    name: PersonName
    sex: Sex
    role: Role
    suffix: str
    npi: str
    phone: str

    @property
    def titled(self) -> str:
        """``Dr. Amelia Chen``; nurses are named without a title."""
        return self.name.full if self.role == "nurse" else f"Dr. {self.name.full}"

    @property
    def short(self) -> str:
        return self.name.given if self.role == "nurse" else f"Dr. {self.name.family}"


@dataclass(frozen=True)
class Facility:
    id: str
    name: str
    address: Address
    phone: str
    npi: str


@dataclass(frozen=True)
class CityStaff:
    facility: Facility
    clinicians: dict[Role, Clinician]


@dataclass
class StaffDirectory:
    """Builds each city's staff on first use, deterministically from the cohort seed."""

    seed: int
    people: PersonFactory
    identifiers: IdentifierBook
    used_facility_names: set[str] = field(default_factory=set)
    _by_city: dict[str, CityStaff] = field(default_factory=dict)

    def for_city(self, city: City) -> CityStaff:
        staff = self._by_city.get(city.key)
        if staff is None:
            staff = self._build(city)
            self._by_city[city.key] = staff
        return staff

    def _build(self, city: City) -> CityStaff:
        rng = random.Random(f"{self.seed}/staff/{city.key}")
        ids = IdFactory(self.seed, f"staff/{city.key}")
        facility = Facility(
            id=ids.new("Organization"),
            name=self._facility_name(rng, city),
            address=draw_address(rng, city),
            phone=self.identifiers.phone(rng, city),
            npi=self.identifiers.npi(rng),
        )
        clinicians: dict[Role, Clinician] = {}
        for role in ROLE_WORDS:
            sex: Sex = rng.choice(("male", "female"))
            name = self.people.unique_name(rng, draw_culture(rng), sex)
            suffix = "RN" if role == "nurse" else rng.choice(("MD", "MD", "MD", "DO"))
            clinicians[role] = Clinician(
                id=ids.new("Practitioner"),
                name=name,
                sex=sex,
                role=role,
                suffix=suffix,
                npi=self.identifiers.npi(rng),
                phone=facility.phone,
            )
        return CityStaff(facility, clinicians)

    def _facility_name(self, rng: random.Random, city: City) -> str:
        for _ in range(50):
            name = rng.choice(FACILITY_PATTERNS).format(
                place=rng.choice(PLACES), saint=rng.choice(SAINTS)
            )
            if name not in self.used_facility_names:
                self.used_facility_names.add(name)
                return name
        return f"{city.name} {rng.choice(PLACES)} Health Center"
