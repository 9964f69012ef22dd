"""CDA data types to FHIR R4 data types: TS, II, CD, PQ, IVL, PN, AD, TEL and ANY values.

Dates keep their precision (``2008`` -> ``2008``, ``200803`` -> ``2008-03``,
``20080319`` -> ``2008-03-19``). A time of day is kept only with its UTC offset
(``20080319083000-0800`` -> ``2008-03-19T08:30:00-08:00``): FHIR requires an offset on
a time, and guessing one would move the event, so a time without offset is reduced to
its day. Every function returns ``None`` for a null-flavored or unusable value.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from lxml import etree

from clinvault.interop.ccda.systems import system_uri
from clinvault.interop.ccda.xpath import (
    XSI_TYPE,
    all_of,
    attr,
    first,
    local_name,
    own_text,
    text_of,
)

TS = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?"
    r"(?:(?P<H>\d{2})(?P<M>\d{2})?(?P<S>\d{2})?(?:\.(?P<f>\d{1,6}))?)?"
    r"(?P<tz>[+-]\d{4}|Z)?$"
)
NAME_USE = {"L": "official", "P": "nickname", "A": "anonymous", "C": "old", "ASGN": "usual"}
ADDRESS_USE = {"H": "home", "HP": "home", "HV": "home", "WP": "work", "TMP": "temp", "BAD": "old"}
TELECOM_USE = {"H": "home", "HP": "home", "HV": "home", "WP": "work", "MC": "mobile", "TMP": "temp"}
TELECOM_SCHEME = {"tel": "phone", "fax": "fax", "mailto": "email", "http": "url", "https": "url"}


def ts(value: str | None) -> str | None:
    """A CDA TS as a FHIR date or dateTime, with its precision (see the module docstring)."""
    if not value:
        return None
    match = TS.match(value.strip())
    if match is None:
        return None
    parts = match.groupdict()
    if not _real_date(parts):
        return None
    out = parts["y"]
    for key in ("m", "d"):
        if parts[key] is None:
            return out
        out += f"-{parts[key]}"
    if parts["H"] is None or parts["tz"] is None:
        return out
    seconds = parts["S"] or "00"
    fraction = f".{parts['f']}" if parts["f"] else ""
    tz = parts["tz"]
    offset = "Z" if tz == "Z" else f"{tz[:3]}:{tz[3:]}"
    return f"{out}T{parts['H']}:{parts['M'] or '00'}:{seconds}{fraction}{offset}"


def _real_date(parts: dict[str, str | None]) -> bool:
    """A calendar date and clock time that exist (no February 30th, no hour 25)."""
    try:
        date(int(parts["y"] or 0), int(parts["m"] or 1), int(parts["d"] or 1))
        time(int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0))
    except ValueError:
        return False
    return True


def ts_of(element: etree._Element | None) -> str | None:
    return ts(attr(element, "value"))


def effective(
    element: etree._Element, path: str = "v:effectiveTime"
) -> tuple[str | None, str | None, str | None]:
    """``(point, low, high)`` of an ``effectiveTime`` (TS or IVL_TS)."""
    node = first(element, path)
    if node is None:
        return None, None, None
    return ts_of(node), ts_of(first(node, "v:low")), ts_of(first(node, "v:high"))


def period(low: str | None, high: str | None) -> dict[str, str] | None:
    out = {k: v for k, v in (("start", low), ("end", high)) if v}
    return out or None


def identifier(node: etree._Element) -> dict[str, str] | None:
    root = attr(node, "root")
    extension = attr(node, "extension")
    if root is None:
        return None
    if extension is None:
        system = system_uri(root)
        value = system if system.startswith("urn:") else f"urn:oid:{root}"
        return {"system": "urn:ietf:rfc:3986", "value": value}
    return {"system": system_uri(root), "value": extension}


def identifiers(element: etree._Element, path: str = "v:id") -> list[dict[str, str]]:
    return [i for node in all_of(element, path) if (i := identifier(node)) is not None]


def id_keys(element: etree._Element, path: str = "v:id") -> list[str]:
    """``root|extension`` of each id: the raw keys stable ids are derived from."""
    keys = []
    for node in all_of(element, path):
        root = attr(node, "root")
        if root:
            keys.append(f"{root}|{attr(node, 'extension') or ''}")
    return keys


def coding(node: etree._Element) -> dict[str, str] | None:
    code = attr(node, "code")
    if code is None:
        return None
    out: dict[str, str] = {}
    system = attr(node, "codeSystem")
    if system:
        out["system"] = system_uri(system)
    out["code"] = code
    display = attr(node, "displayName")
    if display:
        out["display"] = display
    return out


def codeable(
    node: etree._Element | None, narrative: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """A CD/CE/CV with its translations as one CodeableConcept; text from ``originalText``
    (resolving a ``reference`` into the section narrative)."""
    if node is None:
        return None
    codings = [c for n in [node, *all_of(node, "v:translation")] if (c := coding(n)) is not None]
    text = _original_text(node, narrative or {})
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = codings
    if text:
        out["text"] = text
    elif not codings:
        return None
    return out


def _original_text(node: etree._Element, narrative: dict[str, str]) -> str | None:
    original = first(node, "v:originalText")
    if original is None:
        return None
    reference = attr(first(original, "v:reference"), "value")
    if reference and reference.startswith("#"):
        resolved = narrative.get(reference[1:])
        if resolved:
            return resolved
    own = " ".join(own_text(original).split())
    return own or None


def quantity(node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    number = _number(attr(node, "value"))
    if number is None:
        return None
    out: dict[str, Any] = {"value": number}
    unit = attr(node, "unit")
    if unit and unit != "1":
        out.update(unit=unit, system="http://unitsofmeasure.org", code=unit)
    return out


def _number(text: str | None) -> int | float | None:
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return number


def value_x(node: etree._Element | None, narrative: dict[str, str] | None = None) -> dict[str, Any]:
    """An observation's ``value`` as ``{"valueQuantity": ...}`` etc. by its ``xsi:type``."""
    if node is None:
        return {}
    kind = (node.get(XSI_TYPE) or "").split(":")[-1]
    if kind == "PQ":
        q = quantity(node)
        return {"valueQuantity": q} if q else {}
    if kind in ("INT", "REAL"):
        n = _number(attr(node, "value"))
        if n is None:
            return {}
        return (
            {"valueInteger": n}
            if kind == "INT" and isinstance(n, int)
            else {"valueQuantity": {"value": n}}
        )
    if kind in ("CD", "CE", "CV", "CO", "CS"):
        c = codeable(node, narrative)
        return {"valueCodeableConcept": c} if c else {}
    if kind == "BL":
        v = attr(node, "value")
        return {"valueBoolean": v == "true"} if v in ("true", "false") else {}
    if kind == "TS":
        t = ts_of(node)
        return {"valueDateTime": t} if t else {}
    if kind == "IVL_PQ":
        low, high = quantity(first(node, "v:low")), quantity(first(node, "v:high"))
        rng = {k: v for k, v in (("low", low), ("high", high)) if v}
        return {"valueRange": rng} if rng else {}
    text = text_of(node)
    if kind in ("ST", "ED", "") and text:
        return {"valueString": text}
    return {}


def human_name(node: etree._Element) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    use = NAME_USE.get(attr(node, "use") or "")
    if use:
        out["use"] = use
    family = [t for n in all_of(node, "v:family") if (t := text_of(n))]
    given = [t for n in all_of(node, "v:given") if (t := text_of(n))]
    prefix = [t for n in all_of(node, "v:prefix") if (t := text_of(n))]
    suffix = [t for n in all_of(node, "v:suffix") if (t := text_of(n))]
    if family:
        out["family"] = " ".join(family)
    if given:
        out["given"] = given
    if prefix:
        out["prefix"] = prefix
    if suffix:
        out["suffix"] = suffix
    if not (family or given):
        text = text_of(node)
        if not text:
            return None
        out["text"] = text
    return out


def address(node: etree._Element) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    use = ADDRESS_USE.get(attr(node, "use") or "")
    if use:
        out["use"] = use
    lines = [t for n in all_of(node, "v:streetAddressLine") if (t := text_of(n))]
    if lines:
        out["line"] = lines
    for tag, key in (
        ("city", "city"),
        ("county", "district"),
        ("state", "state"),
        ("postalCode", "postalCode"),
        ("country", "country"),
    ):
        value = text_of(first(node, f"v:{tag}"))
        if value:
            out[key] = value
    return out if set(out) - {"use"} else None


def telecom(node: etree._Element) -> dict[str, Any] | None:
    raw = attr(node, "value")
    if not raw:
        return None
    scheme, sep, rest = raw.partition(":")
    system = TELECOM_SCHEME.get(scheme.lower()) if sep else None
    if system is None:
        system, rest = "other", raw
    value = rest.strip() if system != "url" else raw
    if not value:
        return None
    out: dict[str, Any] = {"system": system, "value": value}
    use = TELECOM_USE.get(attr(node, "use") or "")
    if use:
        out["use"] = use
    return out


def is_null(node: etree._Element | None) -> bool:
    return node is None or (attr(node, "nullFlavor") is not None and attr(node, "code") is None)


__all__ = ["local_name"]
