"""Sanity checks on NER findings that clinical text routinely trips.

spaCy's small model labels vitals and lab lines (``Wt 101 kg``, ``BMI 32.4``, ``LDL 133``)
as PERSON or ORG, short abbreviations (``MD``, ``NTG SL``) as places, and durations or
vitals as DATE. Those findings are dropped; the rule-based recognizers are not filtered.
"""

from __future__ import annotations

import re

from clinvault.phi.base import PhiType, Span
from clinvault.phi.recognizers.dates import is_date_expression

NUMBER_TOKEN = re.compile(r"(?<!\w)\d+(?:[.,]\d+)?(?!\w)")
ABBREVIATION = re.compile(r"^[A-Z0-9]{1,4}$")
ENTITY_TYPES = frozenset({PhiType.NAME, PhiType.ORG, PhiType.ADDR})


def plausible_ner_span(span: Span) -> bool:
    if span.type is PhiType.DATE:
        return is_date_expression(span.text)
    if span.type not in ENTITY_TYPES:
        return True
    if span.type is not PhiType.ADDR and NUMBER_TOKEN.search(span.text):
        return False
    words = re.findall(r"\w+", span.text)
    return not all(ABBREVIATION.match(word) for word in words)
