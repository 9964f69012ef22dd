"""The declarative part of the HL7 v2 mapping, read from ``mappings/*.toml`` in the package.

``tables.toml`` holds vocabulary shared by every message family (code systems, identifier
types, name/address/telecom uses, HL7 tables 0001, 0004, 0078, 0085 ...); one file per
message family (``adt.toml``, ``oru.toml``, ``mdm.toml``, ``vxu.toml``, ``pharmacy.toml``,
``siu.toml``) says which message codes and trigger events it takes, what each event does
(admit, update, cancel, merge ...) and which segment mapper reads each segment. Loaded
once per ``Tables.load()`` call (the converter keeps its instance); nothing is global.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from clinvault.errors import ConfigError

FAMILY_FILES = ("adt", "oru", "mdm", "vxu", "pharmacy", "siu", "ppr")
FAMILY_KEYS = frozenset({"family", "message_codes", "events", "segments"})
OID_KINDS = frozenset({"ISO", "OID"})


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    message_codes: frozenset[str]
    events: Mapping[str, Mapping[str, Any]]
    """Trigger event -> settings (``action``, ``encounter_status``...); ``*`` is the default."""
    segments: Mapping[str, str]
    """Segment name -> mapper name (see ``segments.MAPPERS``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Family-specific tables (e.g. VXU's OBX codes that belong to the Immunization)."""

    def event(self, trigger: str) -> Mapping[str, Any] | None:
        return self.events.get(trigger) or self.events.get("*")


@dataclass(frozen=True, slots=True)
class Tables:
    vocab: Mapping[str, Mapping[str, str]]
    code_systems: Mapping[str, str]
    families: tuple[Family, ...]
    default_identifier_system: str
    authorities: Mapping[str, str] = field(default_factory=dict)
    """Assigning-authority namespace -> identifier system, from settings (overrides the default)."""

    @classmethod
    def load(cls) -> Tables:
        shared = _read("tables")
        families = []
        for name in FAMILY_FILES:
            data = _read(name)
            try:
                families.append(
                    Family(
                        name=str(data["family"]),
                        message_codes=frozenset(data["message_codes"]),
                        events=data["events"],
                        segments=data["segments"],
                        extra={k: v for k, v in data.items() if k not in FAMILY_KEYS},
                    )
                )
            except KeyError as exc:
                raise ConfigError(f"hl7v2 mapping {name}.toml lacks {exc.args[0]}") from None
        systems = {k.upper(): v for k, v in shared["code_systems"].items()}
        return cls(
            vocab=shared["vocab"],
            code_systems=systems,
            families=tuple(families),
            default_identifier_system=shared["identifier"]["default_system"],
        )

    def family_for(self, message_code: str) -> Family | None:
        for family in self.families:
            if message_code in family.message_codes:
                return family
        return None

    def lookup(self, table: str, code: str) -> str:
        return self.vocab.get(table, {}).get(code.strip(), "") if code else ""

    def code_system(self, name: str) -> str:
        """A v2 coding-system name (LN, SCT, I10, HL70005 ...) as a FHIR system URI."""
        key = name.strip().upper()
        if not key:
            return ""
        if key in self.code_systems:
            return self.code_systems[key]
        if key.startswith("HL7") and key[3:].isdigit():
            return f"http://terminology.hl7.org/CodeSystem/v2-{key[3:].zfill(4)}"
        if key.startswith(("2.16.", "1.3.", "1.2.")):
            return f"urn:oid:{name.strip()}"
        return f"{self.default_identifier_system}codesystem/{_slug(name)}"

    def identifier_system(self, namespace: str, universal: str, kind: str) -> str:
        if namespace and namespace in self.authorities:
            return self.authorities[namespace]
        if universal and kind in OID_KINDS:
            return f"urn:oid:{universal}"
        if universal and kind in ("URI", "URL"):
            return universal
        label = namespace or universal
        return f"{self.default_identifier_system}{_slug(label)}" if label else ""


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in text.strip())


def _read(name: str) -> dict[str, Any]:
    path = resources.files("clinvault.interop.hl7v2").joinpath("mappings", f"{name}.toml")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"hl7v2 mapping {name}.toml is unreadable ({type(exc).__name__})"
        ) from None
