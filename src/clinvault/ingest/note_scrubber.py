"""Free text of one patient -> pseudonymized text, in one pass over the original.

Three sources of spans are merged on the original text, in this order of precedence:
the patient's known identifiers (vault), full written dates (shifted by the patient's
offset), and the free-text PHI detector's spans (people, phones, addresses, shorthand dates
and more that the record never lists). Each detected value is tokenized through the
patient's vault context, so it becomes a known identifier too and is replaced in every
other chunk of the patient. Ages over 89 become ``90+``.

The patient's own coded clinical data is not PHI: a detector span of a person type whose
text is a whole-word part of a display of the patient's conditions, allergies, medications,
procedures, results or vaccines (``bee venom`` in ``Bee venom (substance)``) is a false
positive and is kept. Otherwise it would become a known identifier of the patient and
replace the allergen in the structured record too. Values the vault knows as identifiers are
never kept: they are replaced before detector spans are considered, and a span holding one
is tokenized as usual.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from clinvault.phi import PhiDetector, PhiType, Span
from clinvault.vault import PatientContext
from clinvault.vault.dates import TEXT_DATE_RE, collapse_ages, shift_text_dates

AGE_CAP = "90+"
CLINICAL_TYPES = frozenset(
    {
        "AllergyIntolerance",
        "CarePlan",
        "Condition",
        "Device",
        "DiagnosticReport",
        "Encounter",
        "FamilyMemberHistory",
        "Goal",
        "ImagingStudy",
        "Immunization",
        "Medication",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Procedure",
        "ServiceRequest",
    }
)
"""Resources whose codes name clinical things; people, places and payers are not read."""
PERSON_TYPES = frozenset({PhiType.NAME})
"""Detector span types that clinical vocabulary can be mistaken for."""
_SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _displays(value: Any) -> Iterator[str]:
    """CodeableConcept ``text`` and Coding ``display`` strings anywhere in ``value``; never
    annotation text, narrative or a reference's ``display`` (which can name a person)."""
    if isinstance(value, list):
        for item in value:
            yield from _displays(item)
    elif isinstance(value, dict):
        if isinstance(value.get("coding"), list) and isinstance(value.get("text"), str):
            yield value["text"]
        if ("code" in value or "system" in value) and isinstance(value.get("display"), str):
            yield value["display"]
        for key, item in value.items():
            if key != "reference" and isinstance(item, (dict, list)):
                yield from _displays(item)


@dataclass(frozen=True, slots=True)
class ClinicalVocabulary:
    """The code displays of one patient's clinical resources, to tell false positives."""

    displays: frozenset[str] = frozenset()
    """Casefolded, whitespace-collapsed displays."""

    @classmethod
    def of(cls, resources: Iterable[Mapping[str, Any]]) -> ClinicalVocabulary:
        found = {
            _normal(display)
            for resource in resources
            if resource.get("resourceType") in CLINICAL_TYPES
            for display in _displays(dict(resource))
        }
        return cls(frozenset(d for d in found if d))

    def mentions(self, phrase: str) -> bool:
        """Whether ``phrase`` is a whole-word part of a display (case-insensitive)."""
        wanted = _normal(phrase)
        if not wanted or not any(ch.isalpha() for ch in wanted):
            return False
        pattern = re.compile(r"(?<!\w)" + re.escape(wanted) + r"(?!\w)")
        return any(pattern.search(display) for display in self.displays)


def _clinical_false_positive(
    span: Span, ctx: PatientContext, vocabulary: ClinicalVocabulary
) -> bool:
    return (
        span.type in PERSON_TYPES
        and vocabulary.mentions(span.text)
        and not ctx.matcher.find(span.text)
    )


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    rank: int
    """0: a known identifier, 1: a written date, 2: a detector span (ties go to the lower)."""
    kind: str
    """The token kind (known identifier's kind or detector type), ``DATE`` for written dates."""
    replacement: str
    """What this edit alone writes over ``text[start:end]``."""

    @property
    def hides_identity(self) -> bool:
        """A value that names someone (tokenized), not a date or an age (shifted, capped)."""
        return self.kind not in _NON_IDENTIFYING


_NON_IDENTIFYING = frozenset({PhiType.DATE.value, PhiType.AGE.value})


def _detected_replacement(span: Span, ctx: PatientContext) -> str:
    if span.type is PhiType.AGE:
        return AGE_CAP
    if span.type is PhiType.DATE:
        shifted = shift_text_dates(span.text, ctx.offset_days)
        if shifted != span.text:
            return shifted
        return ctx.shift(span.text) or ctx.token("DATE", span.text)
    return ctx.token(span.type.value, span.text)


def _clusters(edits: list[_Edit]) -> Iterator[list[_Edit]]:
    """Edits grouped by overlap (transitively), in text order."""
    group: list[_Edit] = []
    end = -1
    for edit in sorted(edits, key=lambda e: (e.start, -e.end)):
        if group and edit.start >= end:
            yield group
            group = []
        end = max(end, edit.end) if group else edit.end
        group.append(edit)
    if group:
        yield group


def _merged(group: list[_Edit], text: str, ctx: PatientContext) -> _Edit:
    """One edit over the union of overlapping edits, so no part of any span survives.

    The longest span decides (ties go to the known identifier, then the written date); when
    any span names someone, the union is tokenized as the longest such span's kind, so a
    detected "Hope Brown" overlapping a known "Hope" becomes one token, never
    ``[NAME-…] Brown``. A union of dates and ages alone is shifted and capped as a whole.
    """
    if len(group) == 1:
        return group[0]
    start = min(e.start for e in group)
    end = max(e.end for e in group)
    union = text[start:end]
    naming = [e for e in group if e.hides_identity]
    if naming:
        lead = min(naming, key=lambda e: (-(e.end - e.start), e.rank))
        return _Edit(start, end, lead.rank, lead.kind, ctx.token(lead.kind, union))
    shifted = collapse_ages(shift_text_dates(union, ctx.offset_days))
    if shifted == union:
        shifted = ctx.shift(union) or ctx.token(PhiType.DATE.value, union)
    return _Edit(start, end, 1, PhiType.DATE.value, shifted)


def scrub(
    text: str,
    ctx: PatientContext,
    detected: Sequence[Span] = (),
    vocabulary: ClinicalVocabulary | None = None,
) -> str:
    """``text`` with known identifiers tokenized, written dates shifted and detected PHI
    replaced, except person spans that are the patient's own clinical vocabulary.
    Overlapping spans of any sources are replaced as their union (see :func:`_merged`)."""
    edits: list[_Edit] = []
    for start, end, known in ctx.matcher.find(text):
        edits.append(_Edit(start, end, 0, known.kind, ctx.token(known.kind, known.value)))
    for m in TEXT_DATE_RE.finditer(text):
        shifted = shift_text_dates(m.group(0), ctx.offset_days)
        edits.append(_Edit(m.start(), m.end(), 1, PhiType.DATE.value, shifted))
    for span in detected:
        if vocabulary is not None and _clinical_false_positive(span, ctx, vocabulary):
            continue
        replacement = _detected_replacement(span, ctx)
        edits.append(_Edit(span.start, span.end, 2, span.type.value, replacement))
    out: list[str] = []
    cursor = 0
    for group in _clusters(edits):
        edit = _merged(group, text, ctx)
        out += [text[cursor : edit.start], edit.replacement]
        cursor = edit.end
    out.append(text[cursor:])
    return collapse_ages("".join(out))


@dataclass
class NoteScrubber:
    """Scrubs all note texts of one patient with one batched detector pass."""

    detector: PhiDetector | None
    vocabulary: ClinicalVocabulary = field(default_factory=ClinicalVocabulary)
    """The patient's clinical vocabulary: detector person spans inside it are kept."""

    def for_patient(self, resources: Iterable[Mapping[str, Any]]) -> Self:
        """This scrubber for one patient's notes, knowing the patient's coded clinical data."""
        if self.detector is None:
            return self
        scrubber = copy.copy(self)
        scrubber.vocabulary = ClinicalVocabulary.of(resources)
        return scrubber

    def scrub_all(self, ctx: PatientContext, texts: Sequence[str]) -> list[str]:
        if self.detector is None or not texts:
            return [scrub(t, ctx) for t in texts]
        detected = self.detector.detect_batch(list(texts))
        return [
            scrub(t, ctx, spans, self.vocabulary) for t, spans in zip(texts, detected, strict=True)
        ]
