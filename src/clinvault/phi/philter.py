"""The ``philter`` member: philter-lite (UCSF Philter's rules), wrapped behind ``PhiDetector``.

philter-lite (PyPI, BSD-3-Clause, a fork of ``philter-ucsf``) ships Philter's published
configuration ``philter_delta.toml``: ~310 ordered filters — regexes for dates, numbers,
addresses and contact details, safe-word regexes and whitelists (``exclude = false``), name
blacklists restricted to proper nouns, context rules around found names and initials. Those
filters, their data and philter-lite's own matching functions are used as they ship; nothing
of them is copied here.

One part cannot run offline: ``philter_lite.detect_phi`` part-of-speech tags every note with
``nltk.pos_tag``, whose model (``averaged_perceptron_tagger_eng``) NLTK downloads at run time
and no PyPI package ships. This wrapper therefore runs the same per-filter steps as
``detect_phi`` (the dispatch over philter-lite's ``_map_regex`` / ``_map_set`` /
``_map_regex_context`` / ``_map_parts_of_speech`` and ``_get_exclude_include_maps``), with the
Penn Treebank tags of the pinned, verified spaCy model (the same tag set NLTK's tagger emits)
over philter-lite's own tokenization (``_get_clean``). Those are private functions of
philter-lite: the version is pinned (:data:`PHILTER_VERSION`) and checked at load.

Philter types only dates; every other hit is ``OTHER``. Here ``OTHER`` becomes ``ID`` when it
holds a digit and ``NAME`` otherwise (the vault token kind; any type hides the text).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata, resources
from typing import Any

from clinvault.errors import ConfigError
from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.model_pins import verify_model
from clinvault.phi.spans import make_span, resolve_overlaps
from clinvault.settings import PhiSettings

SOURCE = "philter"
PHILTER_VERSION = "0.6.0"
"""The philter-lite release whose private matching functions this wrapper calls."""
CONFIG = "philter_delta.toml"
SPACY_EXCLUDE = ("parser", "ner", "lemmatizer", "senter")
"""Only the tagger (and what it needs) runs: Philter wants part-of-speech tags alone."""
BATCH = 64


def _philter_type(phi_type: str, text: str) -> PhiType:
    if phi_type == "DATE":
        return PhiType.DATE
    if phi_type == "Email":
        return PhiType.EMAIL
    if phi_type == "Patient_Social_Security_Number":
        return PhiType.SSN
    if phi_type == "Provider_Address_or_Location":
        return PhiType.ADDR
    if phi_type == "Age":
        return PhiType.AGE
    if phi_type == "Name":
        return PhiType.NAME
    return PhiType.ID if any(c.isdigit() for c in text) else PhiType.NAME


class PhilterDetector:
    """philter-lite's filters over spaCy part-of-speech tags; thread-compatible (spaCy's)."""

    name = SOURCE

    def __init__(self, settings: PhiSettings) -> None:
        try:
            version = metadata.version("philter-lite")
        except metadata.PackageNotFoundError:
            raise ConfigError(
                "the philter member needs philter-lite (pip install philter-lite)"
            ) from None
        if version != PHILTER_VERSION:
            raise ConfigError(
                f"the philter member is written against philter-lite {PHILTER_VERSION}, "
                f"found {version}"
            )
        import spacy
        from philter_lite import load_filters
        from philter_lite import philter as engine

        self._engine: Any = engine
        config = resources.files("philter_lite").joinpath("configs", CONFIG)
        with resources.as_file(config) as path:
            self._filters: list[Any] = list(load_filters(str(path)))
        model_dir = verify_model(settings.spacy_model, settings.model_pins_file)
        self._nlp: Any = spacy.load(model_dir, exclude=list(SPACY_EXCLUDE))

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text], context=context)[0]

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        from spacy.tokens import Doc

        words = [list(self._engine._get_clean(text)) for text in texts]
        docs = (Doc(self._nlp.vocab, words=w, spaces=[False] * len(w)) for w in words)
        tagged = [
            [(token.text, token.tag_) for token in doc]
            for doc in self._nlp.pipe(docs, batch_size=BATCH)
        ]
        return [self._spans(text, pos) for text, pos in zip(texts, tagged, strict=True)]

    def _spans(self, text: str, pos_list: list[tuple[str, str]]) -> list[Span]:
        spans: list[Span] = []
        for phi_type, coords in self._phi(text, pos_list).items():
            for start, stop in coords.filecoords():
                kind = _philter_type(phi_type, text[start:stop])
                span = make_span(text, start, stop, kind, 0.7, f"{SOURCE}:{phi_type}")
                if span is not None:
                    spans.append(span)
        return resolve_overlaps(text, spans)

    def _phi(self, text: str, pos_list: list[tuple[str, str]]) -> dict[str, Any]:
        """philter-lite's ``detect_phi`` steps, per filter in the configured order."""
        engine = self._engine
        coordinate_map = engine.CoordinateMap
        pattern_coords = {f.title: coordinate_map() for f in self._filters}
        include, exclude = coordinate_map(), coordinate_map()
        by_type = {t: coordinate_map() for t in [*engine.DEFAULT_PHI_TYPE_LIST, "OTHER"]}
        tracker = engine.DataTracker(text, [], [])
        for f in self._filters:
            coords = pattern_coords[f.title]
            if f.type == "regex":
                engine._map_regex(text=text, coord_map=coords, pattern=f)
            elif f.type == "set":
                engine._map_set(pos_list=pos_list, coord_map=coords, pattern=f)
            elif f.type == "regex_context":
                engine._map_regex_context(
                    text=text,
                    coord_map=coords,
                    all_patterns=pattern_coords,
                    include_map=include,
                    pattern=f,
                )
            elif f.type == "pos_matcher":
                engine._map_parts_of_speech(pos_list=pos_list, coord_map=coords, pattern=f)
            elif f.type == "match_all":
                engine._match_all(text=text, coord_map=coords)
            else:
                raise ConfigError(f"philter filter {f.title!r}: unsupported type {f.type!r}")
            engine._get_exclude_include_maps(f, text, coords, include, exclude, by_type, tracker)
        return by_type


def build_philter(settings: PhiSettings) -> PhilterDetector:
    """The registry factory of the ``philter`` member (scored alone by ``deid eval``)."""
    return PhilterDetector(settings)
