"""Detected spans -> replaced text: vault tokens, shifted dates, ``90+`` ages.

Replacement follows the architecture's token formats: every span of kind NAME, PHONE,
EMAIL, ADDR, ID, SSN, MRN, URL, IP or ORG becomes the tokenizer's reversible token; a DATE
is shifted with the patient's offset (clinical timing survives) and tokenized only when it
cannot be parsed (fail closed); an AGE over 89 becomes ``90+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clinvault.phi.base import PhiType, Span, Tokenizer

AGE_CAP = "90+"


@dataclass(frozen=True, slots=True)
class Replacement:
    start: int
    """Offset into the input text."""
    end: int
    type: PhiType
    token: str


@dataclass(frozen=True, slots=True)
class PseudonymizedText:
    text: str
    replacements: tuple[Replacement, ...]


def replacement_for(span: Span, tokenizer: Tokenizer) -> str:
    if span.type is PhiType.AGE:
        return AGE_CAP
    if span.type is PhiType.DATE:
        shifted = tokenizer.shift_date(span.text)
        if shifted is not None:
            return shifted
    return tokenizer.tokenize(span.type.value, span.text)


def pseudonymize(text: str, spans: Sequence[Span], tokenizer: Tokenizer) -> PseudonymizedText:
    """Replace non-overlapping ``spans`` of ``text`` (as a detector returns them)."""
    parts: list[str] = []
    replacements: list[Replacement] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor or text[span.start : span.end] != span.text:
            raise ValueError("spans must be non-overlapping and match the text")
        token = replacement_for(span, tokenizer)
        parts += [text[cursor : span.start], token]
        replacements.append(Replacement(span.start, span.end, span.type, token))
        cursor = span.end
    parts.append(text[cursor:])
    return PseudonymizedText("".join(parts), tuple(replacements))


class RedactingTokenizer:
    """Irreversible type placeholders (``[NAME]``) when no patient scope is given."""

    def tokenize(self, kind: str, value: str) -> str:
        return f"[{kind}]"

    def shift_date(self, text: str) -> str | None:
        return None
