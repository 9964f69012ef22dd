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


def scrub(
    text: str,
    ctx: PatientContext,
    detected: Sequence[Span] = (),
    vocabulary: ClinicalVocabulary | None = None,
) -> str:
    """``text`` with known identifiers tokenized, written dates shifted and detected PHI
    replaced, except person spans that are the patient's own clinical vocabulary."""
    edits: list[_Edit] = []
    for start, end, known in ctx.matcher.find(text):
        edits.append(_Edit(start, end, ctx.token(known.kind, known.value), 0))
    for m in TEXT_DATE_RE.finditer(text):
        edits.append(_Edit(m.start(), m.end(), shift_text_dates(m.group(0), ctx.offset_days), 1))
    for span in detected:
        if vocabulary is not None and _clinical_false_positive(span, ctx, vocabulary):
            continue
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
