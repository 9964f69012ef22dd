"""The egress guard: no outbound prompt carries PHI. Fail closed.

``EgressGuard.check`` scans every string in every message and raises ``EgressBlocked`` on:

- any of the caller's ``deny_values`` (the patient's known names, identifiers, contact
  details and *real* dates), matched case-insensitively with whitespace normalized; values
  shorter than ``SHORT_VALUE`` characters only match as whole words, values of at most
  ``CASE_SENSITIVE_UPTO`` characters (a family name "Do", a given name "An") only in their
  own case, as the vault's identifier matcher replaces them (else every "do" of a prompt
  blocks it), and values made of digits and separators match whatever separators the text
  uses (``555-123-4567`` also hits ``(555) 123 4567``). The fixed system instructions
  (``trusted_texts``, compared whole) are not searched for deny values;
- identifier patterns: phone numbers, email addresses, SSNs, labelled record numbers
  (``MRN: 12345``), URLs with a host (terminology system URLs such as ``http://loinc.org``
  are allowed) and IP addresses.

clinvault tokens (``[PHONE-1A2B3C4D]``, ``PT-…``, ``RES-…``) are removed before the pattern
scan, so they never hit. Shifted dates are allowed: a date pattern cannot tell a shifted date
from a real one, so callers must pass the patient's known real dates (birth date, encounter
dates ...) in ``deny_values``.

The error names the kind of hit and the message index, never the value. If the guard itself
fails (unexpected message shape, internal error) the request is blocked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.errors import EgressBlocked
from clinvault.llm.base import Message
from clinvault.llm.prompt import SYSTEM_PROMPT

SHORT_VALUE = 6
"""Deny values shorter than this (in characters) only match as whole words."""
CASE_SENSITIVE_UPTO = 3
"""Deny values this short match only in their own case (as in ``vault.identifiers``)."""

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

_TOKEN = re.compile(r"\[[A-Z]+-[0-9A-F]{8}\]|\b(?:PT|RES)-[0-9A-F]{16}\b")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email address", re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("SSN", re.compile(r"(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])")),
    (
        "phone number",
        re.compile(
            r"(?<![\w+])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)"
        ),
    ),
    (
        "labelled record number",
        re.compile(
            r"\b(?:MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number)|"
            r"account\s+(?:number|no\.?|#)|acct|member\s+id|insurance\s+id|policy\s+number)"
            r"\s*(?:[:#=]|is|no\.?)?\s*[A-Z]{0,3}[-\s]?\d{4,}",
            re.IGNORECASE,
        ),
    ),
)
_URL = re.compile(
    r"\b(?:[a-z][a-z0-9+.-]*://(?:[^\s/?#@]*@)?|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)*)",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_WHITESPACE = re.compile(r"\s+")
_DIGITS_AND_SEPARATORS = re.compile(r"[\d\s().+/-]+")


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    message_index: int


def _normalize(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().casefold()


_SEPARATORS = re.compile(r"[\s().+/-]+")


_NON_DIGITS = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class _DenyValue:
    """One deny value: a cheap substring test first (``needle`` in the normalized text, or in
    the text with separators squeezed out for digit values); the exact pattern, compiled only
    then, decides."""

    needle: str
    squeezed: bool
    source: str
    case_sensitive: bool = False

    def hits(self, text: _Normalized) -> bool:
        if self.case_sensitive:
            return self.needle in text.spaced and re.search(self.source, text.spaced) is not None
        haystack = text.squeezed if self.squeezed else text.folded
        return self.needle in haystack and re.search(self.source, text.folded) is not None


@dataclass(frozen=True, slots=True)
class _Normalized:
    spaced: str  # whitespace collapsed
    folded: str  # and case-folded
    squeezed: str  # and separators removed

    @classmethod
    def of(cls, text: str) -> _Normalized:
        spaced = _WHITESPACE.sub(" ", text).strip()
        folded = spaced.casefold()
        return cls(spaced, folded, _SEPARATORS.sub("", folded))


def _deny_value(value: str) -> _DenyValue | None:
    normalized = _normalize(value)
    if not normalized:
        return None
    digits = _NON_DIGITS.sub("", normalized)
    if _DIGITS_AND_SEPARATORS.fullmatch(normalized) and len(digits) >= 4:
        body = r"[\s().+/-]*".join(digits)
        return _DenyValue(digits, True, r"(?<!\d)" + body + r"(?!\d)")
    spaced = _WHITESPACE.sub(" ", value).strip()
    if len(spaced) <= CASE_SENSITIVE_UPTO:
        body = re.escape(spaced)
        return _DenyValue(spaced, False, r"(?<!\w)" + body + r"(?!\w)", case_sensitive=True)
    body = re.escape(normalized).replace(r"\ ", " ")
    if len(normalized) < SHORT_VALUE:
        return _DenyValue(normalized, False, r"(?<!\w)" + body + r"(?!\w)")
    return _DenyValue(normalized, False, body)


def _denied(text: str, values: Sequence[_DenyValue]) -> bool:
    normalized = _Normalized.of(text)
    return any(value.hits(normalized) for value in values)


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


def _host_hits(text: str, allowed_hosts: frozenset[str]) -> bool:
    for match in _URL.finditer(text):
        host = match.group(1).casefold()
        if match.group(0).casefold().startswith("www."):
            host = "www." + host
        if host and host not in allowed_hosts:
            return True
    return False


def _ip_hits(text: str) -> bool:
    for match in (*_IPV4.finditer(text), *_IPV6.finditer(text)):
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
        denied = [d for d in (_deny_value(v) for v in deny_values) if d is not None]
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise TypeError("a message is not a mapping")
            for text in _texts(message):
                kind = self._scan(text, denied)
                if kind is not None:
                    return Hit(kind=kind, message_index=index)
        return None

    def _scan(self, text: str, denied: Sequence[_DenyValue]) -> str | None:
        if text not in self.trusted_texts and _denied(text, denied):
            return "known identifier value"
        untokenized = _TOKEN.sub(" ", text)
        for kind, pattern in _PATTERNS:
            if pattern.search(untokenized):
                return kind
        if _host_hits(untokenized, self.allowed_hosts):
            return "URL"
        if _ip_hits(untokenized):
            return "IP address"
        return None
