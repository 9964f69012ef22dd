"""Encounter: class, type, period, reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    as_dict,
    as_list,
    code_strings,
    coding_display,
    concept_display,
    concepts_text,
    first_date,
    period,
)
from clinvault.fhir.render.base import Rendered, Sentence, plain, rendered


def render_encounter(resource: Mapping[str, Any]) -> Rendered:
    types = as_list(resource.get("type"))
    encounter_class = as_dict(resource.get("class"))
    kind = coding_display(encounter_class)
    head = concepts_text(types) or "encounter"
    sentence = Sentence("Encounter", f"{head} ({kind})" if kind else head)
    sentence.add(period(resource.get("period")), "period")
    sentence.add(concepts_text(resource.get("reasonCode")), "reason")
    sentence.add(concepts_text(resource.get("serviceType")), "service")
    hospitalization = as_dict(resource.get("hospitalization"))
    sentence.add(concept_display(hospitalization.get("dischargeDisposition")), "discharge")
    sentence.add(plain(resource.get("status")), "status")
    codes = [c for concept in types for c in code_strings(concept)]
    class_code = encounter_class.get("code")
    if isinstance(class_code, str):
        codes.append(f"{encounter_class.get('system') or ''}|{class_code}")
    main = types[0] if types else None
    return rendered(sentence, date=first_date(resource, ("period",)), extra_codes=codes,
                    display=concept_display(main) or kind)  # fmt: skip
