"""HL7 v2 data types to FHIR R4 data types: TS/DTM, CX, XPN, XAD, XTN, CE/CWE, XCN, NM, SN.

Code systems and vocabulary maps come from ``mappings/tables.toml`` (``Tables``); nothing
here holds patient data beyond the call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from clinvault.interop.hl7v2.message import Repetition
from clinvault.interop.hl7v2.tables import Tables

TIMESTAMP = re.compile(
    r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?\s*([+-]\d{4})?$"
)
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Clock:
    """How timestamps without an offset are read: wall time in ``zone``."""

    zone: ZoneInfo

    def datetime(self, value: str) -> str | None:
        """FHIR ``dateTime`` at the precision given (year, month, day, or time with offset)."""
        match = TIMESTAMP.match(value.strip())
        if not match:
            return None
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            if hour is None:
                parts = [year, month, day]
                text = "-".join(p for p in parts if p)
                datetime.strptime(text, {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}[len(text)])
                return text
            local = datetime(
                int(year),
                int(month or 1),
                int(day or 1),
                int(hour),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")[:6]),
            )
        except (ValueError, KeyError):
            return None
        if offset:
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[3:5])
            if hours > 14 or minutes > 59:
                return None
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
            if fraction:
                stamp += "." + fraction
            return stamp + f"{'+' if sign > 0 else '-'}{hours:02d}:{minutes:02d}"
        aware = local.replace(tzinfo=self.zone)
        return aware.isoformat(timespec="milliseconds" if fraction else "seconds")

    @staticmethod
    def date(value: str) -> str | None:
        """FHIR ``date`` (birth dates): the day, month or year given, never a time."""
        match = TIMESTAMP.match(value.strip())
        if not match:
            return None
        year, month, day = match.group(1), match.group(2), match.group(3)
        text = "-".join(p for p in (year, month, day if month else None) if p)
        try:
            datetime.strptime(text, {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}[len(text)])
        except (ValueError, KeyError):
            return None
        return text


def prune(value: Any) -> Any:
    """Drop empty strings, lists and dicts (FHIR forbids empty elements)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in ("", None, [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def pruned(value: JsonDict) -> JsonDict:
    """``prune`` for an object: the result is an object (possibly empty)."""
    result = prune(value)
    return result if isinstance(result, dict) else {}


def decimal(value: str) -> float | int | None:
    text = value.strip()
    if not NUMBER.match(text):
        return None
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def coding(code: str, display: str, system_name: str, tables: Tables) -> JsonDict:
    return pruned({"system": tables.code_system(system_name), "code": code, "display": display})


def codeable(rep: Repetition | None, tables: Tables, *, cwe: bool = True) -> JsonDict:
    """CE/CWE/CNE: primary and alternate codings; CWE-9 original text, else the display."""
    if rep is None:
        return {}
    only = rep.get(1)
    if only and " " in only.strip() and not any(rep.get(c) for c in range(2, 10)):
        return {"text": only.strip()}  # free text written where the code goes
    codings = []
    for offset in (0, 3):
        code, display = rep.get(1 + offset), rep.get(2 + offset)
        if code:
            codings.append(coding(code, display, rep.get(3 + offset), tables))
    text = rep.get(9) if cwe else ""
    if not text and not codings:
        text = rep.get(2)
    return pruned({"coding": codings, "text": text})


def identifier(rep: Repetition, tables: Tables) -> JsonDict:
    """CX: ID-1 value, CX-4 assigning authority (HD) -> system, CX-5 type (table 0203)."""
    id_type = rep.get(5)
    return pruned(
        {
            "use": "usual" if id_type == "MR" else "",
            "type": _type_of(id_type, tables),
            "system": authority_system(rep, tables, comp=4),
            "value": rep.get(1),
        }
    )


def _type_of(id_type: str, tables: Tables) -> JsonDict:
    if not id_type:
        return {}
    display = tables.lookup("identifier_type", id_type)
    return {
        "coding": [
            prune({"system": tables.code_system("HL70203"), "code": id_type, "display": display})
        ]
    }


def authority_system(rep: Repetition, tables: Tables, *, comp: int) -> str:
    """HD: namespace id (sub 1), universal id (sub 2), its type (sub 3) -> identifier system."""
    namespace, universal, kind = rep.get(comp, 1), rep.get(comp, 2), rep.get(comp, 3).upper()
    return tables.identifier_system(namespace, universal, kind)


def human_name(rep: Repetition, tables: Tables) -> JsonDict:
    """XPN: family (1.1), given (2), middle (3), suffix (4), prefix (5), degree (6), type (7)."""
    use = tables.lookup("name_use", rep.get(7))
    return pruned(
        {
            "use": use,
            "family": rep.get(1, 1),
            "given": [rep.get(2), rep.get(3)],
            "prefix": [rep.get(5)],
            "suffix": [rep.get(4), rep.get(6)],
        }
    )


def xcn_name(rep: Repetition) -> JsonDict:
    """XCN: id (1), family (2.1), given (3), middle (4), suffix (5), prefix (6), degree (7)."""
    return pruned(
        {
            "family": rep.get(2, 1),
            "given": [rep.get(3), rep.get(4)],
            "prefix": [rep.get(6)],
            "suffix": [rep.get(5), rep.get(7)],
        }
    )


def address(rep: Repetition, tables: Tables) -> JsonDict:
    """XAD: street (1, SAD subcomponents joined), other (2), city (3), state (4), zip (5),
    country (6), type (7), county (9)."""
    kind = rep.get(7)
    return pruned(
        {
            "use": tables.lookup("address_use", kind),
            "type": tables.lookup("address_type", kind),
            "line": [rep.component(1), rep.get(2)],
            "city": rep.get(3),
            "state": rep.get(4),
            "postalCode": rep.get(5),
            "country": rep.get(6),
            "district": rep.get(9),
        }
    )


def contact_point(rep: Repetition, tables: Tables) -> JsonDict:
    """XTN: old-style number (1), use (2, table 0201), equipment (3, table 0202), email (4),
    country (5), area (6), local number (7), extension (8)."""
    equipment = rep.get(3)
    system = tables.lookup("telecom_system", equipment) or "phone"
    if system == "email":
        value = rep.get(4) or rep.get(1)
    else:
        parts = [rep.get(5), rep.get(6), rep.get(7)]
        built = " ".join(p for p in parts if p)
        value = rep.get(1) or built
        if rep.get(8):
            value = f"{value} ext. {rep.get(8)}" if value else ""
    return pruned(
        {
            "system": system,
            "value": value,
            "use": tables.lookup("telecom_use", rep.get(2))
            or ("mobile" if equipment == "CP" else ""),
        }
    )


def quantity(value: float | int | None, unit_rep: Repetition | None, tables: Tables) -> JsonDict:
    if value is None:
        return {}
    unit_code = unit_rep.get(1) if unit_rep else ""
    unit_system = unit_rep.get(3) if unit_rep else ""
    return pruned(
        {
            "value": value,
            "unit": (unit_rep.get(2) or unit_code) if unit_rep else "",
            "system": tables.code_system(unit_system) if unit_code and unit_system else "",
            "code": unit_code,
        }
    )
