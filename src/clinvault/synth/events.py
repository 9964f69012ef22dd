"""The clinical story of one patient as plain events, before it becomes FHIR resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from clinvault.synth.clinical import (
    AllergenSpec,
    Code,
    MedicationSpec,
    ObservationSpec,
)
from clinvault.synth.conditions import ConditionSpec
from clinvault.synth.staff import Clinician

MedicationStatus = Literal["active", "stopped", "completed"]
Severity = Literal["mild", "moderate", "severe"]


@dataclass
class Encounter:
    id: str
    kind: str
    """Key of :data:`clinvault.synth.clinical.ENCOUNTER_TYPES`."""
    start: datetime
    end: datetime
    clinician: Clinician
    reasons: list[ConditionEvent] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass
class ConditionEvent:
    id: str
    spec: ConditionSpec
    onset: date
    abatement: date | None
    encounter: Encounter | None = None

    def active_on(self, day: date) -> bool:
        return self.onset <= day and (self.abatement is None or day < self.abatement)

    @property
    def active_now(self) -> bool:
        return self.abatement is None


@dataclass(frozen=True)
class ObservationEvent:
    id: str
    spec: ObservationSpec
    encounter: Encounter
    effective: datetime
    value: float
    components: tuple[tuple[ObservationSpec, float], ...] = ()

    @property
    def display_value(self) -> str:
        if self.components:
            return "/".join(_number(value) for _, value in self.components)
        return _number(self.value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class MedicationEvent:
    id: str
    spec: MedicationSpec
    status: MedicationStatus
    authored: datetime
    encounter: Encounter
    reason: ConditionEvent | None
    status_reason: str | None = None
    ended: date | None = None


@dataclass(frozen=True)
class AllergyEvent:
    id: str
    spec: AllergenSpec
    recorded: datetime
    encounter: Encounter
    manifestation: Code
    severity: Severity

    @property
    def criticality(self) -> Literal["low", "high"]:
        return "high" if self.spec.high_risk else "low"


@dataclass(frozen=True)
class ImmunizationEvent:
    id: str
    code: Code
    when: datetime
    encounter: Encounter


@dataclass(frozen=True)
class ProcedureEvent:
    id: str
    code: Code
    when: datetime
    encounter: Encounter
    reason: ConditionEvent | None = None


@dataclass
class ClinicalHistory:
    encounters: list[Encounter] = field(default_factory=list)
    conditions: list[ConditionEvent] = field(default_factory=list)
    observations: list[ObservationEvent] = field(default_factory=list)
    medications: list[MedicationEvent] = field(default_factory=list)
    allergies: list[AllergyEvent] = field(default_factory=list)
    immunizations: list[ImmunizationEvent] = field(default_factory=list)
    procedures: list[ProcedureEvent] = field(default_factory=list)

    def condition(self, key: str) -> ConditionEvent | None:
        return next((c for c in self.conditions if c.spec.key == key), None)

    def latest(self, key: str, before: datetime | None = None) -> ObservationEvent | None:
        matches = [
            o
            for o in self.observations
            if o.spec.key == key and (before is None or o.effective <= before)
        ]
        return max(matches, key=lambda o: o.effective, default=None)

    def observations_of(self, key: str) -> list[ObservationEvent]:
        return sorted(
            (o for o in self.observations if o.spec.key == key), key=lambda o: o.effective
        )

    def medications_on(self, day: date) -> list[MedicationEvent]:
        return [
            m
            for m in self.medications
            if m.authored.date() <= day and (m.ended is None or day < m.ended)
        ]
