"""Patient: demographics only. Names, identifiers, addresses and contacts are never rendered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import as_list, concept_display, when
from clinvault.fhir.render.base import Rendered, Sentence, joined, plain


def render_patient(resource: Mapping[str, Any]) -> Rendered:
    gender = plain(resource.get("gender"))
    born = when(resource.get("birthDate"))
    head = ", ".join(part for part in (gender, f"born {born}" if born else None) if part)
    sentence = Sentence("Patient", head or None)
    deceased = resource.get("deceasedDateTime")
    if isinstance(deceased, str):
        sentence.add_when(deceased, "deceased")
    elif resource.get("deceasedBoolean") is True:
        sentence.add("deceased")
    elif resource.get("deceasedBoolean") is False:
        sentence.add("alive")
    languages = [
        concept_display(item.get("language")) or ""
        for item in as_list(resource.get("communication"))
    ]
    sentence.add(joined([language for language in languages if language]), "language")
    active = resource.get("active")
    if active is False:
        sentence.add("record inactive")
    return Rendered(sentence.text(), None, (), None)
