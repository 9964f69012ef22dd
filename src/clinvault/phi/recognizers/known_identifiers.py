"""The deny-list: the patient's own identifiers and names learned from the record.

Known identifiers are PHI wherever they occur, whatever the allow-list says: a name is
matched whole and by its parts (``Marine542`` also as ``Marine``), numbers with any
separators (``555 123 4567`` = ``555-123-4567``). Provider names learned from Practitioner
resources are NAME; facility names from Organization and Location resources are ORG.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from clinvault.phi.base import DetectionContext, KnownIdentifier, PhiType, Span
from clinvault.phi.recognizers.base import spans_from_matches

NAME_NOISE = frozenset({"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii", "iv", "md"})
MIN_PART = 3
NUMERIC_TYPES = frozenset({PhiType.PHONE, PhiType.ID, PhiType.SSN, PhiType.MRN})


def _words(value: str) -> list[str]:
    return re.findall(r"\w+", value)


def _phrase(value: str) -> str:
    return r"\s+".join(re.escape(w) for w in _words(value))


def _separated(value: str) -> str:
    """Alphanumerics of ``value`` with any run of separators allowed between them."""
    chars = [re.escape(c) for c in value if c.isalnum()]
    return r"[\s.\-/()]{0,3}".join(chars)


def _name_variants(value: str) -> set[str]:
    variants = {value}
    for part in _words(value):
        stripped = part.rstrip("0123456789")
        for candidate in (part, stripped):
            if len(candidate) >= MIN_PART and candidate.casefold() not in NAME_NOISE:
                variants.add(candidate)
    return variants


def _pattern(identifier: KnownIdentifier) -> list[str]:
    if identifier.type in NUMERIC_TYPES:
        return [_separated(identifier.value)] if any(c.isalnum() for c in identifier.value) else []
    if identifier.type is PhiType.NAME:
        return [_phrase(v) for v in _name_variants(identifier.value)]
    return [_phrase(identifier.value)] if _words(identifier.value) else []


def _compile(identifiers: Iterable[KnownIdentifier]) -> dict[PhiType, re.Pattern[str]]:
    by_type: dict[PhiType, list[str]] = {}
    for identifier in identifiers:
        by_type.setdefault(identifier.type, []).extend(_pattern(identifier))
    return {
        phi_type: re.compile(
            r"(?<!\w)(?:" + "|".join(sorted(set(parts), key=len, reverse=True)) + r")(?!\w)",
            re.IGNORECASE,
        )
        for phi_type, parts in by_type.items()
        if parts
    }


def context_identifiers(context: DetectionContext) -> list[KnownIdentifier]:
    return [
        *context.known,
        *(KnownIdentifier(name, PhiType.NAME) for name in context.provider_names),
        *(KnownIdentifier(name, PhiType.ORG) for name in context.facility_names),
    ]


class KnownIdentifierRecognizer:
    """Finds the context's deny-list. Its spans carry ``source`` ``known-identifier``."""

    name = "known-identifier"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for phi_type, pattern in _compile(context_identifiers(context)).items():
            found += spans_from_matches(text, pattern.finditer(text), phi_type, 1.0, self.name)
        return found
