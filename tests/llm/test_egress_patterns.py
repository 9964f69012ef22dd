"""The guard's identifier scan against its previous form (kept here verbatim as the oracle):
the same verdict (kind, message index) on generated prompts full of near-misses: phone
numbers, SSNs, emails, labelled record numbers, URLs and IP addresses in many shapes, glued
to words and tokens, unicode whitespace and letters that case-fold to ASCII."""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Sequence

import pytest

from clinvault.llm.egress import DEFAULT_ALLOWED_HOSTS, EgressGuard

# ---- the oracle: the scan before the prefilters and rewritten patterns -------------------
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


def _host_hits(text: str) -> bool:
    for match in _URL.finditer(text):
        host = match.group(1).casefold()
        if match.group(0).casefold().startswith("www."):
            host = "www." + host
        if host and host not in DEFAULT_ALLOWED_HOSTS:
            return True
    return False


def _ip_hits(text: str) -> bool:
    for match in (*_IPV4.finditer(text), *_IPV6.finditer(text)):
        if not any(ch.isalnum() for ch in match.group(0)):
            continue
        try:
            ipaddress.ip_address(match.group(0))
        except ValueError:
            continue
        return True
    return False


def oracle(text: str) -> str | None:
    untokenized = _TOKEN.sub(" ", text)
    for kind, pattern in _PATTERNS:
        if pattern.search(untokenized):
            return kind
    if _host_hits(untokenized):
        return "URL"
    if _ip_hits(untokenized):
        return "IP address"
    return None


# ---- generated prompts ------------------------------------------------------------------
SPACES = (" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2003", "\x1c", "")
GLUE = ("", "", " ", "x", "-", "+", ".", "(", ")", ":", "/", "#", "=", "_", "é", "[", "]")
LABELS = (
    "MRN", "mrn", "Medical record", "medical  record number", "MEDICAL RECORD no.", "patient id",
    "Patient Number", "account #", "Account no", "acct", "ACCT", "member id", "Insurance ID",
    "policy number", "inſurance id", "Acct", "pat\u0130ent id", "Kelvin", "\u212arn",
)  # fmt: skip
WORDS = (
    "Observation", "Hemoglobin", "A1c", "status", "final", "on", "performed", "the", "patient",
    "Condition:", "clinical", "active;", "[NAME-7F3A2C91]", "PT-3F9A1C0B7D2E4A61",
    "RES-9C0FE2D4A1B37755", "XPT-3F9A1C0B7D2E4A61", "http://loinc.org|4548-4", "7.6", "%",
    "mg/dL", "2019-08-13", "2019-08-13T08:15:00+02:00", "www", "::", "a::b", "ß", "İ",
)  # fmt: skip
HOSTS = ("loinc.org", "snomed.info", "evil.example.com", "HL7.org", "x", "www.nlm.nih.gov", "")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _sep(rng: random.Random) -> str:
    return rng.choice(("-", " ", ".", "", "  ", "\u00a0", "/", "--"))


def _candidate(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:  # phone-like
        parts = [_digits(rng, rng.choice((3, 3, 2, 4))) for _ in range(3)]
        if rng.random() < 0.3:
            parts[0] = f"({parts[0]})"
        head = rng.choice(("", "", "+1", "+44 ", "1-", "+", "001"))
        return head + _sep(rng).join(parts[:2]) + _sep(rng) + _digits(rng, rng.choice((4, 4, 3, 5)))
    if kind == 1:  # SSN-like
        return _sep(rng).join(
            (_digits(rng, 3), _digits(rng, rng.choice((2, 2, 3))), _digits(rng, 4))
        )
    if kind == 2:  # email-like
        local = rng.choice(("jane.doe", "a+b", "x", "_", ".", "-"))
        domain = rng.choice(("example.com", "ex-ample.co.uk", "localhost", "a.b", ".com"))
        return f"{local}@{domain}"
    if kind == 3:  # labelled record number
        separator = rng.choice(("", ":", " : ", " is ", " no. ", "#", "=", "\n", " - "))
        prefix = rng.choice(("", "", "AB", "x-", "ABCD", "Q "))
        return f"{rng.choice(LABELS)}{separator}{prefix}{_digits(rng, rng.choice((3, 4, 6, 9)))}"
    if kind == 4:  # URL-like
        scheme = rng.choice(("http://", "HTTPS://", "ftp://", "www.", "WWW.", "x+y.z://", "://"))
        userinfo = rng.choice(("", "", "user:pw@", "@"))
        return f"{scheme}{userinfo}{rng.choice(HOSTS)}{rng.choice(('', '/path?q=1', '|4548-4'))}"
    if kind == 5:  # IPv4-like
        octets = [str(rng.choice((0, 1, 10, 127, 192, 255, 256, 999))) for _ in range(4)]
        return rng.choice((".", "..")).join(octets) if rng.random() < 0.2 else ".".join(octets)
    if kind == 6:  # IPv6-like
        groups = [
            rng.choice(("", "fe80", "1", "abcd", "g1", "0")) for _ in range(rng.randint(3, 8))
        ]
        return ":".join(groups)
    if kind == 7:  # dates, times, codes, numbers
        return rng.choice((f"{_digits(rng, 4)}-{_digits(rng, 2)}-{_digits(rng, 2)}",
                           f"T{_digits(rng, 2)}:{_digits(rng, 2)}:{_digits(rng, 2)}",
                           _digits(rng, rng.randint(1, 12)), f"{_digits(rng, 2)} {_digits(rng, 4)}"))  # fmt: skip
    return rng.choice(WORDS)


def _prompt(rng: random.Random, pieces: int) -> str:
    out = []
    for _ in range(pieces):
        piece = _candidate(rng) if rng.random() < 0.4 else rng.choice(WORDS)
        out.append(rng.choice(GLUE) + piece + rng.choice(GLUE))
        out.append(rng.choice(SPACES))
    return "".join(out)


def _verdict(text: str) -> str | None:
    hit = EgressGuard().first_hit([{"role": "user", "content": text}], deny_values=())
    return None if hit is None else hit.kind


@pytest.mark.parametrize("seed", range(6))
def test_the_scan_agrees_with_the_previous_patterns_on_generated_prompts(seed: int) -> None:
    rng = random.Random(seed)
    kinds: dict[str | None, int] = {}
    for _ in range(700):
        text = _prompt(rng, rng.choice((1, 2, 3, 6, 20)))
        expected = oracle(text)
        assert _verdict(text) == expected, repr(text)
        kinds[expected] = kinds.get(expected, 0) + 1
    # the generator reaches every verdict, so agreement is not agreement on "nothing"
    assert set(kinds) >= {None, "email address", "SSN", "phone number", "URL", "IP address",
                          "labelled record number"}  # fmt: skip


def test_the_scan_agrees_on_long_evidence_prompts() -> None:
    rng = random.Random(99)
    lines: Sequence[str] = [f'<evidence id="{n}">{_prompt(rng, 25)}</evidence>' for n in range(60)]
    text = "\n".join(lines)
    assert _verdict(text) == oracle(text)
    clean = "\n".join(
        f'<evidence id="{n}">Observation: HbA1c 7.{n % 10} % on 2019-0{n % 9 + 1}-1{n % 10}; '
        f"status final; http://loinc.org|4548-4 [NAME-7F3A2C91] RES-9C0FE2D4A1B37755</evidence>"
        for n in range(120)
    )
    assert _verdict(clean) is None
    assert oracle(clean) is None
