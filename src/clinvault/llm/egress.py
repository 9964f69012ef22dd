"""The egress guard: no outbound prompt carries PHI. Fail closed.

``EgressGuard.check`` scans every string in every message and raises ``EgressBlocked`` on:

- any of the caller's ``deny_values`` (the patient's known names, identifiers, contact
  details and *real* dates), matched case-insensitively with whitespace normalized; values
  shorter than ``deny_matcher.SHORT_VALUE`` characters only match as whole words, values of at most
  ``deny_matcher.CASE_SENSITIVE_UPTO`` characters (a family name "Do", a given name "An") only in their
  own case, as the vault's identifier matcher replaces them (else every "do" of a prompt
  blocks it), and values made of digits and separators match whatever separators the text
  uses (``555-123-4567`` also hits ``(555) 123 4567``). The fixed system instructions
  (``trusted_texts``, compared whole) are not searched for deny values. A deny-value set is
  compiled once into a ``deny_matcher.DenyMatcher`` (Aho-Corasick automata, then each found
  value's exact pattern) and cached on the guard per set (patient and version of its values);
- identifier patterns: phone numbers, email addresses, SSNs, labelled record numbers
  (``MRN: 12345``), URLs with a host (terminology system URLs such as ``http://loinc.org``
  are allowed) and IP addresses.

clinvault tokens (``[PHONE-1A2B3C4D]``, ``PT-…``, ``RES-…``) are removed before the pattern
scan, so they never hit. Shifted dates are allowed: a date pattern cannot tell a shifted date
from a real one, so callers must pass the patient's known real dates (birth date, encounter
dates ...) in ``deny_values``.

The error names the kind of hit and the message index, never the value. If the guard itself
fails (unexpected message shape, internal error) the request is blocked.

Speed (a 12 kB prompt in a few milliseconds): each identifier pattern used to be one
``re.search`` starting a match attempt at every character (a leading look-behind or ``\b``
keeps ``re`` from skipping ahead). The patterns below are the same languages rewritten so that
``re`` can skip to a possible first character (the look-behind moved after the first
character, as in ``_SSN``), and each is tried only when a cheap
prefilter says it can match: an email needs ``@``; a labelled record number needs one of its
labels (found with a lower-case literal search on ASCII text; any other text takes the
original pattern); URLs and IP addresses cannot contain whitespace, so only the
whitespace-separated words holding ``://``/``www.``, three dots or two colons are searched.
``tests/llm/test_egress_patterns.py`` keeps the previous patterns as the oracle and checks
the same verdict (kind and message) on generated prompts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.errors import EgressBlocked
from clinvault.llm.base import Message
from clinvault.llm.deny_matcher import DenyMatcher, DenyMatcherCache
from clinvault.llm.prompt import SYSTEM_PROMPT

DEFAULT_ALLOWED_HOSTS = frozenset(
    {
        "loinc.org",
        "snomed.info",
        "www.nlm.nih.gov",
        "hl7.org",
        "terminology.hl7.org",
        "unitsofmeasure.org",
        "www.ama-assn.org",
        "fhir.org",
    }
)
"""Hosts of code-system URLs, which identify terminologies, not people."""

_TOKEN = re.compile(
    r"\[[A-Z]+-[0-9A-F]{8}\]|PT(?<!\wPT)-[0-9A-F]{16}\b|RES(?<!\wRES)-[0-9A-F]{16}\b"
)
"""clinvault tokens (``\\b(?:PT|RES)-`` with the look-behind after the literal)."""
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SSN = re.compile(r"\d(?<![\d-]\d)\d\d[- ]\d{2}[- ]\d{4}(?![\d-])")
"""``(?<![\\d-])\\d{3}[- ]\\d{2}[- ]\\d{4}(?![\\d-])`` starting at a digit."""
_PHONE_TAIL = r"\d{3}[\s.-]\d{4}(?!\w)"
_SSN_TAIL = re.compile(r"\d{2}[- ]\d{4}(?![\d-])")
"""How every ``_SSN`` match ends."""
_PHONE_END = re.compile(_PHONE_TAIL)
"""How every ``_PHONE`` match ends."""
_PHONE = re.compile(
    "|".join(
        (
            r"\+(?<![\w+]\+)\d{1,3}[\s.-]?(?:\(\d{3}\)\s?|\d{3}[\s.-])" + _PHONE_TAIL,
            r"\d(?<![\w+]\d)\d{0,2}[\s.-]?(?:\(\d{3}\)\s?|\d{3}[\s.-])" + _PHONE_TAIL,
            r"\((?<![\w+]\()\d{3}\)\s?" + _PHONE_TAIL,
            r"\d(?<![\w+]\d)\d\d[\s.-]" + _PHONE_TAIL,
        )
    )
)
"""``(?<![\\w+])(?:\\+?\\d{1,3}[\\s.-]?)?(?:\\(\\d{3}\\)\\s?|\\d{3}[\\s.-])\\d{3}[\\s.-]\\d{4}(?!\\w)``, one
branch per first character (+, digit with a country code, parenthesis, digit)."""
_RECORD_NUMBER = re.compile(
    r"\b(?:MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number)|"
    r"account\s+(?:number|no\.?|#)|acct|member\s+id|insurance\s+id|policy\s+number)"
    r"\s*(?:[:#=]|is|no\.?)?\s*[A-Z]{0,3}[-\s]?\d{4,}",
    re.IGNORECASE,
)
_RECORD_LABEL = re.compile(
    r"mrn|medical\s+record|patient\s+(?:id|number)|account\s+(?:number|no|#)|acct|"
    r"member\s+id|insurance\s+id|policy\s+number"
)
"""Every label of ``_RECORD_NUMBER``, lower case: on ASCII text, lower-casing is exactly
``re.IGNORECASE``, so no label here means no labelled record number."""
_URL = re.compile(
    r"\b(?:[a-z][a-z0-9+.-]*://(?:[^\s/?#@]*@)?|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)*)",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_URL_CUE = re.compile(r"://|www\.", re.IGNORECASE)
"""What every ``_URL`` match holds."""
_URL_CUE_LOWER = re.compile(r"://|www\.")
_IPV4_CUE = re.compile(r"\.\d{1,3}\.")
"""What every ``_IPV4`` match holds (its middle octets)."""
_IPV6_CUE = re.compile(r":[0-9A-Fa-f]{0,4}:")
"""What every ``_IPV6`` match holds (two of its colons)."""
_NON_SPACE = re.compile(r"\S*")
_DIGIT_PAIR_SEPARATED = re.compile(r"\d\d[\s.-]\d{4}")
"""What every SSN and phone match holds (``\\d{2}[- ]\\d{4}``, ``\\d{3}[\\s.-]\\d{4}``)."""


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    message_index: int


def _texts(message: Message) -> Iterator[str]:
    """Every string a message would send; anything the guard cannot read is an error."""
    for key, value in message.items():
        if value is None or isinstance(value, bool | int | float):
            continue
        if isinstance(value, str):
            yield value
        elif key == "content" and isinstance(value, list):
            for part in value:
                if not (isinstance(part, dict) and part.get("type") == "text"):
                    raise TypeError("message content part the guard cannot inspect")
                yield str(part["text"])
        else:
            raise TypeError(f"message field {key!r} the guard cannot inspect")


def _pattern_kind(text: str) -> str | None:
    """The first identifier pattern ``text`` (tokens removed) holds, in the guard's order."""
    if "@" in text and _EMAIL.search(text):
        return "email address"
    if _DIGIT_PAIR_SEPARATED.search(text):
        if _SSN_TAIL.search(text) and _SSN.search(text):
            return "SSN"
        if _PHONE_END.search(text) and _PHONE.search(text):
            return "phone number"
    if (not text.isascii() or _RECORD_LABEL.search(text.lower())) and _RECORD_NUMBER.search(text):
        return "labelled record number"
    return None


def _words_at(text: str, finder: re.Pattern[str], where: str | None = None) -> list[str]:
    """The whitespace-separated words of ``text`` holding a match of ``finder`` (whose
    matches hold no whitespace) in ``where`` (``text`` or a same-length copy of it, such as
    the lower-cased ASCII text), each once, in text order."""
    words: dict[int, str] = {}
    backwards: str | None = None
    size = len(text)
    for match in finder.finditer(text if where is None else where):
        if backwards is None:
            backwards = text[::-1]
        behind = size - match.start()  # where the text before the match starts, backwards
        start = match.start() - (_run_end(backwards, behind) - behind)
        words.setdefault(start, text[start : _run_end(text, match.start())])
    return list(words.values())


def _run_end(text: str, position: int) -> int:
    """Where the run of non-whitespace starting at ``position`` ends."""
    run = _NON_SPACE.match(text, position)
    return position if run is None else run.end()  # \S* always matches; mypy cannot know


def _host_hits(text: str, allowed_hosts: frozenset[str]) -> bool:
    """URLs in ``text``: a URL match holds no whitespace, so only the words holding ``://``
    or ``www.`` are searched."""
    if text.isascii():  # lower-casing ASCII keeps every position: a case-sensitive search
        words = _words_at(text, _URL_CUE_LOWER, text.lower())
    else:
        words = _words_at(text, _URL_CUE)
    for word in words:
        for match in _URL.finditer(word):
            host = match.group(1).casefold()
            if match.group(0).casefold().startswith("www."):
                host = "www." + host
            if host and host not in allowed_hosts:
                return True
    return False


def _ip_hits(text: str) -> bool:
    """IP addresses in ``text``: an address holds no whitespace, so only the words holding
    ``.digits.`` (IPv4) or ``:hex:`` (IPv6) are searched."""
    matches = [m for word in _words_at(text, _IPV4_CUE) for m in _IPV4.finditer(word)]
    matches += [m for word in _words_at(text, _IPV6_CUE) for m in _IPV6.finditer(word)]
    for match in matches:
        if not any(ch.isalnum() for ch in match.group(0)):
            continue  # a bare "::" in prose is punctuation, not an address
        try:
            ipaddress.ip_address(match.group(0))
        except ValueError:
            continue
        return True
    return False


@dataclass(frozen=True)
class EgressGuard:
    """Blocks outbound messages holding known identifier values or identifier patterns."""

    allowed_hosts: frozenset[str] = field(default=DEFAULT_ALLOWED_HOSTS)
    trusted_texts: frozenset[str] = field(default=frozenset({SYSTEM_PROMPT}))
    """Message texts clinvault itself wrote, unchanged: searched for identifier patterns but
    not for the patient's values (a family name "Do" is not in "Do not use ...")."""
    matchers: DenyMatcherCache = field(default_factory=DenyMatcherCache, compare=False, repr=False)
    """Compiled matchers of recent deny-value sets (one per patient and version of its values)."""

    def check(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> None:
        try:
            hit = self.first_hit(messages, deny_values=deny_values)
        except Exception:  # noqa: BLE001  (fail closed: a guard that cannot decide blocks)
            raise EgressBlocked("egress guard could not inspect the prompt; not sent") from None
        if hit is not None:
            raise EgressBlocked(
                f"outbound message {hit.message_index} contains a {hit.kind}; not sent"
            )

    def first_hit(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Hit | None:
        denied = self.matchers.get(deny_values)
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise TypeError("a message is not a mapping")
            for text in _texts(message):
                kind = self._scan(text, denied)
                if kind is not None:
                    return Hit(kind=kind, message_index=index)
        return None

    def _scan(self, text: str, denied: DenyMatcher) -> str | None:
        if text not in self.trusted_texts and denied.hits(text):
            return "known identifier value"
        untokenized = _TOKEN.sub(" ", text)
        kind = _pattern_kind(untokenized)
        if kind is not None:
            return kind
        if _host_hits(untokenized, self.allowed_hosts):
            return "URL"
        if _ip_hits(untokenized):
            return "IP address"
        return None
