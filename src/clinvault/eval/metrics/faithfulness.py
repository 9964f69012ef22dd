"""Faithfulness: every number and date the answer states appears in the evidence it cites.

A model that invents a value (or copies one from evidence it did not cite) fails. An answer
stating no number and no date is unmeasured for this metric. A time-window statement
(``time window A to B, 'in the last 6 months', reference date R: ...``) is about the search,
derived from the question and the stated reference date, not a clinical claim: not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from clinvault.eval.metrics.normalize import dates_in, numbers_in, strip_markers
from clinvault.llm.time_window import WINDOW_STATEMENT


@dataclass(frozen=True, slots=True)
class Unsupported:
    numbers: tuple[Decimal, ...]
    dates: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.numbers and not self.dates


def unsupported_claims(answer: str, cited_evidence: Sequence[str]) -> Unsupported:
    evidence = "\n".join(cited_evidence)
    have_numbers = numbers_in(evidence)
    have_dates = dates_in(evidence)
    text = WINDOW_STATEMENT.sub(" ", strip_markers(answer))
    return Unsupported(
        numbers=tuple(sorted(n for n in numbers_in(text) if n not in have_numbers)),
        dates=tuple(sorted(d for d in dates_in(text) if d not in have_dates)),
    )


def faithfulness(answer: str, cited_evidence: Sequence[str]) -> float | None:
    """1.0 if every stated number and date is in the cited evidence, else 0.0; ``None`` when
    the answer states neither."""
    text = WINDOW_STATEMENT.sub(" ", strip_markers(answer))
    if not numbers_in(text) and not dates_in(text):
        return None
    return 1.0 if unsupported_claims(answer, cited_evidence).empty else 0.0
