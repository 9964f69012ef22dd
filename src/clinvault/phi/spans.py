"""Span arithmetic: offset-safe construction and overlap resolution."""

from __future__ import annotations

import re
from collections.abc import Iterable

from clinvault.phi.base import PhiType, Span


def make_span(
    text: str, start: int, end: int, phi_type: PhiType, score: float, source: str
) -> Span | None:
    """A span over ``text[start:end]`` trimmed of surrounding whitespace and punctuation."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    if start >= end:
        return None
    return Span(start, end, phi_type, score, text[start:end], source)


LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
POSSESSIVE_END = re.compile(r"['’]s$", re.IGNORECASE)


def name_core(text: str, span: Span) -> Span | None:
    """A person's name without a leading article or trailing possessive (``The Avalara``,
    ``Bryan Maclean's``); ``None`` if nothing is left."""
    start, end = span.start, span.end
    article = LEADING_ARTICLE.match(span.text)
    if article is not None:
        start += article.end()
    possessive = POSSESSIVE_END.search(text, start, end)
    if possessive is not None:
        end = possessive.start()
    if (start, end) == (span.start, span.end):
        return span
    return make_span(text, start, end, span.type, span.score, span.source)


def _rank(span: Span) -> tuple[int, float]:
    return (span.end - span.start, span.score)


def _remainders(text: str, span: Span, taken: list[Span]) -> list[Span]:
    """The parts of ``span`` not covered by ``taken`` spans (still carrying words)."""
    pieces = [(span.start, span.end)]
    for other in taken:
        next_pieces: list[tuple[int, int]] = []
        for lo, hi in pieces:
            if other.end <= lo or hi <= other.start:
                next_pieces.append((lo, hi))
                continue
            if lo < other.start:
                next_pieces.append((lo, other.start))
            if other.end < hi:
                next_pieces.append((other.end, hi))
        pieces = next_pieces
    remainders = [make_span(text, lo, hi, span.type, span.score, span.source) for lo, hi in pieces]
    return [piece for piece in remainders if piece is not None]


def resolve_overlaps(text: str, spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans sorted by start.

    Longer spans win, then higher scores. A losing span that only partly overlaps keeps
    its uncovered words as a span of its own, so nothing any recognizer found is left in
    the clear (fail closed) while the winner keeps its exact extent.
    """
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start)):
        kept += _remainders(text, span, kept)
    return sorted(kept, key=lambda s: s.start)
