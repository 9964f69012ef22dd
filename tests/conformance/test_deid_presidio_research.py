"""The PHI detector on presidio-research's synthetic PII set (1,500 sentences).

Token-level recall per label (any PHI type counts: the token is hidden either way). The
issue's bar is 0.95 recall for PERSON, PHONE_NUMBER, EMAIL_ADDRESS, US_SSN and
STREET_ADDRESS; all five meet it (measured: PERSON 0.962, STREET_ADDRESS 0.967,
PHONE_NUMBER 0.971, EMAIL_ADDRESS and US_SSN 1.0). What is still missed on this
non-clinical, multilingual set: single names with no cue, no list entry and no telling
shape (``Tomomi is from ...``), Greek-script city lines, and the set's ``nan``
placeholders for a missing state.

The ensemble (that detector plus the nursing-note rules, with the safe-word rescue) must not
lose this ground on non-clinical text; measured: PERSON 0.961, STREET_ADDRESS 0.967,
PHONE_NUMBER 0.971, EMAIL_ADDRESS and US_SSN 1.0, GPE 0.771 -> 0.806, overall token
recall 0.923 -> 0.926 at precision 0.914 -> 0.911.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.phi import build_detector
from clinvault.phi.ensemble import EnsembleDetector
from clinvault.phi.evaluation.metrics import EvaluationReport, evaluate
from clinvault.phi.evaluation.presidio_research import PRESIDIO_RESEARCH, load_presidio_research
from clinvault.phi.evaluation.report import report_json
from clinvault.settings import PhiSettings

pytestmark = pytest.mark.slow

DATASET = Path("deid") / "presidio_research_synthetic_pii" / "synth_dataset_v2.json"
TARGET = 0.95
TARGETED = ("PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "US_SSN", "STREET_ADDRESS")


@pytest.fixture(scope="module")
def report(shared_data: Path) -> EvaluationReport:
    documents = load_presidio_research(shared_data / DATASET)
    result = evaluate(build_detector(PhiSettings(backend="presidio")), documents, PRESIDIO_RESEARCH)
    print(json.dumps(report_json(result), indent=2))  # the figures, with pytest -s
    return result


@pytest.fixture(scope="module")
def ensemble_report(shared_data: Path) -> EvaluationReport:
    documents = load_presidio_research(shared_data / DATASET)
    detector = EnsembleDetector.from_settings(PhiSettings())
    return evaluate(detector, documents, PRESIDIO_RESEARCH)


def recall(report: EvaluationReport, label: str) -> float:
    [item] = [item for item in report.labels if item.label == label]
    assert item.recall is not None
    return item.recall


def test_every_item_is_scored(report: EvaluationReport) -> None:
    assert report.documents == 1500
    assert report.overall.support > 5000


@pytest.mark.parametrize("label", TARGETED)
def test_recall_meets_the_target(report: EvaluationReport, label: str) -> None:
    assert recall(report, label) >= TARGET


def test_overall_precision_stays_high(report: EvaluationReport) -> None:
    assert report.overall.precision is not None
    assert report.overall.precision >= 0.9


@pytest.mark.parametrize("label", TARGETED)
def test_ensemble_keeps_the_target(ensemble_report: EvaluationReport, label: str) -> None:
    assert recall(ensemble_report, label) >= TARGET


def test_ensemble_keeps_precision_and_recall(
    report: EvaluationReport, ensemble_report: EvaluationReport
) -> None:
    assert ensemble_report.overall.precision is not None
    assert ensemble_report.overall.precision >= 0.9
    assert ensemble_report.overall.recall is not None
    assert report.overall.recall is not None
    assert ensemble_report.overall.recall >= report.overall.recall
