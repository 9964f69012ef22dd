"""Clinical date shorthand: ``7/22``, ``Tues 3/4``, ``03-04-2021``, ``Mar 4th``, ``2 days ago``.

spaCy finds many dates, but misses the terse numeric forms of clinical notes and splits
weekday-prefixed ones. Bare ``m/d`` pairs that read as quantities (``1/2 tab``) are skipped.
"""

from __future__ import annotations

import re

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.spans import make_span

WEEKDAY = (
    r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?"
)
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
NUMBER_WORD = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|several|couple of)"

NUMERIC = re.compile(
    rf"(?P<weekday>\b{WEEKDAY}\s+)?(?<![\d.,])\b(?P<a>\d{{1,2}})(?P<sep>[/\-.])(?P<b>\d{{1,2}})"
    rf"(?:(?P=sep)(?P<year>\d{{4}}|\d{{2}}))?\b(?![/\-.]\d)",
    re.IGNORECASE,
)
ISO = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
)
NAMED_MONTH = re.compile(
    rf"(?:\b{WEEKDAY}\s+)?(?:"
    rf"\b{MONTH}\.?\s+{ORDINAL}(?:,?\s+\d{{4}})?\b"
    rf"|\b{ORDINAL}\s+(?:of\s+)?{MONTH}\.?(?:,?\s+\d{{4}})?\b"
    rf"|\b{MONTH}\.?,?\s+\d{{4}}\b"
    rf"|\b{MONTH}[\-/]\d{{2,4}}\b)",
    re.IGNORECASE,
)
RELATIVE = re.compile(
    rf"\b{NUMBER_WORD}\s+(?:day|week|month|year|hour)s?\s+(?:ago|prior|earlier|before admission)\b"
    rf"|\b(?:yesterday|last\s+{WEEKDAY.rstrip(',?')}|last\s+night)\b",
    re.IGNORECASE,
)
QUANTITY_AFTER = re.compile(
    r"\s*(?:tabs?|tablets?|caps?|capsules?|of|cups?|doses?|inch|in\.|strength|ns|mg|ml|units?)\b",
    re.IGNORECASE,
)


def _plausible(month_or_day: int, day_or_month: int) -> bool:
    return (1 <= month_or_day <= 12 and 1 <= day_or_month <= 31) or (
        1 <= day_or_month <= 12 and 1 <= month_or_day <= 31
    )


class ClinicalDateRecognizer:
    name = "clinical-date"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for match in NUMERIC.finditer(text):
            a, b = int(match.group("a")), int(match.group("b"))
            if not _plausible(a, b):
                continue
            dated = match.group("weekday") or match.group("year")
            if match.group("sep") == "." and not match.group("year"):
                continue  # 4.1 is a lab value, 04.01.2023 a date
            if not dated and QUANTITY_AFTER.match(text, match.end()):
                continue
            score = 0.9 if dated else 0.6
            self._add(found, text, match.start(), match.end(), score)
        for pattern, score in ((ISO, 0.95), (NAMED_MONTH, 0.85), (RELATIVE, 0.6)):
            for match in pattern.finditer(text):
                self._add(found, text, match.start(), match.end(), score)
        return found

    def _add(self, found: list[Span], text: str, start: int, end: int, score: float) -> None:
        span = make_span(text, start, end, PhiType.DATE, score, self.name)
        if span is not None:
            found.append(span)


NAMED_DAY = re.compile(rf"\b(?:{MONTH}|{WEEKDAY.rstrip(',?')})\b", re.IGNORECASE)
DURATION_OR_AGE = re.compile(
    r"^(?:the\s+(?:past|last|next)\s+|for\s+|about\s+|over\s+|\d+\s*(?:-|to)\s*)?"
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few)\s*"
    r"(?:-|\s)?(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?)"
    r"(?:[\s\-]old)?$",
    re.IGNORECASE,
)


DECADE = re.compile(r"^(?:the\s+)?(?:(?:18|19|20)\d0|')?\d0'?s$", re.IGNORECASE)
YEAR = re.compile(r"(?<![\d.])\b(?:18|19|20)\d\d\b(?![.,]\d)")
YEAR_OR_COMPACT_DATE = re.compile(r"^(?:1[89]\d\d|20\d\d|(?:19|20)\d{6})$")


def is_date_expression(text: str) -> bool:
    """Whether an NER ``DATE`` names a date (``3/4``, ``March``, ``2 days ago``, ``2019``).

    spaCy also labels durations (``3 days``), ages (``45 years old``), decades, frequencies
    (``daily``) and vitals (``HR 85``) as DATE; those are not PHI and must not become date
    tokens. An NER date must show a date shape: a month or weekday name, a numeric date,
    a year, or a relative expression.
    """
    stripped = text.strip()
    if DURATION_OR_AGE.match(stripped):
        return False
    if DECADE.match(stripped):
        return False
    return bool(
        NAMED_DAY.search(text)
        or RELATIVE.search(text)
        or NUMERIC.search(text)
        or ISO.search(text)
        or YEAR.search(text)
        or YEAR_OR_COMPACT_DATE.match(stripped)
    )
