"""What a renderer returns and how its sentence is put together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clinvault.fhir.codes import code_strings, concept_display, when


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    """One short clinical sentence: codes, values, units, dates; no names, ids or contacts."""
    date: str | None
    """The clinical date as in the resource (``YYYY-MM-DD`` or a full dateTime)."""
    codes: tuple[str, ...]
    """``system|code`` of every coding of the main code (and medication, components)."""
    display: str | None
    """Display text of the main code."""


Renderer = Callable[[Mapping[str, Any]], Rendered]


class Sentence:
    """``Type: head; detail; detail.`` built from the parts that are present."""

    def __init__(self, resource_type: str, head: str | None = None) -> None:
        self._resource_type = resource_type
        self._head = head
        self._details: list[str] = []

    def add(self, detail: str | None, label: str = "") -> None:
        if detail:
            self._details.append(f"{label} {detail}" if label else detail)

    def add_when(self, value: object, label: str) -> None:
        self.add(when(value), label)

    def text(self) -> str:
        parts = [part for part in [self._head, *self._details] if part]
        body = "; ".join(parts) if parts else "no clinical content"
        return f"{self._resource_type}: {body}."


def unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def rendered(
    sentence: Sentence,
    *,
    date: str | None,
    code: object = None,
    extra_codes: list[str] | None = None,
    display: str | None = None,
) -> Rendered:
    codes = code_strings(code) + (extra_codes or [])
    return Rendered(
        text=sentence.text(),
        date=date,
        codes=unique(codes),
        display=display if display is not None else concept_display(code),
    )


def joined(values: list[str], separator: str = ", ") -> str | None:
    return separator.join(values) if values else None


def plain(value: object) -> str | None:
    """A code or string element as it is (``final``, ``high``); ``None`` otherwise."""
    return value.strip() if isinstance(value, str) and value.strip() else None
