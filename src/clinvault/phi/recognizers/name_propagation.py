"""Once a name is found, find it everywhere: ``Dr. Okafor ... Okafor called back``.

A detector sees a name with its cue once and bare later; every further occurrence of a
detected name, and of each of its capitalized words, becomes NAME too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from clinvault.phi.base import PhiType, Span
from clinvault.phi.spans import make_span, name_core

MIN_WORD = 3
SOURCE = "name-propagation"


def propagate_names(
    text: str, names: Iterable[Span], is_name_word: Callable[[str], bool], score: float
) -> list[Span]:
    """Further occurrences of the ``names`` (whole and by word) in ``text``.

    Only words ``is_name_word`` accepts spread (not ``The``, ``Phone`` or an eponym that
    NER took for part of a name); a whole name spreads when one of its words does.
    """
    surfaces: set[str] = set()
    speaking: set[str] = set()
    for span in names:
        words = re.findall(r"\w+", span.text)
        capitalized = [w for w in words if len(w) >= MIN_WORD and w[0].isupper()]
        spreading = [w for w in capitalized if is_name_word(w)]
        surfaces.update(spreading)
        if spreading:
            surfaces.add(span.text)
        if len(words) > 1:
            # a word of a detected full name that is also an English word ("Will Hartley")
            # spreads only where it acts as a person: "Will says ..."
            speaking.update(w for w in capitalized if w not in spreading)
    found: list[Span] = []
    patterns = []
    if surfaces:
        alternatives = "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True))
        patterns.append(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"))
    if speaking:
        alternatives = "|".join(re.escape(s) for s in sorted(speaking, key=len, reverse=True))
        patterns.append(re.compile(rf"(?<!\w)(?:{alternatives})(?=[ \t]+{SPEECH_VERBS}\b)"))
    for pattern in patterns:
        for match in pattern.finditer(text):
            occurrence = make_span(text, match.start(), match.end(), PhiType.NAME, score, SOURCE)
            if occurrence is not None:
                found.append(occurrence)
    return found


SPEECH_VERBS = (
    r"(?:says|said|reports|reported|states|stated|called|calls|mentioned|mentions|asked|asks|"
    r"notes|noted|thinks|thought|told|tells|feels|felt|explained|explains|adds|added|agreed|"
    r"agrees|confirmed|confirms|denies|denied|worries|worried|wants|wanted|requests|requested)"
)
"""Verbs after which a capitalized word that is part of a detected name is that person."""


MEMBER = r"[^\W\d_][\w'’\-]+"
COORDINATED = re.compile(
    rf"(?<![\w\-])(?:{MEMBER},[ \t]+)*{MEMBER},?[ \t]+(?:and|&|or)[ \t]+{MEMBER}(?![\w\-])"
)
"""``Isabel, Teresa and Jodi``, ``Nekolná and Pearson``: coordinated single words."""
SPEAKER = re.compile(rf"^[ \t]*(?P<member>{MEMBER})[ \t]*:", re.MULTILINE)
"""``Ubul: What a wife.`` / ``Nicole: Remember me``: speaker labels of a dialogue."""
COORDINATED_SOURCE = "name-coordination"


def _members(group: str, offset: int) -> list[tuple[int, int]]:
    return [
        (offset + m.start(), offset + m.end())
        for m in re.finditer(MEMBER, group)
        if m.group() not in ("and", "or")
    ]


def coordinated_names(
    text: str,
    names: Iterable[Span],
    is_name_word: Callable[[str], bool],
    score: float,
    is_lowercase_name: Callable[[str], bool] | None = None,
) -> list[Span]:
    """Words standing in the same list or speaker position as a detected name.

    Coordination joins words of one kind: when one member of ``A, B and C`` (or one
    speaker label of a dialogue) is a name, the other capitalized members that
    ``is_name_word`` accepts are names too, and so are lowercase members that
    ``is_lowercase_name`` accepts (``leonti, terrence, pamela and brian``).
    """
    found = list(names)
    groups = [_members(m.group(), m.start()) for m in COORDINATED.finditer(text)]
    speakers = [(m.start("member"), m.end("member")) for m in SPEAKER.finditer(text)]
    if len(speakers) > 1:
        groups.append(speakers)
    extra: list[Span] = []
    for members in groups:
        if not any(s.start < hi and lo < s.end for lo, hi in members for s in found):
            continue
        for lo, hi in members:
            word = text[lo:hi]
            lowercase = is_lowercase_name is not None and word.islower()
            if (word[0].isupper() and is_name_word(word)) or (
                lowercase and is_lowercase_name is not None and is_lowercase_name(word)
            ):
                span = make_span(text, lo, hi, PhiType.NAME, score, COORDINATED_SOURCE)
                span = name_core(text, span) if span is not None else None
                if span is not None:
                    extra.append(span)
    return extra


QUOTED_SPEAKER = re.compile(rf"^[ \t]*(?P<member>{MEMBER})[ \t]*:[ \t]*[\"“]", re.MULTILINE)
"""``Koppány: "Who are you?"``: a speaker label before a quoted utterance."""
SPEAKER_SOURCE = "name-speaker"


def quoted_speakers(text: str, is_name_word: Callable[[str], bool], score: float) -> list[Span]:
    """Speaker labels of quoted dialogue that ``is_name_word`` accepts (not ``Patient``)."""
    found: list[Span] = []
    for match in QUOTED_SPEAKER.finditer(text):
        if is_name_word(match.group("member")):
            span = make_span(
                text,
                match.start("member"),
                match.end("member"),
                PhiType.NAME,
                score,
                SPEAKER_SOURCE,
            )
            if span is not None:
                found.append(span)
    return found
