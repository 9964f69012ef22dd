"""The allow-list: clinical vocabulary that looks like PHI but is not.

Eponyms (Parkinson, Crohn, Hodgkin), drug names and units are capitalized words an NER
model takes for names or organizations. The list is declarative (``vault/allow_list.txt``,
one term or phrase a line, ``#`` comments, case-insensitive, possessive ``'s`` ignored).

- A single-word entry is allowed wherever it occurs.
- A phrase entry (``Wilson disease``) allows its words only inside that phrase, so a
  common surname that is also an eponym stays a name elsewhere (``Mr. Wilson``).

A detected span is dropped when every word in it is allowed. The detector never applies
the list to the patient's own known identifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clinvault.errors import ConfigError

WORD = re.compile(r"\w+", re.UNICODE)
POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Case-folded words of ``text`` with possessives removed (``Crohn's`` -> ``crohn``)."""
    return [w.casefold() for w in WORD.findall(POSSESSIVE.sub("", text))]


def _phrase_pattern(phrase_words: list[str]) -> str:
    separator = r"(?:['’]s)?[\s\-/]+"
    return r"\b" + separator.join(re.escape(w) for w in phrase_words) + r"(?:['’]s)?\b"


@dataclass(frozen=True, slots=True)
class AllowList:
    terms: frozenset[str]
    phrases: re.Pattern[str] | None

    @classmethod
    def load(cls, path: Path) -> AllowList:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"allow-list file {path} cannot be read: {exc.strerror}") from None
        return cls.from_lines(lines)

    @classmethod
    def from_lines(cls, lines: list[str]) -> AllowList:
        terms: set[str] = set()
        patterns: list[str] = []
        for line in lines:
            entry = words(line.split("#", 1)[0])
            if len(entry) == 1:
                terms.add(entry[0])
            elif entry:
                patterns.append(_phrase_pattern(entry))
        patterns.sort(key=len, reverse=True)
        compiled = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
        return cls(frozenset(terms), compiled)

    def phrase_regions(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of ``text`` covered by allowed phrases."""
        if self.phrases is None:
            return []
        return [(m.start(), m.end()) for m in self.phrases.finditer(text)]

    def allows(self, span_text: str, *, start: int = 0, regions: list[tuple[int, int]]) -> bool:
        """True if every word of the span is allowed alone or lies inside an allowed phrase.

        ``start`` is the span's offset in the text ``regions`` came from.
        """
        found = list(WORD.finditer(POSSESSIVE.sub(lambda m: " " * len(m.group()), span_text)))
        if not found:
            return False
        for match in found:
            if match.group().casefold() in self.terms:
                continue
            word_start, word_end = start + match.start(), start + match.end()
            if not any(lo <= word_start and word_end <= hi for lo, hi in regions):
                return False
        return True
