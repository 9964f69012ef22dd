"""Time windows in questions, relative to an explicit reference date.

"labs in the last 6 months", "in the past year", "since 2020", "since 2021-03-01", "in 2019",
"before 2018", "since the last visit": a window of ISO dates ``[start, end]``. The reference
date is the one the question states ("as of 2021-05-01"), else the newest dated record in the
evidence; the answer says which (``Window.describe``). Dates compared are the evidence's
dates: in the pseudonymized prompt both the evidence and a written date in the question are
shifted by the same per-patient offset, so a window between them is exact; a bare year
("since 2020") is compared as written (an error of at most the patient's date shift).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "eighteen": 18,
    "couple": 2,
    "few": 3,
}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_ISO = r"\d{4}-\d{2}-\d{2}"
_LAST = re.compile(
    r"\b(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous|prior)\s+"
    r"(?:(?P<n>\d+|" + "|".join(_NUMBERS) + r")\s+)?(?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_SINCE = re.compile(r"\b(?:since|after|from)\s+(?P<when>" + _ISO + r"|\d{4})\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:before|until|prior to)\s+(?P<when>" + _ISO + r"|\d{4})\b", re.I)
_IN_YEAR = re.compile(r"\b(?:in|during)\s+(?P<year>(?:19|20)\d{2})\b(?!-)", re.IGNORECASE)
_THIS_YEAR = re.compile(r"\bthis year\b", re.IGNORECASE)
AS_OF = re.compile(r"\b(?:as of|on|at)\s+(?P<when>" + _ISO + r")\b", re.IGNORECASE)
_SINCE_VISIT = re.compile(
    r"\bsince (?:the |her |his |their )?(?:last|previous|prior) (?:visit|encounter|appointment)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Window:
    start: str | None
    end: str | None
    reference: str
    reference_source: str
    """``the question`` or ``the newest record in the evidence`` or ``the last visit``."""
    phrase: str

    def contains(self, when: str | None) -> bool:
        if when is None:
            return False
        day = when[:10]
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def describe(self) -> str:
        """``time window A to B, 'in the last 6 months', reference date R: <source>``: every
        date in it is derived from the question and the reference date, which it names."""
        span = f"{self.start or 'the first record'} to {self.end or self.reference}"
        phrase = self.phrase.replace("(", " ").replace(")", " ").strip()
        return (
            f"time window {span}, '{phrase}', reference date {self.reference}: "
            f"{self.reference_source}"
        )


WINDOW_STATEMENT = re.compile(r"time window [^()\n]*")
"""A window statement inside an answer (what :meth:`Window.describe` writes)."""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def find_window(
    question: str, dates: list[str], *, visit_dates: list[str] | None = None
) -> Window | None:
    """The window ``question`` names, or ``None``. ``dates`` are the evidence's dates."""
    stated = AS_OF.search(question)
    newest = max((d[:10] for d in dates if _day(d)), default=None)
    if stated:
        reference, source = stated["when"], "the question"
    elif newest:
        reference, source = newest, "the newest record in the evidence"
    else:
        return None
    ref = _day(reference)
    if ref is None:
        return None
    if match := _LAST.search(question):
        n = match["n"]
        count = int(n) if n and n.isdigit() else _NUMBERS.get((n or "one").casefold(), 1)
        start = ref - timedelta(days=count * _UNIT_DAYS[match["unit"].casefold()])
        return Window(start.isoformat(), reference, reference, source, match.group().strip())
    if match := _SINCE_VISIT.search(question):
        visits = sorted(d[:10] for d in visit_dates or [] if d[:10] <= reference)
        if not visits:
            return None
        return Window(visits[-1], reference, reference, source, match.group())
    if match := _SINCE.search(question):
        when = match["when"]
        since = when if len(when) > 4 else f"{when}-01-01"
        return Window(since, reference, reference, source, match.group())
    if match := _BEFORE.search(question):
        when = match["when"]
        end = when if len(when) > 4 else f"{int(when) - 1}-12-31"
        return Window(None, end, reference, source, match.group())
    if match := _IN_YEAR.search(question):
        year = match["year"]
        return Window(f"{year}-01-01", f"{year}-12-31", reference, source, match.group())
    if match := _THIS_YEAR.search(question):
        return Window(f"{ref.year}-01-01", reference, reference, source, match.group())
    return None
