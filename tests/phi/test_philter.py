"""The philter member: philter-lite's shipped rules behind ``PhiDetector``, offline."""

from __future__ import annotations

import itertools

import pytest

from clinvault.errors import ConfigError
from clinvault.phi import philter
from clinvault.phi.base import PhiType
from clinvault.phi.philter import PhilterDetector
from clinvault.settings import PhiSettings

pytestmark = pytest.mark.slow

NOTE = "seen by Dr. Smith on 3/12/2099, pager 41234. BP 120/80, lasix 40mg iv q6h."


@pytest.fixture(scope="module")
def detector() -> PhilterDetector:
    return PhilterDetector(PhiSettings())


def test_philter_rules_run_offline_and_find_phi(detector: PhilterDetector) -> None:
    spans = detector.detect(NOTE)
    found = {s.text: s.type for s in spans}
    assert found.get("3/12/2099") is PhiType.DATE
    assert found.get("Smith") is PhiType.NAME
    assert found.get("41234") is PhiType.ID
    assert all(s.source.startswith("philter:") for s in spans)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_clinical_words_and_numbers_philter_whitelists_are_kept(detector: PhilterDetector) -> None:
    hidden = "".join(s.text for s in detector.detect(NOTE))
    for term in ("lasix", "40mg", "q6h", "BP"):
        assert term not in hidden, term


def test_batch_equals_one_by_one(detector: PhilterDetector) -> None:
    texts = [NOTE, "wife called from 617-555-0143 on march 3rd", ""]
    assert detector.detect_batch(texts) == [detector.detect(t) for t in texts]


def test_another_philter_lite_release_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(philter.metadata, "version", lambda _name: "0.7.0")
    with pytest.raises(ConfigError, match=r"0\.6\.0"):
        PhilterDetector(PhiSettings())
