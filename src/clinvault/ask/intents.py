"""What a question asks for: the newest value, a trend, a list of records, or a plain lookup.

The intent decides how retrieval reads the index: ``latest`` and ``trend`` read a concept's
results by date (so the newest HbA1c is found among dozens), ``list`` reads every dated record
of the asked resource types, ``lookup`` relies on hybrid search alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

IntentKind = Literal["latest", "trend", "list", "lookup"]

_LATEST = re.compile(
    r"\b(latest|most recent|newest|current(?:ly)?|last|recent|now)\b", re.IGNORECASE
)
_TREND = re.compile(
    r"\b(trends?|trending|over time|over the (?:years|months)|history of|progression|"
    r"trajectory|all (?:of )?(?:the |her |his |their )?\w+ (?:values|results|readings))\b",
    re.IGNORECASE,
)

QUALIFIED_ALLERGY = re.compile(
    r"\b(?:drugs?|medications?|medicines?|meds|food|latex)\s+(?=allerg|intoleran|reaction)", re.I
)
"""A kind of allergy ("drug allergies"): the word names the allergen, not a medication ask."""
DEMOGRAPHICS = re.compile(
    r"\b(?:(?:first |last |full )?(?<!\[)name(?!-)|(?:home )?address|demographics?|date of birth|dob|"
    r"birth ?date|birthday|gender|sex)\b|\bwhere (?:does|do|did) .{0,40}\blives?\b",
    re.I,
)
"""Questions about who the patient is and where they live: read the Patient resource.
A vault token such as ``[NAME-7F3A2C91]`` in the (pseudonymized) question is not the word."""

LIST_TYPES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\ballerg(?:y|ies|ic)\b|\bintolerances?\b", re.I), ("AllergyIntolerance",)),
    (
        re.compile(r"\bmedications?\b|\bmeds\b|\bdrugs?\b|\bprescri\w*|\bmedicines?\b", re.I),
        ("MedicationRequest", "MedicationStatement"),
    ),
    (
        re.compile(r"\bconditions?\b|\bproblems?\b|\bdiagnos[ie]s\b|\bdiagnosed\b", re.I),
        ("Condition",),
    ),
    (
        re.compile(r"\bimmuni[sz]ations?\b|\bvaccin\w*|\bshots?\b|\bjabs?\b", re.I),
        ("Immunization",),
    ),
    (re.compile(r"\bprocedures?\b|\bsurger(?:y|ies)\b|\boperations?\b", re.I), ("Procedure",)),
    (DEMOGRAPHICS, ("Patient",)),
)


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    resource_types: tuple[str, ...] = ()
    """Resource types a list question names (``AllergyIntolerance`` for "allergies")."""


def detect_intent(question: str) -> Intent:
    """Trend beats latest ("history of HbA1c"); a named record list is read in full."""
    question = QUALIFIED_ALLERGY.sub("", question)
    types: list[str] = []
    for pattern, names in LIST_TYPES:
        if pattern.search(question):
            types.extend(name for name in names if name not in types)
    if _TREND.search(question):
        return Intent("trend", tuple(types))
    if types:
        return Intent("list", tuple(types))
    if _LATEST.search(question):
        return Intent("latest")
    return Intent("lookup")
