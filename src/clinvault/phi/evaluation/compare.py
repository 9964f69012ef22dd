"""Scoring several detectors side by side on the same gold documents, with their speed.

Used by ``clinvault deid eval --format nursing``: every member of the ensemble alone, the
ensemble, and presidio out of the box, each timed over the same notes (notes per second of
``detect_batch``, the context-free path that ingest's note scrubber takes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from clinvault.phi.base import PhiDetector
from clinvault.phi.evaluation.char_metrics import CharReport, char_report_json, char_score
from clinvault.phi.evaluation.gold import GoldDocument, LabelScheme


@dataclass(frozen=True, slots=True)
class Scored:
    report: CharReport
    notes_per_second: float


def compare(
    detectors: Sequence[tuple[str, PhiDetector]],
    documents: Sequence[GoldDocument],
    scheme: LabelScheme,
) -> list[Scored]:
    texts = [document.text for document in documents]
    scored: list[Scored] = []
    for name, detector in detectors:
        detector.detect_batch(texts[:2])  # warm-up: lazy model parts, pattern caches
        start = time.perf_counter()
        predictions = detector.detect_batch(texts)
        elapsed = max(time.perf_counter() - start, 1e-9)
        scored.append(
            Scored(char_score(name, documents, predictions, scheme), len(texts) / elapsed)
        )
    return scored


def compare_json(scored: Sequence[Scored]) -> list[dict[str, object]]:
    return [
        {**char_report_json(item.report), "notes_per_second": round(item.notes_per_second, 1)}
        for item in scored
    ]
