"""Patient identity within one ingest run: legacy inputs meet the run's own FHIR Patients.

The HL7 v2 and C-CDA readers match a patient known by MRN (system/value) through a
``PatientDirectory`` (``find_patient("MRN", value)`` then ``patient_resources``). Against
the vault alone, a FHIR ``Patient`` ingested in the *same* run is not stored yet, so an
HL7 message and a FHIR Patient with the same MRN became two patients. ``RunPatients``
answers the same two calls from the vault *and* from the FHIR Patients read so far in this
run, and :class:`DeferredReader` holds the legacy files back until every native FHIR file
of the run has been read, so the match does not depend on the order of the inputs.

A run's Patient supersedes the stored one with the same id (it is the newer version), so a
patient is never counted twice; the readers still require exactly one match. Nothing here
is stored: it lives for one run and holds only what the run read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from clinvault.fhir.sources import Reader, SourceItem, iter_sources

RUN_KEY = "run:"
"""Prefix of the keys ``find_patient`` hands out for the run's Patients (never a vault
token, which starts ``PT-``)."""


class PatientDirectory(Protocol):
    """The part of ``VaultClient`` the legacy readers' resolvers use."""

    def find_patient(self, kind: str, value: str) -> list[str]: ...

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]: ...

    def patient_token(self, source_ref: str) -> str: ...


@dataclass
class RunPatients:
    """The vault's patient directory plus the FHIR Patients of the current run."""

    vault: PatientDirectory
    _patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    _shadowed: dict[str, str] = field(default_factory=dict)
    """Run Patient id -> its vault token (computed once, on the first look-up)."""

    def add(self, resource: Mapping[str, Any]) -> None:
        """Remember a validated FHIR Patient read in this run."""
        pid = resource.get("id")
        if resource.get("resourceType") == "Patient" and isinstance(pid, str) and pid:
            self._patients[pid] = dict(resource)

    def find_patient(self, kind: str, value: str) -> list[str]:
        found = []
        if kind == "MRN":
            found = [RUN_KEY + pid for pid, p in self._patients.items() if _has_value(p, value)]
        for pid in self._patients.keys() - self._shadowed.keys():
            self._shadowed[pid] = self.vault.patient_token(f"Patient/{pid}")
        shadowed = set(self._shadowed.values())
        stored = [t for t in self.vault.find_patient(kind, value) if t not in shadowed]
        return stored + found

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]:
        if patient_token.startswith(RUN_KEY):
            patient = self._patients.get(patient_token[len(RUN_KEY) :])
            return [] if patient is None else [patient]
        return self.vault.patient_resources(patient_token)


def _has_value(patient: Mapping[str, Any], value: str) -> bool:
    identifiers = patient.get("identifier")
    return isinstance(identifiers, list) and any(
        isinstance(i, dict) and i.get("value") == value for i in identifiers
    )


@dataclass
class DeferredReader:
    """Stands in for a legacy format's reader during the first pass: remembers the file,
    reads nothing (the file is read by :func:`read_deferred` once the FHIR files are in)."""

    files: list[Path]

    def __call__(self, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
        self.files.append(path)
        return iter(())


def read_in_two_passes(
    paths: list[Path], readers: Mapping[str, Reader]
) -> Iterator[tuple[SourceItem, bool]]:
    """Every item of ``paths`` with whether it came from a legacy file: native FHIR files
    first, then the files ``readers`` convert (in their original order), read with them."""
    deferred: list[Path] = []
    stand_in = DeferredReader(deferred)
    for item in iter_sources(paths, readers={name: stand_in for name in readers}):
        yield item, False
    if deferred:
        for item in iter_sources(deferred, readers=readers):
            yield item, True
