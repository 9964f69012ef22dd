"""Building presidio's ``AnalyzerEngine`` explicitly, offline, from the recognizer config.

``AnalyzerEngine()`` with no arguments tries to download ``en_core_web_lg``; here the NLP
engine is a ``SpacyNlpEngine`` over a verified local model folder, and the registry holds
only the presidio recognizers the config names.
"""

from __future__ import annotations

from pathlib import Path

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, predefined_recognizers
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

from clinvault.errors import ConfigError
from clinvault.phi.recognizer_config import RecognizerConfig

LANGUAGE = "en"
ONTONOTES_LABELS = frozenset(
    {
        "CARDINAL",
        "DATE",
        "EVENT",
        "FAC",
        "GPE",
        "LANGUAGE",
        "LAW",
        "LOC",
        "MONEY",
        "NORP",
        "ORDINAL",
        "ORG",
        "PERCENT",
        "PERSON",
        "PRODUCT",
        "QUANTITY",
        "TIME",
        "WORK_OF_ART",
    }
)
SPACY_RECOGNIZER = "SpacyRecognizer"


def build_nlp_engine(model_dir: Path, config: RecognizerConfig) -> SpacyNlpEngine:
    ner = NerModelConfiguration(
        model_to_presidio_entity_mapping=dict(config.spacy.labels),
        labels_to_ignore=sorted(ONTONOTES_LABELS - set(config.spacy.labels)),
        low_score_entity_names=[],
        default_score=config.spacy.default_score,
    )
    engine = SpacyNlpEngine(
        models=[{"lang_code": LANGUAGE, "model_name": str(model_dir)}],
        ner_model_configuration=ner,
    )
    engine.load()
    return engine


def build_registry(config: RecognizerConfig) -> RecognizerRegistry:
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for name in config.presidio.recognizers:
        recognizer_class = getattr(predefined_recognizers, name, None)
        if recognizer_class is None:
            raise ConfigError(f"presidio has no predefined recognizer named {name!r}")
        if name == SPACY_RECOGNIZER:
            entities = sorted(set(config.spacy.labels.values()))
            registry.add_recognizer(recognizer_class(supported_entities=entities))
        else:
            registry.add_recognizer(recognizer_class())
    return registry


def build_analyzer(model_dir: Path, config: RecognizerConfig) -> AnalyzerEngine:
    """An analyzer over the local model with exactly the configured recognizers."""
    return AnalyzerEngine(
        registry=build_registry(config),
        nlp_engine=build_nlp_engine(model_dir, config),
        supported_languages=[LANGUAGE],
    )
