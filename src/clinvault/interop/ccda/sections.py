"""Declarative tables: which C-CDA section maps its entries with which mapper, and the
document types recognized.

A section is recognized by its ``templateId/@root`` (with or without the R2.1 ``.1``
"entries required" variant) or, failing that, by its LOINC ``code``. A section that is in no
row still has its narrative kept as note text; only its entries go unmapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from lxml import etree

from clinvault.interop.ccda import entries
from clinvault.interop.ccda import templates as t
from clinvault.interop.ccda.context import Context
from clinvault.interop.ccda.entries import Mapper
from clinvault.interop.ccda.xpath import template_ids

_S = "2.16.840.1.113883.10.20.22.2."


@dataclass(frozen=True, slots=True)
class SectionSpec:
    kind: str
    loinc: frozenset[str]
    templates: frozenset[str]
    mapper: Mapper


def _spec(kind: str, loinc: str, templates: tuple[str, ...], mapper: Mapper) -> SectionSpec:
    return SectionSpec(kind, frozenset(loinc.split()), frozenset(_S + x for x in templates), mapper)


ENTRY_MAPPERS: tuple[tuple[frozenset[str], Mapper], ...] = (
    (frozenset({t.MEDICATION_ACTIVITY}), entries.medications),
    (t.PROCEDURE_ACTIVITIES, entries.procedures),
    (frozenset({t.PROBLEM_OBSERVATION, t.PROBLEM_CONCERN}) | t.DIAGNOSIS_ACTS, entries.problems),
    (frozenset({t.IMMUNIZATION_ACTIVITY}), entries.immunizations),
    (frozenset({t.RESULT_ORGANIZER}), entries.results),
    (frozenset({t.VITAL_SIGNS_ORGANIZER}), entries.vital_signs),
    (frozenset({t.ENCOUNTER_ACTIVITY}), entries.encounters),
)
"""For sections that mix statement kinds (anesthesia: procedures and medications): the
entry's own template picks the mapper."""


def by_entry_template(entry: etree._Element, ctx: Context, position: str) -> list[dict[str, Any]]:
    roots = template_ids(entry)
    for templates, mapper in ENTRY_MAPPERS:
        if roots & templates:
            return mapper(entry, ctx, position)
    return []


SECTIONS: tuple[SectionSpec, ...] = (
    _spec("problems", "11450-4", ("5", "5.1"), entries.problems),
    _spec("discharge diagnosis", "11535-2", ("24",), entries.problems),
    _spec("admission diagnosis", "46241-6 42347-5", ("43",), entries.problems),
    _spec("preoperative diagnosis", "10219-4", ("34",), entries.problems),
    _spec("postoperative diagnosis", "10218-6", ("35",), entries.problems),
    _spec("postprocedure diagnosis", "59769-0", ("36",), entries.problems),
    _spec("complications", "55109-3", ("37",), entries.problems),
    _spec("procedure findings", "59776-5", ("28",), entries.problems),
    _spec("procedure indications", "59768-2", ("29",), entries.problems),
    _spec("allergies", "48765-2", ("6", "6.1"), entries.allergies),
    _spec("medications", "10160-0", ("1", "1.1"), entries.medications),
    _spec("admission medications", "42346-7", ("44",), entries.medications),
    _spec("discharge medications", "10183-2 75311-1", ("11", "11.1"), entries.medications),
    _spec("medications administered", "29549-3", ("38",), entries.medications),
    _spec("results", "30954-2", ("3", "3.1"), entries.results),
    _spec("vital signs", "8716-3", ("4", "4.1"), entries.vital_signs),
    _spec("immunizations", "11369-6", ("2", "2.1"), entries.immunizations),
    _spec("procedures", "47519-4", ("7", "7.1"), entries.procedures),
    _spec("encounters", "46240-8", ("22", "22.1"), entries.encounters),
    _spec("functional status", "47420-5", ("14",), entries.problems),
    _spec("mental status", "10190-7", ("56",), entries.problems),
    _spec("anesthesia", "59774-0", ("25",), by_entry_template),
    _spec("plan of treatment", "18776-5", ("10",), entries.planned),
    _spec("assessment and plan", "51847-2", ("9",), entries.planned),
    SectionSpec(
        "reason for referral",
        frozenset({"42349-1"}),
        frozenset({"1.3.6.1.4.1.19376.1.5.3.1.3.1"}),  # IHE, not a C-CDA 2.2 root
        entries.planned,
    ),
    _spec("social history", "29762-2", ("17",), entries.social_history),
)

_BY_TEMPLATE = MappingProxyType({tid: spec for spec in SECTIONS for tid in spec.templates})
_BY_LOINC = MappingProxyType({code: spec for spec in SECTIONS for code in spec.loinc})

_D = "2.16.840.1.113883.10.20.22.1."
DOCUMENT_TYPES = MappingProxyType(
    {
        _D + "2": "Continuity of Care Document",
        _D + "3": "History and Physical",
        _D + "4": "Consultation Note",
        _D + "5": "Diagnostic Imaging Report",
        _D + "6": "Procedure Note",
        _D + "7": "Operative Note",
        _D + "8": "Discharge Summary",
        _D + "9": "Progress Note",
        _D + "10": "Unstructured Document",
        _D + "13": "Transfer Summary",
        _D + "14": "Referral Note",
        _D + "15": "Care Plan",
    }
)
"""Document templates (US Realm Header ``.1`` is the common header, not a type)."""


def section_spec(template_roots: frozenset[str], loinc: str | None) -> SectionSpec | None:
    for root in sorted(template_roots):
        spec = _BY_TEMPLATE.get(root)
        if spec is not None:
            return spec
    return _BY_LOINC.get(loinc or "")


def document_type(template_roots: frozenset[str]) -> str | None:
    names = sorted(DOCUMENT_TYPES[r] for r in template_roots if r in DOCUMENT_TYPES)
    return names[0] if names else None
