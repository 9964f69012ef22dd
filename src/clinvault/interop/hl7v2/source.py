"""The HL7 v2 entry of ``clinvault.fhir.sources.FORMATS``: a file in, one Bundle per message.

``bundles(path)`` is the registry's default reader (default ``Options``). The ingest
builds a configured one with ``readers(settings, vault)``: settings decide the options,
and a ``VaultPatientResolver`` makes a patient known by MRN (PID-3 with its assigning
authority) the same vault patient as a FHIR ``Patient`` with that identifier
system/value, found through the vault's blind index (``find_patient("MRN", value)``),
never by comparing plaintext in storage. The matched Patient keeps its id; the message's
demographics replace the stored ones and its identifiers are added to the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinvault.errors import ConfigError, InputError
from clinvault.fhir.sources import NotThisFormat
from clinvault.interop.hl7v2.context import Options
from clinvault.interop.hl7v2.convert import Converter
from clinvault.interop.hl7v2.parser import looks_like_hl7

if TYPE_CHECKING:
    from clinvault.settings import Settings

SNIFF_BYTES = 64
Part = tuple[str, dict[str, Any]] | InputError


class NotHl7(NotThisFormat):
    """Raised by a reader for a file that is not HL7 v2 (skipped with a notice)."""


def options_from(settings: Settings) -> Options:
    section = settings.hl7v2
    try:
        zone = ZoneInfo(section.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("hl7v2.timezone is not a known time zone") from None
    return Options(
        zone=zone,
        allowed_facilities=frozenset(section.allowed_facilities),
        mrn_authority=section.mrn_authority,
        authority_systems=dict(section.authority_systems),
    )


class PatientDirectory(Protocol):
    """The part of ``VaultClient`` the resolver uses."""

    def find_patient(self, kind: str, value: str) -> list[str]: ...

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class VaultPatientResolver:
    vault: PatientDirectory

    def __call__(self, system: str, value: str) -> dict[str, Any] | None:
        """The stored Patient with identifier ``system|value``, when exactly one has it."""
        found = []
        for token in self.vault.find_patient("MRN", value):
            for resource in self.vault.patient_resources(token):
                if resource.get("resourceType") == "Patient" and _has_identifier(
                    resource, system, value
                ):
                    found.append(resource)
        return found[0] if len(found) == 1 else None


def _has_identifier(patient: Mapping[str, Any], system: str, value: str) -> bool:
    identifiers = patient.get("identifier")
    if not isinstance(identifiers, list):
        return False
    return any(
        isinstance(i, dict) and i.get("system") == system and i.get("value") == value
        for i in identifiers
    )


@dataclass(frozen=True, slots=True)
class Hl7FileReader:
    converter: Converter

    def __call__(self, path: Path) -> Iterator[Part]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file ({type(exc).__name__})", where=str(path)) from None
        if not looks_like_hl7(data[:SNIFF_BYTES]):
            raise NotHl7("not HL7 v2: no MSH, FHS or BHS header", where=str(path))
        result = self.converter.convert_text(data, str(path))
        for conversion in result.conversions:
            yield conversion.message.where, conversion.bundle
        yield from result.errors


def bundles(path: Path) -> Iterator[Part]:
    """Default reader of the format registry: default options, no patient matching."""
    return Hl7FileReader(Converter())(path)


def readers(settings: Settings, vault: PatientDirectory | None) -> dict[str, Hl7FileReader]:
    """Format name -> configured reader, for ``iter_sources(..., readers=...)``."""
    resolver = VaultPatientResolver(vault) if vault is not None else None
    return {"hl7v2": Hl7FileReader(Converter(options_from(settings), resolver=resolver))}
