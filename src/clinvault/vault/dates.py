"""Date shifting: FHIR date values and dates written in free text.

Each patient has a secret, non-zero offset in days. Shifting keeps the format and the
precision of the input, so intervals between events survive. Year-only values shift
through their mid-year day. ``unshift`` is the exact inverse for re-identification.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

FHIR_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?P<rest>T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$"
)

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ALT = "|".join(
    [m.capitalize() for m in MONTHS] + [m[:3].capitalize() + r"\.?" for m in MONTHS] + ["Sept\\.?"]
)

TEXT_DATE_RE = re.compile(
    r"(?<![\w/-])(?:"
    r"(?P<iso>\d{4}-\d{2}-\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?"
    r"|(?P<us>(?P<um>\d{1,2})/(?P<ud>\d{1,2})/(?P<uy>\d{4}|\d{2}))"
    r"|(?P<mdy>(?P<mm>" + _MONTH_ALT + r")\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>\d{4}))"
    r"|(?P<dmy>(?P<dd>\d{1,2})\s+(?P<dm>" + _MONTH_ALT + r")\.?,?\s+(?P<dy>\d{4}))"
    r")(?![\w/])",
)


def _month_number(name: str) -> int:
    key = name.rstrip(".").lower()[:3]
    return [m[:3] for m in MONTHS].index(key) + 1


def shift_fhir_value(value: str, days: int) -> str | None:
    """Shift a FHIR date/dateTime/instant string; ``None`` if ``value`` is not one."""
    m = FHIR_DATE_RE.match(value)
    if not m:
        return None
    year = int(m["y"])
    if m["m"] is None:
        return f"{(date(year, 7, 2) + timedelta(days=days)).year:04d}"
    if m["d"] is None:
        moved = date(year, int(m["m"]), 15) + timedelta(days=days)
        return f"{moved.year:04d}-{moved.month:02d}"
    try:
        moved = date(year, int(m["m"]), int(m["d"])) + timedelta(days=days)
    except ValueError:
        return None
    return moved.isoformat() + (m["rest"] or "")


def _shift_text_match(m: re.Match[str], days: int) -> str:
    whole = m.group(0)
    try:
        if m["iso"]:
            d = date.fromisoformat(m["iso"]) + timedelta(days=days)
            return d.isoformat() + whole[len(m["iso"]) :]
        if m["us"]:
            year_text = m["uy"]
            year = int(year_text) + (
                2000
                if len(year_text) == 2 and int(year_text) < 50
                else 1900
                if len(year_text) == 2
                else 0
            )
            d = date(year, int(m["um"]), int(m["ud"])) + timedelta(days=days)
            shown_year = f"{d.year % 100:02d}" if len(year_text) == 2 else f"{d.year:04d}"
            month = f"{d.month:02d}" if len(m["um"]) == 2 else str(d.month)
            day = f"{d.day:02d}" if len(m["ud"]) == 2 else str(d.day)
            return f"{month}/{day}/{shown_year}"
        if m["mdy"]:
            d = date(int(m["my"]), _month_number(m["mm"]), int(m["md"])) + timedelta(days=days)
            return f"{MONTHS[d.month - 1].capitalize()} {d.day}, {d.year}"
        if m["dmy"]:
            d = date(int(m["dy"]), _month_number(m["dm"]), int(m["dd"])) + timedelta(days=days)
            return f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"
    except ValueError:
        return "[DATE-INVALID]"
    return whole


def shift_text_dates(text: str, days: int) -> str:
    """Shift every full date written in ``text``; an impossible date is masked, not kept."""
    return TEXT_DATE_RE.sub(lambda m: _shift_text_match(m, days), text)


def date_variants(value: str) -> list[str]:
    """Ways a (real) FHIR date may be written in notes, used for leak checks."""
    m = FHIR_DATE_RE.match(value)
    if not m or m["d"] is None:
        return []
    d = date(int(m["y"]), int(m["m"]), int(m["d"]))
    month = MONTHS[d.month - 1].capitalize()
    return [
        d.isoformat(),
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.month}/{d.day}/{d.year}",
        f"{month} {d.day}, {d.year}",
        f"{d.day} {month} {d.year}",
    ]


def age_in_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


AGE_OVER_89_RE = re.compile(
    r"\b(?P<n>(?:9\d|1[0-2]\d))(?P<sep>[- ]?)(?P<unit>years?|yrs?|y/?o|year-old|yo)\b",
    re.IGNORECASE,
)
AGE_PREFIX_RE = re.compile(r"\b(?P<lead>aged?|age of)\s+(?P<n>9\d|1[0-2]\d)\b", re.IGNORECASE)


def collapse_ages(text: str) -> str:
    """Ages over 89 become ``90+`` (HIPAA safe harbor)."""
    text = AGE_OVER_89_RE.sub(lambda m: f"90+{m['sep']}{m['unit']}", text)
    return AGE_PREFIX_RE.sub(lambda m: f"{m['lead']} 90+", text)


DateShifter = Callable[[str], str | None]


def parse_fhir_date(value: str) -> date | None:
    m = FHIR_DATE_RE.match(value)
    if not m or m["m"] is None or m["d"] is None:
        return None
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


def age_text(
    real_birth_date: str | None, on: date, cap: int, deceased: str | None = None
) -> str | None:
    """The age the index may show: years, months under 2, ``<cap+1>+`` over the cap."""
    born = parse_fhir_date(real_birth_date) if real_birth_date else None
    if born is None:
        return None
    end = parse_fhir_date(deceased) if deceased else None
    years = age_in_years(born, end or on)
    if years > cap:
        return f"{cap + 1}+"
    return str(years) if years >= 2 else f"{max(0, (((end or on) - born).days) // 30)} months"
