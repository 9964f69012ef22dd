"""The rules member of the ensemble: Philter-style patterns for terse nursing notes.

Philter (UCSF; recall 0.99 on i2b2 2014) finds PHI with regular expressions keyed on the
words around it and keeps clinical words through a whitelist. Its package (``philter-lite``)
installs but cannot run offline: it POS-tags every note with NLTK's perceptron tagger, which
NLTK downloads at run time. This member takes the same approach for what the NER member
misses in nursing notes, every pattern compiled once:

- pagers and extensions: ``pager 41234``, ``beeper # 5-1234``, ``x 4-1234``, ``ext 51234``;
- hospital locations: wards (``tx to 6W``, ``Farr 5``), room and bed numbers (``rm 612``),
  outside hospitals and rehabs (``from Mercy Hospital``, ``d/c to Youville``), cities and
  states after ``lives in``;
- years alone near an event (``s/p CABG in 1999``, ``since '99``) and month-day dates
  next to shift hours (``NPN 3-11 oct 2``);
- names after cues in lower case (``dr fischer``, ``wife mary``, ``dtr frank patel``,
  ``mrs kelly``) and clinicians' initials and signatures at the end of an entry
  (``--JD RN``, ``- jd``, ``/RMM``, ``P. Ryan, RN``).

Candidates that are clinical safe words (``to MICU``, ``from OSH``, ``dr aware``) are not
reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.recognizers.base import unique_spans
from clinvault.phi.recognizers.dates import MONTH
from clinvault.phi.safe_words import SafeWords
from clinvault.phi.spans import make_span

SOURCE = "rules"
IGNORE = re.IGNORECASE
LINES = re.MULTILINE
NAME = r"[A-Za-z][A-Za-z'\-]+"
CAP_NAME = r"[A-Z][A-Za-z'\-]+"
CREDENTIAL = r"(?:rn|md|np|rrt|lpn|sn|bsn|pa-?c|pa)"
FACILITY_WORD = (
    r"(?:hospital|hosp|medical\s+center|med\s+ctr|general|memorial|rehab|rehabilitation"
    r"|nursing\s+home|nursing\s+facility|clinic|health\s+center|manor|house)"
)
MOVE_CUE = (
    r"(?:tx|txd|transferred|transfer|trans|sent|d/c|dc|discharged|admitted|came|brought|back"
    r"|return(?:ed|ing)?|arrived|going|bed)\s+(?:from|to|on|at)"
)
NOT_NAME = frozenset(
    {
        "called",
        "calls",
        "updated",
        "update",
        "visit",
        "visited",
        "visiting",
        "aware",
        "notified",
        "spoke",
        "came",
        "left",
        "brought",
        "phone",
        "bedside",
        "present",
        "request",
        "wishes",
        "wants",
        "states",
        "reports",
        "agrees",
        "paged",
        "page",
        "team",
        "here",
        "made",
        "involved",
        "following",
        "feels",
        "thinks",
        "asked",
        "stayed",
        "lives",
        "home",
        "concerned",
        "rn",
        "md",
        "np",
        "rrt",
        "lpn",
    }
)
WORD = "word"
"""Check mode of names and places: some word is not a safe, function or cue word."""
INITIALS = "initials"
"""Check mode of entry-end initials: two letters are always plausible (``--AM RN``, ``- do``);
longer ones only when not a clinical safe word (``- prn``)."""
PATTERNS: tuple[tuple[re.Pattern[str], PhiType, float, str], ...] = (
    # (pattern with group "v" [and "w"], type, score, check mode: "" none, WORD, INITIALS)
    (
        re.compile(
            r"\b(?:pager|beeper|pgr|bpr|page|paged|beep(?:ed)?)\s*(?:#|no\.?|number)?\s*:?\s*#?"
            r"\s*(?P<v>\d(?:[\d\-]{2,8})\d)\b",
            IGNORE,
        ),
        PhiType.PHONE,
        0.85,
        "",
    ),
    (
        re.compile(
            r"(?<![\w+])(?:x|ext\.?|extension)\s*#?\s*(?P<v>\d{1,2}-\d{4}|\d{4,5})\b", IGNORE
        ),
        PhiType.PHONE,
        0.85,
        "",
    ),
    (
        re.compile(r"\b(?:call|at|cell|phone|reached\s+at|#)\s*:?\s*(?P<v>\d-\d{4})\b", IGNORE),
        PhiType.PHONE,
        0.8,
        "",
    ),
    (
        re.compile(r"\b(?:rm|room|bed|bd)\s*#?\s*(?P<v>\d{1,4}[A-Za-z]?)\b", IGNORE),
        PhiType.ADDR,
        0.8,
        "",
    ),
    (
        re.compile(
            rf"\b(?:to|from|on|at|{MOVE_CUE})\s+(?P<v>\d{{1,2}}\s?[NSEWnsew](?:\s?[A-Z])?)\b"
        ),
        PhiType.ADDR,
        0.75,
        "",
    ),
    (
        re.compile(rf"\b(?:to|from|{MOVE_CUE})\s+(?P<v>{CAP_NAME}\s\d{{1,2}}[A-Za-z]?)\b"),
        PhiType.ADDR,
        0.7,
        WORD,
    ),
    (
        re.compile(
            rf"\b(?P<v>(?:st\.?\s+)?{NAME}(?:\s+{NAME}){{0,2}}['’]?s?\s+{FACILITY_WORD})\b", IGNORE
        ),
        PhiType.ORG,
        0.75,
        WORD,
    ),
    (
        re.compile(
            rf"\b(?:from|{MOVE_CUE})\s+(?P<v>(?:St\.?\s)?{CAP_NAME}(?:['’]s)?(?:\s{CAP_NAME}){{0,2}})"
        ),
        PhiType.ORG,
        0.6,
        WORD,
    ),
    (
        re.compile(
            r"\b(?:lives|living|resides|residing|moved|home|visiting|vacation|vacationing|from)"
            rf"(?:\s+\w+){{0,3}}?\s+(?:in|at|to)\s+(?P<v>{NAME}(?:\s{CAP_NAME})?)"
            r"(?:\s*,\s*(?P<w>[A-Z]{2}|[A-Z][a-z]+))?",
        ),
        PhiType.ADDR,
        0.7,
        WORD,
    ),
    (
        re.compile(
            r"\b(?:in|since|from|until|of|circa|summer|winter|spring|fall|early|late|mid|back)"
            r"\s+(?P<v>(?:19|20)\d{2}|'\d{2})\b(?!\s*(?:mg|ml|cc|units?|mcg|%))",
            IGNORE,
        ),
        PhiType.DATE,
        0.8,
        "",
    ),
    (
        re.compile(
            rf"(?<![\w-])(?P<v>{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?)\b(?!\s*(?:mg|ml|cc|mcg|%))",
            IGNORE,
        ),
        PhiType.DATE,
        0.8,
        "",
    ),
    (
        re.compile(rf"\b(?:dr|doctor)\.?\s+(?P<v>{NAME})(?:\s+(?P<w>{CAP_NAME}))?", IGNORE),
        PhiType.NAME,
        0.85,
        WORD,
    ),
    (
        re.compile(rf"\b(?:np|rn|nurse)\s+(?P<v>{NAME})\b", IGNORE),
        PhiType.NAME,
        0.7,
        WORD,
    ),
    (
        re.compile(rf"\b(?:mr|mrs|ms|miss)\.?\s+(?P<v>{NAME})", IGNORE),
        PhiType.NAME,
        0.85,
        WORD,
    ),
    (
        re.compile(
            r"\b(?:wife|husband|dtr|daughter|son|sister|brother|mother|mom|father|dad|niece"
            r"|nephew|hcp|proxy|friend|gf|bf|partner|grandson|granddaughter|aunt|uncle|cousin"
            rf"|fiance|fiancee|neighbor)\s*(?:\(hcp\)|,)?\s+(?P<v>{NAME})(?:\s+(?P<w>{NAME}))?",
            IGNORE,
        ),
        PhiType.NAME,
        0.8,
        WORD,
    ),
    (
        re.compile(
            rf"(?:^|\s)(?:--?|/|~)\s*(?P<v>[A-Za-z]{{2,3}})\b\.?(?:\s*,?\s*{CREDENTIAL})?\s*$",
            IGNORE | LINES,
        ),
        PhiType.NAME,
        0.7,
        INITIALS,
    ),
    (
        re.compile(
            r"(?P<v>\b[A-Z]\.\s?[A-Z][a-z'\-]+|\b[A-Z][a-z]+\s[A-Z][a-z'\-]+)\s*,?\s*"
            r"(?:RN|MD|NP|RRT|LPN|BSN|PA-C)\b"
        ),
        PhiType.NAME,
        0.8,
        WORD,
    ),
    (
        re.compile(r"\b(?P<v>[A-Z]{2,3})\s*,?\s*(?:RN|MD|NP|RRT|LPN)\s*$", LINES),
        PhiType.NAME,
        0.75,
        INITIALS,
    ),
)


class NursingRulesDetector:
    """Pattern member of the ensemble; no model, thread-safe (patterns are immutable)."""

    name = SOURCE

    def __init__(self, safe_words: SafeWords | None = None) -> None:
        self._safe = safe_words or SafeWords.packaged()

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        found: list[Span] = []
        for pattern, phi_type, score, check in PATTERNS:
            for match in pattern.finditer(text):
                found += self._values(text, match, phi_type, score, check)
        return unique_spans(found)

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        return [self.detect(text, context=context) for text in texts]

    def _values(
        self, text: str, match: re.Match[str], phi_type: PhiType, score: float, check: str
    ) -> list[Span]:
        spans: list[Span] = []
        for group in ("v", "w"):
            if group not in match.re.groupindex or match.group(group) is None:
                continue
            value = match.group(group)
            if not self._passes(check, value):
                if group == "v":
                    return []
                continue
            span = make_span(text, match.start(group), match.end(group), phi_type, score, SOURCE)
            if span is not None:
                spans.append(span)
        return spans

    def _passes(self, check: str, value: str) -> bool:
        if check == WORD:
            return self._plausible(value)
        if check == INITIALS:
            return len(value) == 2 or not self._safe.is_safe(value)
        return True

    def _plausible(self, value: str) -> bool:
        """A name or place candidate with a word that is neither a safe word, a function
        word nor a verb of the notes' cue phrases."""
        words = re.findall(r"[A-Za-z][A-Za-z'\-]*", value)
        return any(
            not self._safe.is_safe(w)
            and w.casefold() not in STOP_WORDS
            and w.casefold() not in NOT_NAME
            for w in words
        )
