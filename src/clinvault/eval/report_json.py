"""``report.json``: overall figures, slices, gaps, run facts and per-item scores.

No answer text, question text or identifier goes in: only item ids, categories, statuses,
reason codes and numbers, so the report can be shared with a review committee.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from clinvault.eval.build import FAMILIES
from clinvault.eval.metrics.aggregate import aggregate
from clinvault.eval.metrics.scoring import ITEM_METRICS
from clinvault.eval.runner import RunResult
from clinvault.eval.slices import SliceSettings, largest_gaps, slice_table

REPORT_VERSION = 1


def build_report(result: RunResult, slice_settings: SliceSettings | None = None) -> dict[str, Any]:
    settings = slice_settings or SliceSettings()
    table = slice_table(result.items, result.scores, ITEM_METRICS, settings)
    gaps = largest_gaps(table, ITEM_METRICS, settings)
    return {
        "version": REPORT_VERSION,
        "overall": {k: _finite(v) for k, v in result.overall.items()},
        "families": families(result),
        "slices": table,
        "gaps": {
            "threshold": settings.gap_threshold,
            "largest": gaps[0] if gaps else None,
            "flagged": [g for g in gaps if g["flagged"]],
        },
        "run": result.run,
        "latencies_ms": [round(v, 3) for v in result.latencies_ms],
        "items": [
            {
                "id": item.id,
                "category": item.category,
                "status": outcome.status,
                "reason": outcome.reason,
                "scores": scores,
            }
            for item, outcome, scores in zip(
                result.items, result.outcomes, result.scores, strict=True
            )
        ],
    }


def families(result: RunResult) -> dict[str, dict[str, Any]]:
    """Each question family's figures on its own items (``n`` items), families with none left
    out; every category of a built dataset not in a family is under ``templates``."""
    groups: dict[str, list[dict[str, float | None]]] = {}
    for item, scores in zip(result.items, result.scores, strict=True):
        family = item.category if item.category in FAMILIES else "templates"
        groups.setdefault(family, []).append(scores)
    out: dict[str, dict[str, Any]] = {}
    for family in ("templates", *FAMILIES):
        if family in groups:
            figures = aggregate(groups[family], ITEM_METRICS)
            out[family] = {
                "n": len(groups[family]),
                "metrics": {k: _finite(v) for k, v in figures.items() if v is not None},
            }
    return out


def _finite(value: float | None) -> float | None:
    """A metric is a finite number or ``None`` (unmeasured): never NaN."""
    if value is None or math.isnan(value):
        return None
    return value


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_report(path: Path) -> dict[str, Any]:
    from clinvault.errors import InputError, UnusableInputError

    if not path.is_file():
        raise UnusableInputError("report file not found", where=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise InputError("not valid JSON", where=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("overall"), dict):
        raise InputError("not an eval report: no 'overall' object", where=str(path))
    return data
