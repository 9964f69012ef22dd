"""Care planning and equipment: CarePlan, Goal, CareTeam, Device."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinvault.fhir.codes import (
    as_dict,
    as_list,
    choice,
    code_strings,
    concept_display,
    concept_with_codes,
    concepts_text,
    first_date,
    period,
    reference_type,
    typed_value_text,
    when,
)
from clinvault.fhir.render.base import Rendered, Sentence, joined, plain, rendered, unique


def render_care_plan(resource: Mapping[str, Any]) -> Rendered:
    categories = as_list(resource.get("category"))
    main = categories[0] if categories else None
    sentence = Sentence("CarePlan", concepts_text(categories) or "care plan")
    activities = [
        as_dict(activity.get("detail")).get("code")
        for activity in as_list(resource.get("activity"))
    ]
    sentence.add(concepts_text(activities), "activities")
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(plain(resource.get("intent")), "intent")
    sentence.add(period(resource.get("period")), "period")
    addresses = len(as_list(resource.get("addresses")))
    if addresses:
        sentence.add(f"addresses {addresses} condition{'s' if addresses != 1 else ''}")
    codes = [
        c
        for concept in categories + [as_dict(a) for a in activities]
        for c in code_strings(concept)
    ]
    return rendered(
        sentence, date=first_date(resource, ("period", "created")), extra_codes=codes,
        display=concept_display(main),
    )  # fmt: skip


def render_goal(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("description")
    sentence = Sentence("Goal", concept_with_codes(code) or "unnamed goal")
    sentence.add(plain(resource.get("lifecycleStatus")), "status")
    sentence.add(concept_display(resource.get("achievementStatus")), "achievement")
    sentence.add(concept_display(resource.get("priority")), "priority")
    sentence.add_when(resource.get("startDate"), "start")
    targets = [_target(target) for target in as_list(resource.get("target"))]
    sentence.add(joined([t for t in targets if t], "; "), "target")
    sentence.add_when(resource.get("statusDate"), "status date")
    return rendered(sentence, date=first_date(resource, ("startDate", "statusDate")), code=code)


def _target(target: Mapping[str, Any]) -> str | None:
    measure = concept_display(target.get("measure"))
    detail = choice(target, "detail")
    value = typed_value_text(*detail) if detail else None
    due = when(target.get("dueDate"))
    parts = [
        p for p in (measure, f"= {value}" if value else None, f"by {due}" if due else None) if p
    ]
    return " ".join(parts) or None


def render_care_team(resource: Mapping[str, Any]) -> Rendered:
    categories = as_list(resource.get("category"))
    sentence = Sentence("CareTeam", concepts_text(categories) or "care team")
    roles = [
        concept_display(role)
        for participant in as_list(resource.get("participant"))
        for role in as_list(participant.get("role"))
    ]
    sentence.add(joined(list(unique([r for r in roles if r]))), "roles")
    members = [reference_type(p.get("member")) for p in as_list(resource.get("participant"))]
    counts = {kind: members.count(kind) for kind in unique([m for m in members if m])}
    sentence.add(joined([f"{n} {kind}" for kind, n in counts.items()]), "members")
    sentence.add(concepts_text(resource.get("reasonCode")), "reason")
    sentence.add(plain(resource.get("status")), "status")
    sentence.add(period(resource.get("period")), "period")
    codes = [c for concept in categories for c in code_strings(concept)]
    main = categories[0] if categories else None
    return rendered(sentence, date=first_date(resource, ("period",)), extra_codes=codes,
                    display=concept_display(main))  # fmt: skip


def render_device(resource: Mapping[str, Any]) -> Rendered:
    code = resource.get("type")
    sentence = Sentence("Device", concept_with_codes(code) or "unnamed device")
    sentence.add(plain(resource.get("status")), "status")
    sentence.add_when(resource.get("manufactureDate"), "manufactured")
    sentence.add_when(resource.get("expirationDate"), "expires")
    return rendered(sentence, date=first_date(resource, ("manufactureDate",)), code=code)
