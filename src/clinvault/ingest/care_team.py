"""Care-team relationships read from FHIR, handed to access control."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class CareTeamStore(Protocol):
    def record_care_team(self, patient_ref: str, practitioner_refs: Iterable[str]) -> int: ...


@dataclass
class CareTeamRecorder:
    """Records ``Practitioner`` links; ``PractitionerRole`` keys are already resolved by the
    linker to their practitioner where the input says so, and are otherwise skipped."""

    store: CareTeamStore

    def record_care_team(self, patient_ref: str, practitioner_refs: Iterable[str]) -> None:
        practitioners = [r for r in practitioner_refs if r.startswith("Practitioner/")]
        if practitioners:
            self.store.record_care_team(patient_ref, practitioners)
