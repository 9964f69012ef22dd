"""Lists of personal names and of English words, from installed packages (never downloaded).

- First names and surnames: the 1990 US Census lists shipped by the PyPI package ``names``
  (``dist.male.first``, ``dist.female.first``, ``dist.all.last``, by frequency rank) and
  the per-locale person datasets of ``mimesis`` (Latin-script locales: European, Turkish,
  Brazilian and Spanish-American names the census lacks). Faker is deliberately not used:
  presidio-research's evaluation set was generated from Faker's lists.
- English words: the WordNet lemma index that spaCy's English rule lemmatizer ships in
  the model itself. A name that is also an English word (``Grace``, ``Frank``, ``Will``)
  needs more evidence than one that is not (``Derek``, ``Magnusson``).

Everything is case-folded. Loading takes well under a second and is done once per detector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from clinvault.errors import ConfigError

CENSUS_PACKAGE = "names"
CENSUS_FIRST = ("dist.male.first", "dist.female.first")
CENSUS_LAST = "dist.all.last"
MIMESIS_PACKAGE = "mimesis"
MIMESIS_LOCALES = (
    "cs",
    "da",
    "de",
    "de-at",
    "de-ch",
    "en",
    "en-au",
    "en-ca",
    "en-gb",
    "es",
    "es-mx",
    "et",
    "fi",
    "fr",
    "hr",
    "hu",
    "is",
    "it",
    "nl",
    "nl-be",
    "no",
    "pl",
    "pt",
    "pt-br",
    "sk",
    "sv",
    "tr",
)
LEMMATIZER = "lemmatizer"
LEMMA_INDEX = "lemma_index"
MIN_NAME = 2


def _package_dir(package: str) -> Traversable:
    try:
        return resources.files(package)
    except ModuleNotFoundError:
        raise ConfigError(
            f"the name lists need the Python package {package!r}; install clinvault's dependencies"
        ) from None


def _census(file_name: str, max_rank: int) -> set[str]:
    """Names of one census list up to ``max_rank`` (lines: NAME freq cumfreq rank)."""
    found: set[str] = set()
    for line in (_package_dir(CENSUS_PACKAGE) / file_name).read_text("utf-8").splitlines():
        fields = line.split()
        if len(fields) == 4 and int(fields[3]) <= max_rank:
            found.add(fields[0].casefold())
    return found


def _flatten(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [item for nested in value.values() for item in _flatten(nested)]
    if isinstance(value, list):
        return [item for nested in value for item in _flatten(nested)]
    return []


def _mimesis(key: str) -> set[str]:
    datasets = _package_dir(MIMESIS_PACKAGE) / "datasets"
    found: set[str] = set()
    for locale in MIMESIS_LOCALES:
        data = json.loads((datasets / locale / "person.json").read_text("utf-8"))
        for name in _flatten(data.get(key, [])):
            found.update(part.casefold() for part in name.split())
    return found


def english_words(nlp: Language) -> frozenset[str]:
    """The WordNet lemma index of the model's rule lemmatizer (nouns, verbs, adjectives,
    adverbs); empty words are never names."""
    if LEMMATIZER not in nlp.pipe_names:
        raise ConfigError("the spaCy model has no lemmatizer: cannot tell words from names")
    lookups = nlp.get_pipe(LEMMATIZER).lookups  # type: ignore[attr-defined]
    if not lookups.has_table(LEMMA_INDEX):
        raise ConfigError("the spaCy model's lemmatizer ships no lemma index")
    index = lookups.get_table(LEMMA_INDEX)
    return frozenset(word.casefold() for key in index for word in index[key] if "_" not in word)


def _plausible(names: set[str]) -> frozenset[str]:
    """Alphabetic names of two letters or more that are not function words (``the``,
    ``my`` and ``in`` are names in some locale's list)."""
    return frozenset(n for n in names if len(n) >= MIN_NAME and n.isalpha() and n not in STOP_WORDS)


@dataclass(frozen=True, slots=True)
class NameLexicon:
    first_names: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]

    @classmethod
    def load(cls, nlp: Language, *, census_surname_rank: int) -> NameLexicon:
        first = {n for file in CENSUS_FIRST for n in _census(file, max_rank=10**6)}
        first |= _mimesis("names")
        last = _census(CENSUS_LAST, census_surname_rank) | _mimesis("surnames")
        return cls(_plausible(first), _plausible(last), english_words(nlp))

    def is_first_name(self, word: str) -> bool:
        return word.casefold() in self.first_names

    def is_surname(self, word: str) -> bool:
        return word.casefold() in self.surnames

    def is_name(self, word: str) -> bool:
        folded = word.casefold()
        return folded in self.first_names or folded in self.surnames

    def is_english(self, word: str) -> bool:
        return word.casefold() in self.english
