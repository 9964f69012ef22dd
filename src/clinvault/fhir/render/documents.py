"""DocumentReference metadata (type, date, status); the note body is in ``fhir.notes``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    as_dict,
    as_list,
    concept_with_codes,
    concepts_text,
    first_date,
    period,
)
from clinvault.fhir.render.base import Rendered, Sentence, joined, plain, rendered, unique


def render_document_reference(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("type")
    sentence = Sentence("DocumentReference", concept_with_codes(code) or "document")
    sentence.add(concepts_text(resource.get("category")), "category")
    sentence.add_when(resource.get("date"), "dated")
    context = as_dict(resource.get("context"))
    sentence.add(period(context.get("period")), "covering")
    kinds = [
        as_dict(content.get("attachment")).get("contentType")
        for content in as_list(resource.get("content"))
    ]
    sentence.add(joined(list(unique([k for k in kinds if isinstance(k, str)]))), "content")
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(plain(resource.get("docStatus")), "document status")
    date = resource.get("date")
    if not isinstance(date, str):
        date = first_date(context, ("period",))
    return rendered(sentence, date=date, code=code)
