from __future__ import annotations

import pytest

from clinvault.phi.base import PhiType, Span
from clinvault.phi.evaluation.gold import GoldDocument, GoldSpan, LabelScheme
from clinvault.phi.evaluation.metrics import f_beta, score

SCHEME = LabelScheme("t", {"PERSON": PhiType.NAME, "CITY": PhiType.ADDR, "TITLE": None})
TEXT = "Mr. Ann Lee lives in Paris near Lyon."
DOC = GoldDocument(
    TEXT,
    (
        GoldSpan(0, 3, "TITLE"),
        GoldSpan(4, 11, "PERSON"),
        GoldSpan(21, 26, "CITY"),
        GoldSpan(32, 36, "CITY"),
    ),
)


def span(value: str, phi_type: PhiType) -> Span:
    start = TEXT.index(value)
    return Span(start, start + len(value), phi_type, 0.9, value)


def test_token_level_any_type_counts() -> None:
    predicted = [
        span("Mr. Ann", PhiType.NAME),
        span("Paris", PhiType.NAME),
        span("lives", PhiType.NAME),
    ]
    report = score([DOC], [predicted], SCHEME)
    labels = {item.label: item for item in report.labels}
    assert (labels["PERSON"].support, labels["PERSON"].found) == (2, 1)
    assert (labels["CITY"].support, labels["CITY"].found) == (2, 1)
    assert labels["TITLE"].support == 0  # not PHI: not scored
    # predicted tokens: Ann (PHI), Paris (PHI), lives (not); "Mr" is not scored
    assert (report.overall.predicted, report.overall.correct) == (3, 2)
    assert report.overall.recall == pytest.approx(0.5)
    assert report.overall.precision == pytest.approx(2 / 3)


def test_match_types_requires_the_mapped_type() -> None:
    predicted = [span("Paris", PhiType.NAME), span("Lyon", PhiType.ADDR)]
    report = score([DOC], [predicted], SCHEME, match_types=True)
    labels = {item.label: item for item in report.labels}
    assert labels["CITY"].found == 1


def test_f2_weights_recall() -> None:
    assert f_beta(1.0, 0.5) == pytest.approx(5 * 0.5 / (4 + 0.5))
    assert f_beta(0.5, 1.0) == pytest.approx(5 * 0.5 / (4 * 0.5 + 1.0))
    assert f_beta(None, 1.0) is None
