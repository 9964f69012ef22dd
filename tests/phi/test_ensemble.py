"""The ensemble's policy with stand-in members: union, rescue, overlap resolution, fail closed."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from clinvault.errors import PrivacyError
from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.ensemble import DetectorFailed, EnsembleDetector
from clinvault.phi.safe_words import SafeWords

SAFE = SafeWords.parse("npn\nmicu\nlasix\n")


class Fixed:
    """A member that reports fixed (value, type, source) finds in every text."""

    def __init__(self, finds: Sequence[tuple[str, PhiType, str]]) -> None:
        self.finds = finds

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        spans = []
        for value, kind, source in self.finds:
            start = text.find(value)
            if start >= 0:
                spans.append(Span(start, start + len(value), kind, 0.8, value, source))
        return spans

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        return [self.detect(text, context=context) for text in texts]


class Broken:
    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        raise RuntimeError(f"model crashed on {text}")

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        raise RuntimeError(f"model crashed on {texts[0]}")


class Short(Fixed):
    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        return []


TEXT = "NPN 3-11 oct 2: wife mary in, to MICU on lasix; dr Micu; BP 168/80"


def values(spans: list[Span]) -> set[str]:
    return {span.text for span in spans}


def test_union_of_members() -> None:
    ensemble = EnsembleDetector(
        [
            ("presidio", Fixed([("mary", PhiType.NAME, "presidio:PERSON")])),
            ("rules", Fixed([("oct 2", PhiType.DATE, "rules")])),
        ],
        SAFE,
    )
    assert values(ensemble.detect(TEXT)) == {"mary", "oct 2"}


def test_rescue_drops_ner_guesses_made_of_safe_words_only() -> None:
    ner = Fixed(
        [
            ("NPN", PhiType.ORG, "presidio:ORGANIZATION"),
            ("MICU on lasix", PhiType.ORG, "presidio:ORGANIZATION"),
            ("Micu", PhiType.NAME, "presidio:PERSON"),  # cued by "dr ": kept
            ("mary", PhiType.NAME, "presidio:PERSON"),
        ]
    )
    ensemble = EnsembleDetector([("presidio", ner)], SAFE)
    assert values(ensemble.detect(TEXT)) == {"Micu", "mary"}


def test_rescue_spares_patterns_and_known_identifiers() -> None:
    finds = [
        ("NPN", PhiType.ORG, "known-identifier"),
        ("MICU", PhiType.ADDR, "street-address"),
    ]
    ensemble = EnsembleDetector([("presidio", Fixed(finds))], SAFE)
    assert values(ensemble.detect(TEXT)) == {"NPN", "MICU"}


def test_rescue_cuts_shift_hours_and_blood_pressures() -> None:
    finds = [
        ("3-11 oct 2", PhiType.DATE, "presidio:DATE_TIME"),
        ("168/80", PhiType.PHONE, "presidio:PHONE_NUMBER"),
    ]
    ensemble = EnsembleDetector([("presidio", Fixed(finds))], SAFE)
    assert values(ensemble.detect(TEXT)) == {"oct 2"}


def test_overlaps_resolve_to_the_longer_span() -> None:
    ensemble = EnsembleDetector(
        [
            ("presidio", Fixed([("wife mary", PhiType.NAME, "presidio:PERSON")])),
            ("rules", Fixed([("mary", PhiType.NAME, "rules")])),
        ],
        SAFE,
    )
    assert values(ensemble.detect(TEXT)) == {"wife mary"}


@pytest.mark.parametrize("member", [Broken(), Short([])])
def test_a_failing_member_refuses_the_text(member: object) -> None:
    ensemble = EnsembleDetector(
        [("presidio", Fixed([("mary", PhiType.NAME, "presidio:PERSON")])), ("rules", member)],  # type: ignore[list-item]
        SAFE,
    )
    with pytest.raises(DetectorFailed) as caught:
        ensemble.detect_batch([TEXT])
    assert isinstance(caught.value, PrivacyError)
    assert "mary" not in str(caught.value)
    assert "rules" in str(caught.value)
    assert caught.value.__cause__ is None  # the member's own message may quote the text
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.slow
def test_settings_choose_the_ensemble_backend() -> None:
    from clinvault.phi import build_detector
    from clinvault.settings import PhiSettings

    detector = build_detector(PhiSettings(backend="ensemble"))
    assert isinstance(detector, EnsembleDetector)
    assert [name for name, _ in detector.members] == ["presidio", "rules"]
    spans = detector.detect("NPN 7p-7a: to MICU from OSH. wife mary called, pager 41234. --JD RN")
    hidden = " | ".join(s.text for s in spans)
    for phi in ("mary", "41234", "JD"):
        assert phi in hidden
    for clinical in ("NPN", "7p", "MICU", "OSH", "RN"):
        assert clinical not in hidden
