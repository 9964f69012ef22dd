"""Scoring several detectors side by side on the same gold documents, with their speed.

Used by ``clinvault deid eval --format nursing``: every member of the ensemble alone, the
ensemble, and presidio out of the box, each timed over the same notes (notes per second of
``detect_batch``, the context-free path that ingest's note scrubber takes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from clinvault.phi.base import PhiDetector, Span
from clinvault.phi.ensemble import EnsembleDetector
from clinvault.phi.evaluation.char_metrics import CharReport, char_report_json, char_score
from clinvault.phi.evaluation.gold import GoldDocument, LabelScheme
from clinvault.phi.evaluation.metrics import EvaluationReport, score


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


def predict(detector: PhiDetector, documents: Sequence[GoldDocument]) -> list[list[Span]]:
    """``detector`` over ``documents``, one batch per run of documents sharing a context."""
    predictions: list[list[Span]] = []
    for context, group in groupby(documents, key=lambda d: d.context):
        predictions += detector.detect_batch([d.text for d in group], context=context)
    return predictions


def member_reports(
    ensemble: EnsembleDetector,
    candidates: Sequence[tuple[str, PhiDetector]],
    documents: Sequence[GoldDocument],
    scheme: LabelScheme,
    *,
    match_types: bool = False,
) -> list[tuple[str, EvaluationReport]]:
    """Token-level reports of each member alone, of the ensemble (its members' spans combined
    by its policy, so no member runs twice) and, per candidate member, of the ensemble with
    that candidate added."""
    texts = [d.text for d in documents]
    runs = [(name, predict(d, documents)) for name, d in [*ensemble.members, *candidates]]
    core = runs[: len(ensemble.members)]
    named: list[tuple[str, list[list[Span]]]] = [
        *runs,
        ("ensemble", ensemble.combine(texts, core)),
    ]
    for run in runs[len(ensemble.members) :]:
        named.append((f"ensemble+{run[0]}", ensemble.combine(texts, [*core, run])))
    return [
        (name, score(documents, predictions, scheme, match_types=match_types))
        for name, predictions in named
    ]
