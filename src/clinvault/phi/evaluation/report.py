"""An evaluation report as JSON-ready data."""

from __future__ import annotations

from typing import Any

from clinvault.phi.evaluation.metrics import EvaluationReport, TypeScores


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _scores(scores: TypeScores) -> dict[str, Any]:
    return {
        "support": scores.support,
        "found": scores.found,
        "predicted": scores.predicted,
        "correct": scores.correct,
        "precision": _rounded(scores.precision),
        "recall": _rounded(scores.recall),
        "f2": _rounded(scores.f2),
    }


def report_json(report: EvaluationReport) -> dict[str, Any]:
    return {
        "dataset": report.dataset,
        "documents": report.documents,
        "level": "token",
        "match_types": report.match_types,
        "overall": _scores(report.overall),
        "types": {str(s.phi_type): _scores(s) for s in report.types},
        "labels": {
            item.label: {
                "phi_type": None if item.phi_type is None else str(item.phi_type),
                "treated_as_phi": item.phi_type is not None,
                "support": item.support,
                "found": item.found,
                "recall": _rounded(item.recall),
            }
            for item in report.labels
        },
    }
