"""From item scores to run figures: means over the items a metric measures, percentiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clinvault.eval.metrics.latency import percentile

Figures = dict[str, float | None]


def mean_of(values: Sequence[float | None]) -> float | None:
    measured = [v for v in values if v is not None]
    return sum(measured) / len(measured) if measured else None


def aggregate(item_scores: Sequence[Mapping[str, float | None]], metrics: Sequence[str]) -> Figures:
    """Mean of each metric over the items that measure it; ``None`` if none does."""
    return {name: mean_of([s.get(name) for s in item_scores]) for name in metrics}


def latency_figures(latencies_ms: Sequence[float]) -> Figures:
    return {
        "latency_p50_ms": percentile(latencies_ms, 50),
        "latency_p95_ms": percentile(latencies_ms, 95),
    }
