"""Metrics by population slice (sex, age band, race, ethnicity, language) with bootstrap 95%
confidence intervals, and the largest gap between slices flagged above a threshold."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinvault.eval.dataset import SLICE_DIMENSIONS, EvalItem
from clinvault.eval.metrics.aggregate import mean_of

Scores = Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class SliceSettings:
    bootstrap: int = 1000
    seed: int = 7
    gap_threshold: float = 0.10
    min_items: int = 3
    """Slices with fewer measured items get a value and interval but are not compared."""


def bootstrap_ci(
    values: Sequence[float], rng: random.Random, resamples: int
) -> tuple[float, float] | None:
    """Percentile bootstrap 95% interval of the mean; ``None`` for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0]
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples))
    low = means[int(0.025 * (resamples - 1))]
    high = means[int(0.975 * (resamples - 1))]
    return low, high


def slice_table(
    items: Sequence[EvalItem],
    scores: Sequence[Scores],
    metrics: Sequence[str],
    settings: SliceSettings | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{dimension: {value: {metric: {"value", "ci95", "n"}}}}``; unmeasured metrics are
    ``{"value": None, "ci95": None, "n": 0}``."""
    settings = settings or SliceSettings()
    rng = random.Random(settings.seed)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for dimension in SLICE_DIMENSIONS:
        groups: dict[str, list[Scores]] = {}
        for item, item_scores in zip(items, scores, strict=True):
            groups.setdefault(item.demographics.get(dimension, "unknown"), []).append(item_scores)
        table[dimension] = {}
        for value in sorted(groups):
            row: dict[str, Any] = {}
            for metric in metrics:
                measured = [s[metric] for s in groups[value] if s.get(metric) is not None]
                numbers = [float(v) for v in measured if v is not None]
                ci = bootstrap_ci(numbers, rng, settings.bootstrap)
                row[metric] = {
                    "value": mean_of(numbers),
                    "ci95": list(ci) if ci else None,
                    "n": len(numbers),
                }
            table[dimension][value] = row
    return table


def largest_gaps(
    table: Mapping[str, Mapping[str, Mapping[str, Any]]],
    metrics: Sequence[str],
    settings: SliceSettings | None = None,
) -> list[dict[str, Any]]:
    """Per dimension and metric, the gap between its best and worst slice (slices with at
    least ``min_items`` measured items), largest first; ``flagged`` above the threshold."""
    settings = settings or SliceSettings()
    gaps = []
    for dimension, values in table.items():
        for metric in metrics:
            measured = {
                value: row[metric]["value"]
                for value, row in values.items()
                if row[metric]["value"] is not None and row[metric]["n"] >= settings.min_items
            }
            if len(measured) < 2:
                continue
            best = max(measured, key=lambda v: measured[v])
            worst = min(measured, key=lambda v: measured[v])
            gap = measured[best] - measured[worst]
            gaps.append(
                {
                    "dimension": dimension,
                    "metric": metric,
                    "gap": gap,
                    "best": best,
                    "worst": worst,
                    "flagged": gap > settings.gap_threshold,
                }
            )
    return sorted(gaps, key=lambda g: -float(g["gap"]))
