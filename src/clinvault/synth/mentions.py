"""Free-text building blocks that remember where each identifier was written.

A note is written with :class:`NoteBuilder`; every :class:`Phi` or :class:`Eponym` placed into
it is recorded with its character span, so ``truth.jsonl`` can say exactly where PHI (and the
eponyms that are *not* PHI) sit in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from string import Formatter
from typing import Literal

PhiType = Literal[
    "NAME",
    "NAME_PART",
    "MRN",
    "SSN",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "CITY",
    "POSTAL_CODE",
    "BIRTH_DATE",
    "DATE",
    "AGE",
    "RELATIVE_NAME",
    "PROVIDER_NAME",
    "FACILITY",
    "OTHER_PERSON",
    "URL",
]


@dataclass(frozen=True)
class Phi:
    value: str
    type: PhiType
    known: bool
    """True when the value is also a field of a resource in the bundle."""


@dataclass(frozen=True)
class Eponym:
    """A clinical eponym (Parkinson, Crohn ...): looks like a name, is not PHI."""

    value: str


Fill = str | int | float | Phi | Eponym


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    item: Phi | Eponym


@dataclass
class NoteBuilder:
    chunks: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    length: int = 0

    def _append(self, text: str) -> None:
        self.chunks.append(text)
        self.length += len(text)

    def write(self, template: str, **values: Fill) -> None:
        """Append ``template`` filled with ``values`` (``str.format`` syntax)."""
        for literal, name, spec, _conversion in Formatter().parse(template):
            self._append(literal)
            if name is None:
                continue
            value = values[name]
            if isinstance(value, Phi | Eponym):
                start = self.length
                self._append(value.value)
                self.spans.append(Span(start, self.length, value))
            else:
                self._append(format(value, spec or ""))

    def line(self, template: str = "", **values: Fill) -> None:
        self.write(template, **values)
        self._append("\n")

    @property
    def text(self) -> str:
        return "".join(self.chunks)
