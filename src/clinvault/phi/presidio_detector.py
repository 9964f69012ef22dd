"""The default PHI detector: presidio + spaCy NER + clinvault's clinical recognizers.

One pass of spaCy (``nlp.pipe``, batched) per text feeds presidio's recognizers; the
clinical recognizers (identifiers, addresses, ZIP codes, date shorthand, ages over 89,
name cues, name shapes such as ``Ravil G Yefimov`` or Synthea's ``Dustin31``) run on the
raw text, and the name line of a contact block is read off the addresses found. Findings
are mapped to :class:`PhiType`, filtered by score, allow-list and date sanity, extended by
name coordination, dialogue speakers and propagation, joined with the deny-list hits and
resolved into non-overlapping spans.
"""

from __future__ import annotations

from collections.abc import Sequence

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Token

from clinvault.phi.allow_list import AllowList
from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.model_pins import verify_model
from clinvault.phi.name_lexicon import NameLexicon
from clinvault.phi.presidio_engine import LANGUAGE, build_analyzer
from clinvault.phi.recognizer_config import RecognizerConfig
from clinvault.phi.recognizers.addresses import StreetAddressRecognizer, ZipCodeRecognizer
from clinvault.phi.recognizers.ages import AgeOver89Recognizer
from clinvault.phi.recognizers.base import TextRecognizer
from clinvault.phi.recognizers.dates import ClinicalDateRecognizer
from clinvault.phi.recognizers.facilities import FacilityRecognizer
from clinvault.phi.recognizers.identifiers import IdentifierRecognizer
from clinvault.phi.recognizers.known_identifiers import KnownIdentifierRecognizer
from clinvault.phi.recognizers.name_lexicon import NameLexiconRecognizer
from clinvault.phi.recognizers.name_propagation import (
    coordinated_names,
    propagate_names,
    quoted_speakers,
)
from clinvault.phi.recognizers.name_shapes import (
    CONTACT_BLOCK,
    DigitSuffixedNameRecognizer,
    InitialedNameRecognizer,
    contact_block_names,
)
from clinvault.phi.recognizers.ner_filters import plausible_ner_span
from clinvault.phi.recognizers.person_cues import (
    PersonCueRecognizer,
    is_cue_word,
)
from clinvault.phi.recognizers.phones import PhoneNumberRecognizer
from clinvault.phi.spans import make_span, name_core, resolve_overlaps
from clinvault.settings import PhiSettings

ALLOWABLE = frozenset({PhiType.NAME, PhiType.ORG, PhiType.ADDR})
PROPAGATED_SCORE = 0.8
KNOWN = KnownIdentifierRecognizer.name
PROPER_NOUN_TAGS = frozenset({"NNP", "NNPS"})
CUED_NAME_SOURCES = frozenset(
    {
        PersonCueRecognizer.name,
        NameLexiconRecognizer.name,
        InitialedNameRecognizer.name,
        DigitSuffixedNameRecognizer.name,
        CONTACT_BLOCK,
    }
)


class PresidioDetector:
    """Loads the model once (after checking its pins); thread-compatible, not thread-safe."""

    def __init__(self, settings: PhiSettings) -> None:
        config = RecognizerConfig.load(settings.recognizers_file)
        self._allow = AllowList.load(settings.allow_list_file)
        model_dir = verify_model(settings.spacy_model, settings.model_pins_file)
        self._analyzer: AnalyzerEngine = build_analyzer(model_dir, config)
        self._entity_types = dict(config.presidio.entity_types)
        self._entities = sorted(self._entity_types)
        self._threshold = settings.score_threshold
        self._batch_size = settings.batch_size
        self._names = (
            NameLexiconRecognizer(
                NameLexicon.load(
                    self._analyzer.nlp_engine.nlp[LANGUAGE],  # type: ignore[attr-defined]
                    census_surname_rank=config.names.census_surname_rank,
                )
            )
            if config.names.enabled
            else None
        )
        self._recognizers: tuple[TextRecognizer, ...] = (
            IdentifierRecognizer(config.identifier_patterns()),
            PhoneNumberRecognizer(),
            StreetAddressRecognizer(),
            ZipCodeRecognizer(),
            ClinicalDateRecognizer(),
            AgeOver89Recognizer(),
            PersonCueRecognizer(self._names.lexicon.is_english if self._names else None),
            FacilityRecognizer(),
        )
        if self._names is not None:
            self._recognizers += (
                InitialedNameRecognizer(self._names.lexicon),
                DigitSuffixedNameRecognizer(self._names.lexicon, self._allow),
            )
        self._known = KnownIdentifierRecognizer()

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text], context=context)[0]

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        context = context or DetectionContext()
        batch = self._analyzer.nlp_engine.process_batch(
            list(texts), language=LANGUAGE, batch_size=self._batch_size
        )
        return [
            self._spans(original, artifacts, context)
            for original, (_, artifacts) in zip(texts, batch, strict=True)
        ]

    def _spans(self, text: str, artifacts: NlpArtifacts, context: DetectionContext) -> list[Span]:
        found = self._presidio_spans(text, artifacts)
        for recognizer in self._recognizers:
            found += recognizer.find(text, context)
        if self._names is not None:
            found += self._names.find(text, artifacts.tokens)
            addresses = [s for s in found if s.type is PhiType.ADDR]
            found += contact_block_names(text, addresses, self._names.lexicon)
        regions = self._allow.phrase_regions(text)
        kept = [s for s in found if s.score >= self._threshold and not self._allowed(s, regions)]
        names = [span for span in kept if span.type is PhiType.NAME]
        coordinated = coordinated_names(
            text, names, self._spreads_as_name, PROPAGATED_SCORE, self._listed_name
        )
        coordinated += quoted_speakers(text, self._speaker, PROPAGATED_SCORE)
        cued = [s for s in names if s.source in CUED_NAME_SOURCES]
        guessed = [*coordinated, *(s for s in names if s.source not in CUED_NAME_SOURCES)]
        spread = [
            *propagate_names(text, cued, self._spreads_if_cued, PROPAGATED_SCORE),
            *propagate_names(text, guessed, self._spreads_as_name, PROPAGATED_SCORE),
        ]
        kept += [span for span in [*coordinated, *spread] if not self._allowed(span, regions)]
        known = self._known.find(text, context)
        resolved = resolve_overlaps(text, [*kept, *known])
        # Overlap resolution can leave a remainder made only of allowed words; the deny-list
        # (known identifiers) is never filtered.
        return [s for s in resolved if s.source == KNOWN or not self._allowed(s, regions)]

    def _allowed(self, span: Span, regions: list[tuple[int, int]]) -> bool:
        return span.type in ALLOWABLE and self._allow.allows(
            span.text, start=span.start, regions=regions
        )

    def _spreads_if_cued(self, word: str) -> bool:
        """A word of a name signalled by its context (``Caller: Will Joseph``) marks the
        name elsewhere too unless it is allowed, a cue or a function word."""
        return not (
            self._allow.allows(word, regions=[])
            or is_cue_word(word)
            or word.casefold() in STOP_WORDS
        )

    def _spreads_as_name(self, word: str) -> bool:
        """A word of a name NER or a list guessed spreads only if it is not also an English
        word (``Love`` from a song title, ``Union`` from ``European Union``)."""
        if not self._spreads_if_cued(word):
            return False
        return self._names is None or not self._names.lexicon.is_english(word)

    def _listed_name(self, word: str) -> bool:
        """A lowercase word in a list of names is one when it is on the name lists."""
        return (
            self._names is not None
            and self._names.lexicon.is_name(word)
            and self._spreads_if_cued(word)
        )

    def _speaker(self, word: str) -> bool:
        """A dialogue speaker: a listed name, or a capitalized word of no English."""
        if self._names is None or not self._spreads_if_cued(word):
            return False
        if self._names.lexicon.is_first_name(word):
            return True
        return word[0].isupper() and not self._names.lexicon.is_english(word)

    def _presidio_spans(self, text: str, artifacts: NlpArtifacts) -> list[Span]:
        results: list[RecognizerResult] = self._analyzer.analyze(
            text=text, language=LANGUAGE, entities=self._entities, nlp_artifacts=artifacts
        )
        regions = self._allow.phrase_regions(text)
        spans: list[Span] = []
        for result in results:
            phi_type = self._entity_types.get(result.entity_type)
            if phi_type is None:
                continue
            span = make_span(
                text,
                result.start,
                result.end,
                phi_type,
                float(result.score),
                f"presidio:{result.entity_type}",
            )
            if span is None or not plausible_ner_span(span):
                continue
            if span.type in ALLOWABLE:
                spans += self._proper_noun_pieces(text, span, artifacts, regions)
            else:
                spans.append(span)
        return spans

    def _proper_noun_pieces(
        self, text: str, span: Span, artifacts: NlpArtifacts, regions: list[tuple[int, int]]
    ) -> list[Span]:
        """An NER entity without its allowed and cue words (``Started Crohn`` -> nothing,
        ``Daughter Maria Lopez`` -> ``Maria Lopez``): each remaining run of tokens on one
        line is kept when the tagger calls one of its tokens a proper noun and it is not a
        field label (``Phone:``)."""
        pieces: list[Span] = []
        run: list[Token] = []
        tokens = self._tokens_in(artifacts, span)
        for token in [*tokens, None]:
            if token is not None and not self._filler(token, regions):
                run.append(token)
                if "\n" not in token.whitespace_:
                    continue
                token = None
            if run and any(t.tag_ in PROPER_NOUN_TAGS for t in run) and not self._label(run):
                end = run[-1].idx + len(run[-1].text)
                piece = make_span(
                    text, run[0].idx, min(end, span.end), span.type, span.score, span.source
                )
                if piece is not None and piece.type is PhiType.NAME:
                    piece = name_core(text, piece)
                if piece is not None:
                    pieces.append(piece)
            run = []
        return pieces

    @staticmethod
    def _tokens_in(artifacts: NlpArtifacts, span: Span) -> list[Token]:
        """The tokens starting inside ``span``, looked up by offset (not a scan of the note:
        that scan was a quarter of the detector's time on long notes)."""
        doc = artifacts.tokens
        window = doc.char_span(span.start, span.end, alignment_mode="expand")
        if window is None:
            return [t for t in doc if span.start <= t.idx < span.end]
        return [t for t in window if span.start <= t.idx < span.end]

    def _label(self, run: list[Token]) -> bool:
        """``Phone:``, ``Address:``: one English word ending a line's field name."""
        last = run[-1]
        following = last.nbor(1) if last.i + 1 < len(last.doc) else None
        return (
            len(run) == 1
            and following is not None
            and following.text == ":"
            and self._names is not None
            and self._names.lexicon.is_english(last.text)
            and not self._names.lexicon.is_name(last.text)
        )

    def _filler(self, token: Token, regions: list[tuple[int, int]]) -> bool:
        return bool(
            token.is_punct
            or token.is_space
            or is_cue_word(token.text)
            or self._allow.allows(token.text, start=token.idx, regions=regions)
        )
