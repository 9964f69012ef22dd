"""What a question asks for: the newest value, a trend, a list of records, or a plain lookup.

:func:`detect_intent` asks the nearest labelled exemplars first (``ask.understanding``: many
phrasings per intent, shorthand and misspellings included); the keyword rules below decide
only when the exemplars are not clear, and keep every record kind a multi-part question
names. The intent decides how retrieval reads the index: ``latest`` and ``trend`` read a concept's
results by date (so the newest HbA1c is found among dozens), ``list`` reads every dated record
of the asked resource types, ``lookup`` relies on hybrid search alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from clinvault.llm.clinical_synonyms import KIND_WORDS

if TYPE_CHECKING:
    from clinvault.ask.understanding import ExemplarIndex

IntentKind = Literal["latest", "trend", "list", "lookup"]


def _kind_words(kind: str) -> str:
    return "|".join(re.escape(w) for w in KIND_WORDS[kind])


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
    (
        re.compile(
            r"\ballerg(?:y|ies|ic)\b|\bintolerances?\b|\b(?:"
            + _kind_words("AllergyIntolerance")
            + r")\b",
            re.I,
        ),
        ("AllergyIntolerance",),
    ),
    (
        re.compile(
            r"\bmedications?\b|\bmeds\b|\bdrugs?\b|\bprescri\w*|\bmedicines?\b|\b(?:"
            + _kind_words("Medication")
            + r")\b",
            re.I,
        ),
        ("MedicationRequest", "MedicationStatement"),
    ),
    (
        re.compile(
            r"\bconditions?\b|\bproblems?\b|\bdiagnos[ie]s\b|\bdiagnosed\b|\b(?:"
            + _kind_words("Condition")
            + r")\b",
            re.I,
        ),
        ("Condition",),
    ),
    (
        re.compile(
            r"\bimmuni[sz]ations?\b|\bvaccin\w*|\bshots?\b|\bjabs?\b|\b(?:"
            + _kind_words("Immunization")
            + r")\b",
            re.I,
        ),
        ("Immunization",),
    ),
    (
        re.compile(
            r"\bprocedures?\b|\bsurger(?:y|ies)\b|\boperations?\b|\b(?:"
            + _kind_words("Procedure")
            + r")\b",
            re.I,
        ),
        ("Procedure",),
    ),
    (DEMOGRAPHICS, ("Patient",)),
)


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    resource_types: tuple[str, ...] = ()
    """Resource types a list question names (``AllergyIntolerance`` for "allergies")."""
    aggregation: str = "lookup"
    """latest, trend, compare, list, count, exists or lookup (``ask.understanding``)."""
    decided_by: str = "keywords"
    """``exemplars`` or ``keywords`` (the tie-breaker)."""


def detect_intent(question: str, *, index: ExemplarIndex | None = None) -> Intent:
    """The nearest exemplars' intent when clear, else :func:`keyword_intent`. ``index``
    carries the deployment's embedder; without it the exemplars are compared by character
    n-grams. A vault token (``[NAME-7F3A2C91]``) is removed first: it is no word."""
    from clinvault.ask.understanding import plan_question

    rules = keyword_intent(question)
    plan = plan_question(_TOKEN.sub(" ", question), rules.kind, rules.resource_types, index)
    kind: IntentKind = plan.kind  # type: ignore[assignment]
    return Intent(kind, plan.resource_types, plan.aggregation, plan.decided_by)


_EXISTS = re.compile(
    r"^\W*(?:any|is there (?:a |any )?|(?:does|do|did|has|have) (?:the |this )?(?:patient|pt|she|he|they)"
    r"(?: ever)? (?:have|had))?\s*(?:past |prior |family )?(?:history|hx|h/o) of\b",
    re.I,
)
"""An existence question ("any history of stroke?", "hx of MI?"): not a trend of values."""
_COMPARE = re.compile(
    r"\b(?:better|worse|higher|lower|improv\w*|compar\w*)\b.*\b(?:than|previous|prior|before|"
    r"last (?:year|time|result|visit))\b",
    re.I,
)
"""A comparison ("is the A1c better than last year?"): read the series, like a trend."""
_TOKEN = re.compile(r"\[[A-Z]+-[0-9A-F]+\]")


def keyword_intent(question: str) -> Intent:
    """Trend beats latest ("history of HbA1c"); a named record list is read in full."""
    question = QUALIFIED_ALLERGY.sub("", question)
    types: list[str] = []
    for pattern, names in LIST_TYPES:
        if pattern.search(question):
            types.extend(name for name in names if name not in types)
    if _EXISTS.search(question):
        return Intent("list" if types else "lookup", tuple(types), "exists")
    if _COMPARE.search(question):
        return Intent("trend", tuple(types), "compare")
    if _TREND.search(question):
        return Intent("trend", tuple(types), "trend")
    if types:
        return Intent("list", tuple(types), "list")
    if _LATEST.search(question):
        return Intent("latest", aggregation="latest")
    return Intent("lookup")
