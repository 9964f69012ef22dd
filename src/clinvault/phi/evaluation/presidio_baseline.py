"""presidio out of the box, as a :class:`~clinvault.phi.base.PhiDetector`, for comparison.

``AnalyzerEngine`` with its default recognizers over the same verified small spaCy model
(its default ``en_core_web_lg`` would need a download), called note by note as a user would;
every entity it reports counts as PHI (mapped to the nearest clinvault type).
"""

from __future__ import annotations

from collections.abc import Sequence

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.model_pins import verify_model
from clinvault.phi.spans import make_span, resolve_overlaps
from clinvault.settings import PhiSettings

ENTITY_TYPES = {
    "PERSON": PhiType.NAME,
    "LOCATION": PhiType.ADDR,
    "NRP": PhiType.ORG,
    "DATE_TIME": PhiType.DATE,
    "PHONE_NUMBER": PhiType.PHONE,
    "EMAIL_ADDRESS": PhiType.EMAIL,
    "US_SSN": PhiType.SSN,
    "URL": PhiType.URL,
    "IP_ADDRESS": PhiType.IP,
}
SOURCE = "presidio-ootb"


class PresidioOutOfTheBox:
    def __init__(self, settings: PhiSettings) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        model_dir = verify_model(settings.spacy_model, settings.model_pins_file)
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(model_dir)}])
        self._analyzer = AnalyzerEngine(nlp_engine=engine)

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        spans: list[Span] = []
        for result in self._analyzer.analyze(text=text, language="en"):
            kind = ENTITY_TYPES.get(result.entity_type, PhiType.ID)
            span = make_span(text, result.start, result.end, kind, float(result.score), SOURCE)
            if span is not None:
                spans.append(span)
        return resolve_overlaps(text, spans)

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        return [self.detect(text) for text in texts]
