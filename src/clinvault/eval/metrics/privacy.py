"""PHI leakage: does a text carry any of a patient's identifiers?

Identifiers are the vault's known values for the patient plus the PHI planted in
``truth.jsonl`` (including free-text-only values such as a neighbour's name). Matching uses
the vault's own :class:`IdentifierMatcher` (case, word boundaries, phone formats).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clinvault.vault.identifiers import IdentifierMatcher, KnownValue

MIN_VALUE_LENGTH = 4
"""Shorter planted values (initials, a two-letter given name) are not checked: they match
ordinary words and would report noise, not leaks."""


def identifier_matcher(values: Iterable[KnownValue]) -> IdentifierMatcher:
    matcher = IdentifierMatcher()
    matcher.extend(v for v in values if len(v.value.strip()) >= MIN_VALUE_LENGTH)
    return matcher


def leaked_kinds(matcher: IdentifierMatcher, text: str) -> list[str]:
    """Kinds of identifiers found in ``text`` (never the values: reports must not hold PHI)."""
    return sorted({value.kind for _, _, value in matcher.find(text)})


def leak_rate(matcher: IdentifierMatcher, texts: Sequence[str]) -> float | None:
    """Share of texts holding at least one identifier; unmeasured for no texts."""
    if not texts:
        return None
    return sum(1 for text in texts if matcher.find(text)) / len(texts)
