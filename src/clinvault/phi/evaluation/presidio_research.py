"""presidio-research's synthetic PII dataset (``synth_dataset_v2.json``).

A JSON list of ``{full_text, masked, spans: [{entity_type, entity_value, start_position,
end_position}], template_id}``. Its labels map onto clinvault PHI types below; TITLE
(``Mr.``, job titles), NRP (nationality, religion, politics) and AGE (only ages over 89 are
PHI under Safe Harbor, and the set's ages are ordinary ones) are not treated as PHI and
are not scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clinvault.errors import UnusableInputError
from clinvault.phi.base import PhiType
from clinvault.phi.evaluation.gold import GoldDocument, GoldSpan, LabelScheme

PRESIDIO_RESEARCH = LabelScheme(
    "presidio-research",
    {
        "PERSON": PhiType.NAME,
        "STREET_ADDRESS": PhiType.ADDR,
        "GPE": PhiType.ADDR,
        "ZIP_CODE": PhiType.ADDR,
        "ORGANIZATION": PhiType.ORG,
        "CREDIT_CARD": PhiType.ID,
        "IBAN_CODE": PhiType.ID,
        "US_DRIVER_LICENSE": PhiType.ID,
        "DATE_TIME": PhiType.DATE,
        "PHONE_NUMBER": PhiType.PHONE,
        "EMAIL_ADDRESS": PhiType.EMAIL,
        "DOMAIN_NAME": PhiType.URL,
        "US_SSN": PhiType.SSN,
        "IP_ADDRESS": PhiType.IP,
        "TITLE": None,
        "NRP": None,
        "AGE": None,
    },
)


def _document(item: Any, index: int, path: Path) -> GoldDocument:
    try:
        text = str(item["full_text"])
        spans = tuple(
            GoldSpan(int(s["start_position"]), int(s["end_position"]), str(s["entity_type"]))
            for s in item["spans"]
        )
    except (KeyError, TypeError, ValueError):
        raise UnusableInputError(
            "not a presidio-research item (full_text, spans)", where=f"{path}[{index}]"
        ) from None
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            raise UnusableInputError("span offsets outside the text", where=f"{path}[{index}]")
        if span.label not in PRESIDIO_RESEARCH.mapping:
            raise UnusableInputError(
                f"unknown entity type {span.label!r}", where=f"{path}[{index}]"
            )
    return GoldDocument(text, spans)


def load_presidio_research(path: Path) -> list[GoldDocument]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnusableInputError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise UnusableInputError(f"not JSON (line {exc.lineno})", where=str(path)) from None
    if not isinstance(data, list):
        raise UnusableInputError("expected a JSON list of items", where=str(path))
    return [_document(item, index, path) for index, item in enumerate(data)]
