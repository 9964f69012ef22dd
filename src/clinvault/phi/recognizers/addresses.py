"""Street addresses (US and common international forms), units, PO boxes and ZIP codes.

A street match is extended over the address lines that follow it (city, state, ZIP,
country), when those lines are short runs of capitalized words, a state code or a ZIP.
"""

from __future__ import annotations

import itertools
import re

from spacy.lang.en.stop_words import STOP_WORDS

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
    r"|ulitsa|sokak|caddesi|odos|street|str\.|tänav|maantee|iela|gatve)"
)
INTL_SUFFIX_SEPARATE = (
    r"(?:utca|útja|út|tér|rkp\.?|kapu|körút|gate|gata|gatan|vei|veien|vegen|vej|terrasse"
    r"|straße|strasse|gasse|weg|platz|allee|damm|laan|baan|straat|plein|katu|tie|vägen|väg"
    r"|tee|põik|tänav|maantee|iela|gatve)"
)
INTL_PREFIX = (
    r"(?:via|rua|rúa|calle|c/|avenida|av\.|rue|viale|piazza|plaza|strada|ulica|ul\.|carrer"
    r"|camino|paseo|largo|travessa|praça|odos|avenue|boulevard|chemin|route|trg|náměstí)"
)
NUMBER_FIRST_PREFIX = r"(?:rue|avenue|av\.|boulevard|bd\.?|chemin|allée|impasse|quai|cours)"
"""Streets written number first (French and Maghreb forms): ``36 rue de Pologne``."""
USPS_SUFFIX = (
    r"(?:Branch|Bridge|Brook|Burg|Camp|Canyon|Cape|Cliff|Club|Common|Corner|Cove|Creek|Crest"
    r"|Curve|Dale|Dam|Divide|Estate|Extension|Ferry|Field|Flat|Ford|Forest|Forge|Fork"
    r"|Gateway|Glen|Haven|Hollow|Inlet|Island|Isle|Knoll|Lake|Lodge|Mall|Meadow|Mill|Mission"
    r"|Motorway|Mount|Mountain|Neck|Orchard|Oval|Overpass|Pines|Plain|Plains|Prairie|Ranch"
    r"|Rapid|Rapids|Shoal|Shores|Skyway|Springs|Spur|Stravenue|Summit|Throughway|Trace|Track"
    r"|Tunnel|Underpass|Valley|Viaduct|Village|Ville|Vista)\b\.?"
)
"""Further USPS street suffixes (Publication 28), only capitalized after capitalized words:
lowercase ``2 recent falls`` or ``3 mild springs`` are not streets."""
CAPITALIZED = r"[^\W\d_a-z][\w'’.\-]*"
SHIP = r"(?:USS|USNS|USNV|USCGC)"
"""US military ship addresses: ``USNS Bergman`` over ``FPO AP 93757``."""

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
        rf"\b{SHIP}[ \t]+{WORD}(?:[ \t]+{WORD})?[ \t]*,?\s*(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{{5}}",
        r"\bP\.?\s?O\.?\s+Box\s+\d+\b",
        r"\b(?:PSC|Unit|CMR)\s+\d+,?\s+Box\s+\d+(?:\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?",
        r"\b(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}\b",
    )
)
NUMBER_FIRST = re.compile(
    rf"{NUMBER_START}\d{{1,6}}[a-z]?[ \t]+(?P<prefix>{NUMBER_FIRST_PREFIX})(?P<words>(?:[ \t]+{WORD}){{1,5}})",
    re.IGNORECASE,
)
USPS_STREET = re.compile(
    rf"{NUMBER_START}\d{{1,6}}[a-z]?(?:[ \t]+(?:{CAPITALIZED}|van|von|de|der|la|le)){{1,3}}?"
    rf"[ \t]+{USPS_SUFFIX}"
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
    rf"(?P<line>(?:{WORD}[ \t]?){{1,4}}(?:\([^()\n]{{1,20}}\)[ \t]?)?(?:,?[ \t]*[A-Z]{{2}})?(?:[ \t]+\d{{4,5}}(?:-\d{{4}})?)?"
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
                self._street(found, text, match.start(), match.end(), 0.85)
        for match in NUMBER_FIRST.finditer(text):
            end = _street_name_end(match)
            if end is not None:
                self._street(found, text, match.start(), end, 0.8)
        for match in USPS_STREET.finditer(text):
            self._street(found, text, match.start(), match.end(), 0.75)
        for match in NUMBERED_NAME.finditer(text):
            street = match.group("words")
            if street[0].isupper() and _looks_like_place(street):
                self._street(found, text, match.start(), match.end(), 0.7)
        for match in CUED_ADDRESS.finditer(text):
            self._street(found, text, match.start("addr"), match.end("addr"), 0.7)
        for match in INTERSECTION.finditer(text):
            self._add(found, text, match.start(), match.end(), 0.75)
        return found

    def _street(self, found: list[Span], text: str, start: int, end: int, score: float) -> None:
        self._add(found, text, start, self._extend(text, start, end), score)

    def _extend(self, text: str, start: int, end: int) -> int:
        """Consume following address lines (city, state, ZIP, country), and a city after
        the street on the same line. In a lowercase address (``2407 tawastintie 6, sé,
        portugal``) lowercase place words count too."""
        lowercase = not any(c.isupper() for c in text[start:end])
        same_line = SAME_LINE_PLACE.match(text, end)
        if same_line is not None:
            place = [w for w in re.finditer(r"\S+", same_line.group("line"))]
            named = list(
                itertools.takewhile(lambda w: _place_word(w.group(), lowercase=lowercase), place)
            )
            if named:
                end = same_line.start("line") + named[-1].end()
        for _ in range(CONTINUATION_LIMIT):
            match = CONTINUATION.match(text, end)
            if match is None or not _looks_like_place(match.group("line"), lowercase=lowercase):
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


def _place_word(word: str, *, lowercase: bool) -> bool:
    """A word of a place name: capitalized, or lowercase (not a function word) when the
    whole address is written in lowercase."""
    if word[0].isupper():
        return True
    bare = word.rstrip(".").replace("'", "").replace("’", "").replace("-", "")
    return lowercase and bare.isalpha() and word.casefold() not in STOP_WORDS


def _looks_like_place(line: str, *, lowercase: bool = False) -> bool:
    """Capitalized words (``New York``, ``LONDON``, ``Caxias do Sul``, ``CO 80202``,
    ``Cyprus (Greek)``) or a ZIP; lowercase words too in a lowercase address."""
    tokens = [t.strip("()") for t in re.split(r"[\s,]+", line) if t.strip("()")]
    return all(
        t[0].isdigit() or t in PLACE_PARTICLES or _place_word(t, lowercase=lowercase)
        for t in tokens
    )


def _street_name_end(match: re.Match[str]) -> int | None:
    """The end of a number-first street's name (``36 rue de Pologne``): its words up to the
    first that is neither capitalized, a particle nor (in a lowercase address) a plain
    lowercase word; particles do not end it."""
    lowercase = match.group("prefix").islower()
    end = None
    for word in re.finditer(r"\S+", match.group("words")):
        text = word.group()
        if text.casefold() in PLACE_PARTICLES:
            continue
        if not _place_word(text.rstrip(".,"), lowercase=lowercase):
            break
        end = match.start("words") + word.end()
    return end


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
