"""Readable, typed, keyed tokens: ``[NAME-7F3A2C91]``, ``PT-…`` and ``RES-…``.

A value token is the HMAC (token key) of patient token, kind and normalized value, so the
same value gives the same token everywhere for that patient and nothing links across
patients. Parsing is lenient (case, missing brackets) so tokens a model altered slightly
still resolve; anything that does not parse is left alone, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clinvault import crypto

TOKEN_KINDS = (
    "NAME",
    "MRN",
    "SSN",
    "ID",
    "PHONE",
    "EMAIL",
    "ADDR",
    "URL",
    "ORG",
    "LOC",
    "IP",
    "DATE",
    "AGE",
)
VALUE_TOKEN_HEX = 8

VALUE_TOKEN_RE = re.compile(
    r"\[?\s*(?P<kind>"
    + "|".join(TOKEN_KINDS)
    + r")[-_ ](?P<hex>[0-9A-F]{8}(?:[0-9A-F]{4}){0,2})\s*\]?",
    re.IGNORECASE,
)
PATIENT_TOKEN_RE = re.compile(r"\bPT-[0-9A-F]{16}\b", re.IGNORECASE)
RESOURCE_TOKEN_RE = re.compile(r"\bRES-[0-9A-F]{16}\b", re.IGNORECASE)


def normalize(value: str) -> str:
    """Case-, accent- and whitespace-insensitive form used to key tokens and matches."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.split())


def value_token(
    token_key: bytes, patient: str, kind: str, value: str, width: int = VALUE_TOKEN_HEX
) -> str:
    mac = crypto.keyed_hash(token_key, f"value\x1f{patient}\x1f{kind}\x1f{normalize(value)}")
    return f"[{kind}-{mac[:width].upper()}]"


def patient_token(token_key: bytes, source_ref: str) -> str:
    return "PT-" + crypto.keyed_hash(token_key, f"patient\x1f{source_ref}")[:16].upper()


def resource_token(token_key: bytes, source_ref: str) -> str:
    return "RES-" + crypto.keyed_hash(token_key, f"resource\x1f{source_ref}")[:16].upper()


@dataclass(frozen=True, slots=True)
class TokenMatch:
    start: int
    end: int
    canonical: str
    """``[KIND-HEX]`` in canonical form."""


def find_value_tokens(text: str) -> list[TokenMatch]:
    return [
        TokenMatch(m.start(), m.end(), f"[{m['kind'].upper()}-{m['hex'].upper()}]")
        for m in VALUE_TOKEN_RE.finditer(text)
    ]
