"""The C-CDA entry of ``clinvault.fhir.sources.FORMATS``: a file in, its Bundle out.

``bundles(path)`` yields the one ``(where, Bundle)`` pair of a document (``readers`` gives the
ingest one that matches known patients by medical record number); it raises
``NotClinicalDocument`` (a ``NotThisFormat``: skipped with a notice) for XML that is not a
C-CDA document and ``InputError`` for refused or unreadable XML (DTD, entities, malformed).
Resources that fail R4B validation stay in the Bundle: the ingest validates every resource
and quarantines those, like any FHIR input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from clinvault.errors import InputError
from clinvault.interop.ccda.document import PatientResolver, convert_file

if TYPE_CHECKING:
    from clinvault.settings import Settings

Part = tuple[str, dict[str, Any]] | InputError


class PatientDirectory(Protocol):
    """The part of the vault client the resolver uses."""

    def find_patient(self, kind: str, value: str) -> list[str]: ...

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class VaultMrnResolver:
    """The stored Patient with identifier ``system|value`` when exactly one has it: found
    through the vault's blind index of MRNs (never by comparing plaintext in storage), then
    checked on the decrypted Patient's identifiers."""

    vault: PatientDirectory

    def __call__(self, system: str, value: str) -> dict[str, Any] | None:
        found = [
            resource
            for token in self.vault.find_patient("MRN", value)
            for resource in self.vault.patient_resources(token)
            if resource.get("resourceType") == "Patient" and _has(resource, system, value)
        ]
        return found[0] if len(found) == 1 else None


def _has(patient: Mapping[str, Any], system: str, value: str) -> bool:
    identifiers = patient.get("identifier")
    return isinstance(identifiers, list) and any(
        isinstance(i, dict) and i.get("system") == system and i.get("value") == value
        for i in identifiers
    )


@dataclass(frozen=True, slots=True)
class CcdaFileReader:
    resolver: PatientResolver | None = None

    def __call__(self, path: Path) -> Iterator[Part]:
        yield str(path), convert_file(path, resolver=self.resolver).bundle


def bundles(path: Path) -> Iterator[Part]:
    """Default reader of the format registry: no patient matching."""
    return CcdaFileReader()(path)


def readers(settings: Settings, vault: PatientDirectory | None) -> dict[str, CcdaFileReader]:
    """Format name -> reader for the ingest: with a vault, a patient known by a medical
    record number (a FHIR ``Patient.identifier`` of type MR, an HL7 PID-3) is matched
    through the vault's blind index."""
    del settings  # nothing configurable yet; the signature is the registry's
    return {"ccda": CcdaFileReader(VaultMrnResolver(vault) if vault is not None else None)}
