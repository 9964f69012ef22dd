"""Structure check of a message against its HL7 version (2.3-2.8) with hl7apy.

The converter reads messages with our tolerant splitter (see ``parser``); this check says
where a message departs from the standard structure of its version and trigger event:
unknown or misplaced segments, missing required segments or fields, too many repetitions.
It never blocks a conversion; the findings are warnings for the operator. Findings name
elements (``EVN``, ``PID.PID_3``), never values: a value-level finding of hl7apy is
reported by its kind only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hl7apy.consts import VALIDATION_LEVEL  # type: ignore[import-untyped]
from hl7apy.exceptions import HL7apyException  # type: ignore[import-untyped]
from hl7apy.parser import parse_message as hl7apy_parse  # type: ignore[import-untyped]
from hl7apy.validation import Validator  # type: ignore[import-untyped]

from clinvault.interop.hl7v2.message import Message

SUPPORTED_VERSIONS = (
    "2.3",
    "2.3.1",
    "2.4",
    "2.5",
    "2.5.1",
    "2.6",
    "2.7",
    "2.7.1",
    "2.8",
    "2.8.1",
    "2.8.2",
)
NAMED_FINDINGS = (
    re.compile(r"^(Missing required child|Child limit exceeded) [A-Za-z0-9_.]+$"),
    re.compile(r"^Invalid children detected for <[A-Za-z]+ [A-Za-z0-9_]+>"),
    re.compile(r"^Invalid name for [A-Za-z]+: [A-Z][A-Z0-9]{2}$"),
)


@dataclass(frozen=True, slots=True)
class StructureReport:
    version: str
    checked: bool
    """False when hl7apy has no definition for the version (outside 2.3-2.8)."""
    findings: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.checked and not self.findings


def check_structure(message: Message) -> StructureReport:
    version = message.version
    if version not in SUPPORTED_VERSIONS:
        return StructureReport(version, False, ())
    text = "\r".join(message.encoding.field.join(s.fields) for s in message.segments)
    try:
        parsed = hl7apy_parse(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=True)
        Validator.validate(parsed)
    except HL7apyException as exc:
        return StructureReport(version, True, (_named(exc),))
    return StructureReport(version, True, ())


def _named(exc: Exception) -> str:
    if str(exc).startswith("Unknown element found"):
        return "a segment outside the structure of its message type (Z-segment or misplaced)"
    text = str(exc).split("\n")[0].split(": [")[0] if "Invalid children" in str(exc) else str(exc)
    if any(p.match(text) for p in NAMED_FINDINGS):
        return text
    return f"{type(exc).__name__} (a value does not fit its data type or table)"
