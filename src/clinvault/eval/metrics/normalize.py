"""Normalizing what answers and evidence state: numbers, dates, units and list items.

``7.10`` and ``7.1`` are the same number; ``2024-05-01``, ``05/01/2024`` and ``May 1, 2024``
are the same date. Citation markers (``[3]``) and value tokens (``[NAME-1A2B3C4D]``) are not
numbers the answer states, so they are removed first.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]|\[[A-Z]+-[0-9A-F]{8}\]|\b(?:RES|PT)-[0-9A-F]{16}\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:T[\d:.+\-Z]*)?")
_US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_WORD_DATE = re.compile(r"\b([A-Z][a-z]{2})[a-z]*\.? (\d{1,2}),? (\d{4})\b")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")
_UNIT_ALIASES = {"cel": "°c", "degc": "°c", "[degf]": "°f", "mm[hg]": "mmhg", "/min": "/min"}
_WORD = re.compile(r"[a-z0-9]+")


def strip_markers(text: str) -> str:
    return _MARKERS.sub(" ", text)


def dates_in(text: str) -> set[str]:
    """Every calendar date the text states, as ISO ``YYYY-MM-DD``."""
    found: set[str] = set()
    for y, m, d in _ISO_DATE.findall(text):
        _add_date(found, int(y), int(m), int(d))
    for m, d, y in _US_DATE.findall(text):
        _add_date(found, int(y), int(m), int(d))
    for month, d, y in _WORD_DATE.findall(text):
        number = _MONTHS.get(month.casefold())
        if number is not None:
            _add_date(found, int(y), number, int(d))
    return found


def _add_date(found: set[str], year: int, month: int, day: int) -> None:
    try:
        found.add(date(year, month, day).isoformat())
    except ValueError:
        return


def _without_dates(text: str) -> str:
    for pattern in (_ISO_DATE, _US_DATE, _WORD_DATE):
        text = pattern.sub(" ", text)
    return text


def numbers_in(text: str) -> set[Decimal]:
    """Every number the text states outside dates, markers and tokens, normalized."""
    out: set[Decimal] = set()
    for raw in _NUMBER.findall(_without_dates(strip_markers(text))):
        value = parse_number(raw)
        if value is not None:
            out.add(value)
    return out


def parse_number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").lstrip("+"))
    except InvalidOperation:
        return None
    return value.normalize() if value != 0 else Decimal(0)


def normalize_unit(unit: str) -> str:
    folded = unit.strip().casefold()
    return _UNIT_ALIASES.get(folded, folded)


def unit_stated(text: str, unit: str) -> bool:
    """Whether ``unit`` (or a common spelling of it) appears in ``text``."""
    wanted = normalize_unit(unit)
    folded = text.casefold()
    if wanted in folded or unit.casefold() in folded:
        return True
    return wanted == "°c" and ("celsius" in folded or "°c" in folded or " c " in folded)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def mentions(text: str, item: str) -> bool:
    """Whether ``text`` names ``item``: every word of the item appears in order-insensitive
    word containment (``"Albuterol inhaler"`` matches ``"... albuterol 0.09 MG inhaler"``)."""
    wanted = [w for w in words(item) if len(w) > 1]
    if not wanted:
        return False
    have = set(words(text))
    return all(w in have for w in wanted)
