"""Clinical safe words: nursing abbreviations, unit types, lab, vital and drug names.

The list ships with the package (``phi/data/clinical_safe_words.txt``, one term a line,
``#`` comments, case-insensitive). It is Philter's whitelist idea applied to what the NER
member guesses: a detected span made only of safe words, numbers, single letters and
function words is not PHI (``NPN``, ``TSICU``, ``q2h``, ``s/p CABG``) unless a person cue precedes it
(``dr``, ``wife``, ``mr``), see :func:`only_clinical`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from spacy.lang.en.stop_words import STOP_WORDS

from clinvault.errors import ConfigError

SAFE_WORDS_RESOURCE = "clinical_safe_words.txt"
WORD = re.compile(r"[a-z0-9][a-z0-9+/]*", re.IGNORECASE)
NUMERIC = re.compile(r"^\d+(?:\.\d+)?(?:[a-z%/]+)?$", re.IGNORECASE)
PERSON_CUE = re.compile(
    r"(?:\b(?:dr|doctor|mr|mrs|ms|miss|np|pa|rn|wife|husband|son|dtr|daughter|sister|brother"
    r"|mother|father|mom|dad|niece|nephew|hcp|proxy|friend)\.?,?\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SafeWords:
    words: frozenset[str]

    @classmethod
    def packaged(cls) -> SafeWords:
        try:
            text = (
                resources.files("clinvault.phi")
                .joinpath("data", SAFE_WORDS_RESOURCE)
                .read_text(encoding="utf-8")
            )
        except OSError:
            raise ConfigError(
                f"the packaged safe-word list {SAFE_WORDS_RESOURCE} is missing"
            ) from None
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> SafeWords:
        words = {
            line.strip().casefold()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        }
        return cls(frozenset(words))

    def is_safe(self, word: str) -> bool:
        folded = word.casefold()
        return folded in self.words or bool(NUMERIC.match(folded)) or len(folded) == 1

    def only_clinical(self, text: str, span_start: int, span_end: int) -> bool:
        """``text[span_start:span_end]`` holds a listed safe word and otherwise only safe
        words, numbers, single letters and function words (``MICU on lasix``), and no person
        cue (``dr``, ``wife``) comes right before it."""
        words = WORD.findall(text[span_start:span_end])
        if not any(w.casefold() in self.words for w in words):
            return False
        if not all(self.is_safe(w) or w.casefold() in STOP_WORDS for w in words):
            return False
        return PERSON_CUE.search(text[max(0, span_start - 24) : span_start]) is None
