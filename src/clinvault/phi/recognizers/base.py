"""The recognizer contract shared by every custom recognizer family."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.spans import make_span


class TextRecognizer(Protocol):
    name: str

    def find(self, text: str, context: DetectionContext) -> list[Span]: ...


def spans_from_matches(
    text: str,
    matches: Iterable[re.Match[str]],
    phi_type: PhiType,
    score: float,
    source: str,
    group: str | int = 0,
) -> list[Span]:
    """Spans over ``group`` of each match (the whole match by default)."""
    found: list[Span] = []
    for match in matches:
        if match.group(group) is None:
            continue
        span = make_span(text, match.start(group), match.end(group), phi_type, score, source)
        if span is not None:
            found.append(span)
    return found


def starts_upper(word: str) -> bool:
    return bool(word) and word[0].isupper()


def unique_spans(spans: Iterable[Span]) -> list[Span]:
    """One span per (start, end), the highest-scoring one; sorted by start."""
    best: dict[tuple[int, int], Span] = {}
    for span in spans:
        key = (span.start, span.end)
        if key not in best or span.score > best[key].score:
            best[key] = span
    return sorted(best.values(), key=lambda s: (s.start, s.end))
