"""Free text of one patient -> pseudonymized text, in one pass over the original.

Three sources of spans are merged on the original text, in this order of precedence:
the patient's known identifiers (vault), full written dates (shifted by the patient's
offset), and the free-text PHI detector's spans (people, phones, addresses, shorthand dates
and more that the record never lists). Each detected value is tokenized through the
patient's vault context, so it becomes a known identifier too and is replaced in every
other chunk of the patient. Ages over 89 become ``90+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clinvault.phi import PhiDetector, PhiType, Span
from clinvault.vault import PatientContext
from clinvault.vault.dates import TEXT_DATE_RE, collapse_ages, shift_text_dates

AGE_CAP = "90+"


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    replacement: str
    rank: int


def _detected_replacement(span: Span, ctx: PatientContext) -> str:
    if span.type is PhiType.AGE:
        return AGE_CAP
    if span.type is PhiType.DATE:
        shifted = shift_text_dates(span.text, ctx.offset_days)
        if shifted != span.text:
            return shifted
        return ctx.shift(span.text) or ctx.token("DATE", span.text)
    return ctx.token(span.type.value, span.text)


def scrub(text: str, ctx: PatientContext, detected: Sequence[Span] = ()) -> str:
    edits: list[_Edit] = []
    for start, end, known in ctx.matcher.find(text):
        edits.append(_Edit(start, end, ctx.token(known.kind, known.value), 0))
    for m in TEXT_DATE_RE.finditer(text):
        edits.append(_Edit(m.start(), m.end(), shift_text_dates(m.group(0), ctx.offset_days), 1))
    for span in detected:
        edits.append(_Edit(span.start, span.end, _detected_replacement(span, ctx), 2))
    edits.sort(key=lambda e: (e.rank, e.start))
    chosen: list[_Edit] = []
    for edit in edits:
        if all(edit.end <= c.start or edit.start >= c.end for c in chosen):
            chosen.append(edit)
    chosen.sort(key=lambda e: e.start)
    out: list[str] = []
    cursor = 0
    for edit in chosen:
        out += [text[cursor : edit.start], edit.replacement]
        cursor = edit.end
    out.append(text[cursor:])
    return collapse_ages("".join(out))


@dataclass
class NoteScrubber:
    """Scrubs all note texts of one patient with one batched detector pass."""

    detector: PhiDetector | None

    def scrub_all(self, ctx: PatientContext, texts: Sequence[str]) -> list[str]:
        if self.detector is None or not texts:
            return [scrub(t, ctx) for t in texts]
        detected = self.detector.detect_batch(list(texts))
        return [scrub(t, ctx, spans) for t, spans in zip(texts, detected, strict=True)]
