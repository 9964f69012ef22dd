"""How the offline evidence model compares words: simple stemming and a few synonym groups.

A question and the evidence rarely use the same word form: "How far does the patient walk
each day?" is answered by "walks his dog 5 miles daily", "What pet does the patient live
with?" by "Lives with his two cats". Every word is reduced to a *key*: its stem (plural, -ing
and -ed endings and a final e removed: ``walks``, ``walking`` and ``walked`` are ``walk``),
then the name of its synonym group when it has one (``cats``, ``dog`` and ``animal`` are
``pet``). In evidence, a hyphenated word also counts as its parts and two adjacent words
as their hyphenated pair, so "after-school" and "after school" match each other; a question
word still counts once (``follow-up`` is one asked word, not two).

Keys only decide which evidence is quoted; what an answer says is always a verbatim quote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from itertools import pairwise
from types import MappingProxyType

_WORD = re.compile(r"[a-z0-9][a-z0-9'.-]*[a-z0-9]|[a-z0-9]")
_VOWELS = frozenset("aeiouy")
_UNDOUBLED = frozenset("lsz")
"""Doubled final letters kept when an ending is removed ("called", "passed")."""

SYNONYMS: tuple[tuple[str, str], ...] = (
    ("pet", "pets animal animals dog dogs cat cats puppy kitten parrot bird rabbit beagle"),
    (
        "smoke",
        "smokes smoked smoking smoker smokers tobacco cigarette cigarettes cigar cigars "
        "nicotine vape vaping pack-years",
    ),
    ("alcohol", "alcoholic etoh beer beers wine liquor"),
    (
        "occupation",
        "occupations job jobs work works working worked employed employment employer "
        "profession career retired",
    ),
    ("live", "lives lived living reside resides resided residing"),
    ("day", "days daily"),
    ("week", "weeks weekly"),
    ("distance", "far mile miles kilometer kilometers km"),
    ("feed", "fed feeds feeding feedings breastfed breastfeeding"),
    ("travel", "travels traveled travelled traveling travelling trip trips"),
    ("aid", "aids cane canes walker walkers rollator wheelchair crutch crutches"),
    (
        "activity",
        "activities sport sports hobby hobbies soccer basketball baseball swimming karate violin",
    ),
    ("coffee", "caffeine espresso"),
    ("influenza", "flu flus grippe"),
)
"""Words that name the same thing in a question and in a note, by the group's key word.
They cover the facts notes state in free text: pets, smoking, alcohol, occupation, who the
patient lives with, how far and how often, feeding, travel, mobility aids, activities; and
lay names of coded concepts ("flu" is the CVX display's "Influenza")."""


def stem(word: str) -> str:
    """``word`` without its plural, -ing, -ed or final e ending, when enough is left."""
    word = word.removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[: -len(ending)]
            if not any(ch in _VOWELS for ch in base):
                return word
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in _VOWELS | _UNDOUBLED:
                base = base[:-1]
            return base.removesuffix("e") if len(base) >= 5 else base
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:-1] if len(word) >= 5 and word.endswith("e") else word


@cache
def _synonym_keys() -> Mapping[str, str]:
    keys: dict[str, str] = {}
    for key, words in SYNONYMS:
        for word in (key, *words.split()):
            keys[stem(word)] = key
    return MappingProxyType(keys)


def key(word: str) -> str:
    """The form ``word`` is compared by: its synonym group, else its stem."""
    stemmed = stem(word)
    return _synonym_keys().get(stemmed, stemmed)


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded; a hyphenated word is one word."""
    return _WORD.findall(text.casefold())


def keys(text: str) -> frozenset[str]:
    """The keys ``text`` can match: of each word, of each part of a hyphenated word, and of
    each two words only a space apart joined by a hyphen ("after school" is "after-school")."""
    folded = text.casefold()
    found = list(_WORD.finditer(folded))
    out = {key(match.group()) for match in found}
    out.update(key(part) for m in found if "-" in m.group() for part in m.group().split("-"))
    out.update(
        key(f"{first.group()}-{second.group()}")
        for first, second in pairwise(found)
        if folded[first.end() : second.start()].isspace()
    )
    out.discard("")
    return frozenset(out)
