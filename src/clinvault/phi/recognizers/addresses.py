"""Street addresses (US and common international forms), units, PO boxes and ZIP codes.

A street match is extended over the address lines that follow it (city, state, ZIP,
country), when those lines are short runs of capitalized words, a state code or a ZIP.
"""

from __future__ import annotations

import itertools
import re

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.recognizers.base import unique_spans
from clinvault.phi.spans import make_span

WORD = r"[^\W\d_][\w'’.\-]*"
STREET_WORD = r"(?!(?:by|at|on|in|to|and|or|of|the|for|with|from|per|x|q)\b)" + WORD
NUMBER_START = r"(?<![/\-.:,\d])\b"
US_SUFFIX = (
    r"(?:street|streets|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct"
    r"|place|pl|terrace|ter|way|parkway|pkwy|highway|hwy|circle|cir|square|squares|sq|trail"
    r"|trl|route|rte|loop|pike|plaza|row|crossing|xing|alley|aly|ridge|heights|hts|hill|hills"
    r"|park|commons|green|walk|union|unions|fort|forks|junction|jct|landing|manor|mews|bypass"
    r"|expressway|expy|freeway|fwy|turnpike|tpke|causeway|center|ctr|point|pt|port|harbor"
    r"|crescent|close|gardens|grove|estates|str)\b\.?"
)
UNIT = r"(?:apt|apartment|suite|ste|unit|bldg|building|fl|floor|no)\.?\s*#?\s*\w*\d\w*"
INTL_SUFFIX_WORD = (
    r"[^\W\d_][\w'’\-]*(?:straße|strasse|gasse|weg|platz|allee|damm|katu|tie|kuja|polku|vej"
    r"|vænget|gade|gata|gatan|vägen|väg|veien|vegen|laan|straat|plein|gracht|utca|ulice|ulica"
    r"|ulitsa|sokak|caddesi|odos|street|str\.)"
)
INTL_SUFFIX_SEPARATE = (
    r"(?:utca|útja|út|tér|rkp\.?|kapu|körút|gate|gata|gatan|vei|veien|vegen|vej|terrasse"
    r"|straße|strasse|gasse|weg|platz|allee|damm|laan|baan|straat|plein|katu|tie|vägen|väg)"
)
INTL_PREFIX = (
    r"(?:via|rua|calle|avenida|av\.|rue|viale|piazza|plaza|strada|ulica|ul\.|carrer|camino"
    r"|paseo|largo|travessa|praça|odos|avenue|boulevard|chemin|route)"
)

STREET_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{NUMBER_START}\d{{1,6}}[a-z]?(?:\s+{STREET_WORD}){{1,4}}?\s+{US_SUFFIX}(?:,?\s+{UNIT})?",
        rf"\b{INTL_PREFIX}(?:\s+{WORD}){{1,4}}?\s+\d{{1,5}}[a-z]?\b(?:,?\s+{UNIT})?",
        rf"(?:\b\d{{1,6}}\s+)?\b{INTL_SUFFIX_WORD}\s+\d{{1,5}}[a-z]?\b\.?(?:,?\s+{UNIT})?",
        rf"\b{WORD}\s+(?:u\.|tér|út)\s+\d{{1,5}}\b\.?",
        rf"(?:\b\d{{1,6}}\s+)?\b{WORD}(?:\s+{WORD}){{0,2}}\s+{INTL_SUFFIX_SEPARATE}\s+\d{{1,5}}[a-z]?\b\.?"
        rf"(?:,?\s+{UNIT})?",
        rf"\b{UNIT}",
        r"\bP\.?\s?O\.?\s+Box\s+\d+\b",
        r"\b(?:PSC|Unit|CMR)\s+\d+,?\s+Box\s+\d+(?:\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?",
        r"\b(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}\b",
    )
)
CUED_ADDRESS = re.compile(
    r"\b(?:lives?|living|resides?|residing|located|address(?:\s+is)?|moved)\s+(?:on|at|in|to|:)?\s*"
    r"(?P<addr>\d{1,6}[a-z]?\s+[A-Z][^\n,.;!?]{0,40}|(?:the\s+corner\s+of\s+)?[A-Z0-9][^\n,;!?]{0,40}?\d+\b)",
)
ZIP_CUED = re.compile(
    r"(?:\bzip(?:\s*code)?(?:\s+is)?[:#\s]+|\b[A-Z]{2}\s+|,\s*)(?P<zip>\d{5}(?:-\d{4})?)\b"
)
CONTINUATION = re.compile(
    r"(?:[ \t]*(?:,[ \t]*|\n[ \t]*(?:,[ \t]*)?))"
    rf"(?P<line>(?:{WORD}[ \t]?){{1,4}}(?:,?[ \t]*[A-Z]{{2}})?(?:[ \t]+\d{{4,5}}(?:-\d{{4}})?)?"
    r"|[A-Z]{2}(?:[ \t]+\d{5}(?:-\d{4})?)?|\d{5}(?:-\d{4})?)"
    r"(?:(?=[ \t]*(?:\n|,|$|\.))|(?<=\d)\b)",
)
CONTINUATION_LIMIT = 4
SAME_LINE_PLACE = re.compile(
    rf"[ \t]+(?P<line>{WORD}(?:[ \t]+{WORD}){{0,2}})(?=[ \t]*(?:[\n,.;:!?]|$)|[ \t]+[a-z])"
)
"""City and region after a unit on the same line: ``Suite 215 NUNGATTA Australia``."""
INTERSECTION = re.compile(
    r"\b(?:the\s+)?corner\s+of\s+[^\n,;!?]{1,60}?\s+and\s+[^\n,;!?.]{1,40}?"
    r"(?=[ \t]*(?:[\n,;!?.]|$))",
    re.IGNORECASE,
)
"""``the corner of Dalbraut 99 and Frederikke Coves``: a place named by two streets."""
CROSS_STREET = re.compile(r"\b(?:at|to)[ \t]+(?P<street>[A-Z][\w'’\-]+[ \t]+and[ \t]+)$")
"""``at Růžena and Király u. 15``: the first of two cross streets, before a street match."""
LINE_END_POSTCODE = re.compile(r"(?<=[^\W\d_]|\))[ \t]+(?P<zip>\d{5}(?:-\d{4})?)(?=[ \t]*(?:\n|$))")
"""A postcode ending an address line after a place (``Norway 64389``, ``Cyprus (Greek)
51034``)."""


class StreetAddressRecognizer:
    name = "street-address"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for pattern in STREET_PATTERNS:
            for match in pattern.finditer(text):
                self._add(found, text, match.start(), self._extend(text, match.end()), 0.85)
        for match in NUMBERED_NAME.finditer(text):
            street = match.group("words")
            if _looks_like_place(street) and any(w[0].isupper() for w in street.split()):
                self._add(found, text, match.start(), self._extend(text, match.end()), 0.7)
        for match in CUED_ADDRESS.finditer(text):
            end = self._extend(text, match.end("addr"))
            self._add(found, text, match.start("addr"), end, 0.7)
        for match in INTERSECTION.finditer(text):
            self._add(found, text, match.start(), match.end(), 0.75)
        return found

    def _extend(self, text: str, end: int) -> int:
        """Consume following address lines (city, state, ZIP, country), and a city after
        the street on the same line."""
        same_line = SAME_LINE_PLACE.match(text, end)
        if same_line is not None:
            place = [w for w in re.finditer(r"\S+", same_line.group("line"))]
            capitalized = list(itertools.takewhile(lambda w: w.group()[0].isupper(), place))
            if capitalized:
                end = same_line.start("line") + capitalized[-1].end()
        for _ in range(CONTINUATION_LIMIT):
            match = CONTINUATION.match(text, end)
            if match is None or not _looks_like_place(match.group("line")):
                break
            end = match.end()
        return end

    def _add(self, found: list[Span], text: str, start: int, end: int, score: float) -> None:
        leading = LEADING_NUMBER.search(text, 0, start)
        if leading is not None:
            start = leading.start()
        cross = CROSS_STREET.search(text, max(0, start - 60), start)
        if cross is not None:
            start = cross.start("street")
        span = make_span(text, start, end, PhiType.ADDR, score, self.name)
        if span is not None:
            found.append(span)


PLACE_PARTICLES = frozenset(
    {
        "de",
        "do",
        "da",
        "dos",
        "das",
        "del",
        "la",
        "le",
        "les",
        "van",
        "von",
        "der",
        "den",
        "di",
        "du",
        "des",
        "y",
        "e",
        "el",
        "am",
        "an",
        "upon",
        "on",
        "sur",
        "sul",
    }
)
LEADING_NUMBER = re.compile(r"(?<![\w.,/:\-])\d{1,6}[ \t]+$")
NUMBERED_NAME = re.compile(
    rf"{NUMBER_START}\d{{1,6}}[ \t]+(?P<words>{WORD}(?:[ \t]+{WORD}){{0,3}})[ \t]+\d{{1,5}}[a-z]?\b"
)


def _looks_like_place(line: str) -> bool:
    """Capitalized words (``New York``, ``LONDON``, ``Caxias do Sul``, ``CO 80202``) or a ZIP."""
    tokens = [t for t in re.split(r"[\s,]+", line) if t]
    return all(t[0].isupper() or t[0].isdigit() or t in PLACE_PARTICLES for t in tokens)


class ZipCodeRecognizer:
    name = "zip-code"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for pattern in (ZIP_CUED, LINE_END_POSTCODE):
            for match in pattern.finditer(text):
                span = make_span(
                    text, match.start("zip"), match.end("zip"), PhiType.ADDR, 0.6, self.name
                )
                if span is not None:
                    found.append(span)
        return unique_spans(found)
