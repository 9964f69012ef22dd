from __future__ import annotations

from clinvault.phi.base import PhiType, Span
from clinvault.phi.spans import make_span, resolve_overlaps

TEXT = "Call Maria Lopez at 555-234-9876 today."


def span(start: int, end: int, phi_type: PhiType, score: float = 0.9) -> Span:
    return Span(start, end, phi_type, score, TEXT[start:end], "test")


def test_make_span_trims_punctuation_and_whitespace() -> None:
    made = make_span(TEXT, 4, 17, PhiType.NAME, 0.9, "t")
    assert made is not None
    assert (made.start, made.end, made.text) == (5, 16, "Maria Lopez")
    assert make_span(TEXT, 16, 17, PhiType.NAME, 0.9, "t") is None


def test_longer_span_wins_and_contained_spans_vanish() -> None:
    resolved = resolve_overlaps(TEXT, [span(5, 10, PhiType.NAME), span(5, 16, PhiType.NAME, 0.5)])
    assert [(s.start, s.end) for s in resolved] == [(5, 16)]


def test_equal_length_higher_score_wins() -> None:
    resolved = resolve_overlaps(
        TEXT, [span(20, 32, PhiType.ID, 0.6), span(20, 32, PhiType.PHONE, 0.9)]
    )
    assert [s.type for s in resolved] == [PhiType.PHONE]


def test_partial_overlap_keeps_the_uncovered_words_of_the_loser() -> None:
    # "Maria Lopez at" (loser, shorter? no: longer wins) vs "Lopez at 555-234-9876"
    winner = span(11, 32, PhiType.PHONE)
    loser = span(5, 16, PhiType.NAME)
    resolved = resolve_overlaps(TEXT, [loser, winner])
    assert [(s.text, s.type) for s in resolved] == [
        ("Maria", PhiType.NAME),
        ("Lopez at 555-234-9876", PhiType.PHONE),
    ]
    assert all(TEXT[s.start : s.end] == s.text for s in resolved)


def test_result_is_sorted_and_disjoint() -> None:
    spans = [span(20, 32, PhiType.PHONE), span(5, 10, PhiType.NAME), span(11, 16, PhiType.NAME)]
    resolved = resolve_overlaps(TEXT, spans)
    assert [s.start for s in resolved] == [5, 11, 20]
