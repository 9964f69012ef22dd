"""Once a name is found, find it everywhere: ``Dr. Okafor ... Okafor called back``.

A detector sees a name with its cue once and bare later; every further occurrence of a
detected name, and of each of its capitalized words, becomes NAME too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from clinvault.phi.base import PhiType, Span
from clinvault.phi.spans import make_span

MIN_WORD = 3
SOURCE = "name-propagation"


def propagate_names(
    text: str, names: Iterable[Span], is_allowed: Callable[[str], bool], score: float
) -> list[Span]:
    """Further occurrences of the ``names`` (whole and by word) in ``text``."""
    surfaces: set[str] = set()
    for span in names:
        if not is_allowed(span.text):
            surfaces.add(span.text)
        for word in re.findall(r"\w+", span.text):
            if len(word) >= MIN_WORD and word[0].isupper() and not is_allowed(word):
                surfaces.add(word)
    if not surfaces:
        return []
    alternatives = "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    found: list[Span] = []
    for match in pattern.finditer(text):
        occurrence = make_span(text, match.start(), match.end(), PhiType.NAME, score, SOURCE)
        if occurrence is not None:
            found.append(occurrence)
    return found
