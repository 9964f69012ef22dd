"""References between resources: normalization to ``Type/id`` and patient linkage.

Index, then link. The ingest adds every resource of the input to a
``ReferenceIndex`` (pass 1, any order: NDJSON files of different types may
arrive in any order), then calls ``link()`` (pass 2) and gets a ``Linkage``::

    index = ReferenceIndex(prior=vault_records)
    for item in iter_sources(paths):
        if isinstance(item, SourceResource):
            index.add(item)
    linkage = index.link()
    linkage.links[item.where].patient      # "Patient/<id>", or None for shared resources
    linkage.problems()                     # dangling or conflicting patient references
    linkage.care_team["Patient/<id>"]      # {"Practitioner/<id>", "PractitionerRole/<id>"}
    linkage.resolve({"reference": "urn:uuid:..."}, bundle=item.bundle)   # "Observation/<id>"

The index keeps only keys, references and identifiers, not whole resources.

A resource belongs to a patient through (in this order) itself (``Patient``),
its ``subject``/``patient``/``beneficiary``/``individual`` reference to a
Patient, or its ``encounter`` (``context`` in some types) whose subject is a
Patient. A resource with none of these is *shared* (Practitioner,
Organization, Medication...). A reference to a Patient (or Encounter) that is
neither in the input nor known to ``prior`` is *dangling*: the link carries a
``problem`` naming the element and ``where``, never the reference itself; the
caller decides what to do with it.

References resolve as follows: ``urn:uuid:``/``urn:oid:`` through the
``fullUrl`` of the same Bundle, then of any Bundle in the input (UUIDs are
globally unique); absolute URLs through ``fullUrl`` or, failing that, their
trailing ``Type/id``; ``Type/id`` and ``Type/id/_history/v`` as they are;
conditional ``Type?identifier=system|value`` and identifier-only references
through the identifiers of the indexed resources. Contained (``#id``)
references stay local and resolve to ``None``. Keys are ``Type/id`` without a
server base: one ingest is assumed to hold one server's ids (a relative
reference in a Bundle whose fullUrls name two servers is not told apart).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

from clinvault.fhir.sources import SourceResource

PATIENT_FIELDS = ("subject", "patient", "beneficiary", "individual")
ENCOUNTER_FIELDS = ("encounter", "context")
CARE_TEAM_TYPES = frozenset({"Practitioner", "PractitionerRole"})
LITERAL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


class PriorRecords(Protocol):
    """What earlier ingests already know (the vault implements it)."""

    def patient_of(self, reference: str) -> str | None:
        """``Patient/<id>`` a known resource ``Type/id`` belongs to; a known Patient is its own."""


class NoPriorRecords:
    def patient_of(self, reference: str) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class RawReference:
    element: str
    """Element path in the resource, e.g. ``subject`` or ``participant[2].member``."""
    reference: str | None
    type: str | None
    identifier: tuple[str, str] | None
    """(system, value) of a logical reference."""


@dataclass(frozen=True, slots=True)
class ResourceLink:
    where: str
    resource_type: str
    key: str | None
    """``Type/id`` of the resource (from ``id``, else from a ``urn:uuid`` fullUrl)."""
    patient: str | None
    """``Patient/<id>`` it belongs to; ``None`` for a shared resource or a problem."""
    via: str | None
    """``self``, the patient element (``subject``...), or ``encounter``."""
    problem: str | None = None
    """A dangling or conflicting patient reference, naming element and place only."""

    @property
    def shared(self) -> bool:
        return self.patient is None and self.problem is None


@dataclass(slots=True)
class _Indexed:
    where: str
    resource_type: str
    key: str | None
    bundle: str | None
    patient_refs: tuple[RawReference, ...]
    encounter_refs: tuple[RawReference, ...]
    team_refs: tuple[RawReference, ...]
    role_practitioner: RawReference | None


class ReferenceResolver:
    """Normalizes references to ``Type/id`` within one ingest's input."""

    def __init__(self) -> None:
        self._by_bundle_url: dict[tuple[str | None, str], str] = {}
        self._by_url: dict[str, str | None] = {}
        self._by_identifier: dict[tuple[str, str, str], str | None] = {}
        self._by_value: dict[tuple[str, str], str | None] = {}

    def add(
        self, key: str, full_url: str | None, bundle: str | None, resource: Mapping[str, Any]
    ) -> None:
        if full_url:
            self._by_bundle_url[(bundle, full_url)] = key
            _put_unique(self._by_url, full_url, key)
        resource_type = key.partition("/")[0]
        for identifier in _list(resource.get("identifier")):
            system, value = identifier.get("system"), identifier.get("value")
            if isinstance(value, str):
                if isinstance(system, str):
                    _put_unique(self._by_identifier, (resource_type, system, value), key)
                _put_unique(self._by_value, (resource_type, value), key)

    def resolve(self, reference: Mapping[str, Any], *, bundle: str | None) -> str | None:
        """``Type/id`` of a FHIR Reference object, or ``None`` if it cannot be normalized."""
        raw = raw_reference("", reference)
        return self.resolve_raw(raw, bundle=bundle) if raw else None

    def resolve_raw(
        self, raw: RawReference, *, bundle: str | None, default_type: str | None = None
    ) -> str | None:
        if raw.reference is not None:
            return self.resolve_string(raw.reference, bundle=bundle)
        if raw.identifier is not None:
            target_type = raw.type or default_type
            return self._by_identity(target_type, *raw.identifier) if target_type else None
        return None

    def resolve_string(self, reference: str, *, bundle: str | None) -> str | None:
        if reference.startswith("#"):
            return None
        if reference.startswith("urn:"):
            return self._by_full_url(reference, bundle)
        if "?" in reference:
            return self._conditional(reference)
        if "://" in reference:
            found = self._by_full_url(reference, bundle)
            if found:
                return found
            match = LITERAL.search(reference)
            return f"{match[1]}/{match[2]}" if match else None
        match = RELATIVE.match(reference)
        return f"{match[1]}/{match[2]}" if match else None

    def _by_full_url(self, url: str, bundle: str | None) -> str | None:
        return self._by_bundle_url.get((bundle, url)) or self._by_url.get(url)

    def _conditional(self, reference: str) -> str | None:
        resource_type, _, query = reference.partition("?")
        identifiers = parse_qs(query).get("identifier", [])
        if len(identifiers) != 1:
            return None
        system, bar, value = identifiers[0].rpartition("|")
        if not bar:
            return self._by_identity(resource_type, None, value)
        return self._by_identity(resource_type, system, value)

    def _by_identity(self, resource_type: str, system: str | None, value: str) -> str | None:
        if system:
            return self._by_identifier.get((resource_type, system, value))
        return self._by_value.get((resource_type, value))


@dataclass(frozen=True)
class Linkage:
    links: Mapping[str, ResourceLink]
    """By ``where`` of the source item."""
    care_team: Mapping[str, frozenset[str]]
    """``Patient/<id>`` -> ``Practitioner/<id>`` and ``PractitionerRole/<id>`` caring for them."""
    resolver: ReferenceResolver = field(repr=False)

    def problems(self) -> list[ResourceLink]:
        return [link for link in self.links.values() if link.problem is not None]

    def patients(self) -> frozenset[str]:
        return frozenset(link.patient for link in self.links.values() if link.patient)

    def resolve(self, reference: Mapping[str, Any], *, bundle: str | None) -> str | None:
        return self.resolver.resolve(reference, bundle=bundle)


class ReferenceIndex:
    """Pass 1: ``add`` every resource of the ingest. Pass 2: ``link``."""

    def __init__(self, prior: PriorRecords | None = None) -> None:
        self._prior: PriorRecords = prior or NoPriorRecords()
        self._resolver = ReferenceResolver()
        self._items: list[_Indexed] = []

    def add(self, item: SourceResource) -> str | None:
        """Index one resource; returns its ``Type/id`` key (``None`` if it has no identity)."""
        resource = item.resource
        resource_type = str(resource.get("resourceType"))
        key = resource_key(resource, item.full_url)
        if key is not None:
            self._resolver.add(key, item.full_url, item.bundle, resource)
        self._items.append(
            _Indexed(
                where=item.where,
                resource_type=resource_type,
                key=key,
                bundle=item.bundle,
                patient_refs=tuple(_patient_references(resource)),
                encounter_refs=tuple(_encounter_references(resource)),
                team_refs=tuple(_care_team_references(resource)),
                role_practitioner=raw_reference("practitioner", resource.get("practitioner"))
                if resource_type == "PractitionerRole"
                else None,
            )
        )
        return key

    def link(self) -> Linkage:
        return _Linker(self._items, self._resolver, self._prior).run()


class _Linker:
    def __init__(
        self, items: Sequence[_Indexed], resolver: ReferenceResolver, prior: PriorRecords
    ) -> None:
        self.items = items
        self.resolver = resolver
        self.prior = prior
        self.patients = {i.key for i in items if i.resource_type == "Patient" and i.key}
        self.encounter_patient: dict[str, str] = {}
        self.role_practitioner: dict[str, str] = {}

    def run(self) -> Linkage:
        links: dict[str, ResourceLink] = {}
        first = [i for i in self.items if i.resource_type in ("Patient", "Encounter")]
        rest = [i for i in self.items if i.resource_type not in ("Patient", "Encounter")]
        for item in first + rest:
            link = self._link(item)
            links[item.where] = link
            if item.resource_type == "Encounter" and item.key and link.patient:
                self.encounter_patient[item.key] = link.patient
            if item.role_practitioner is not None and item.key:
                target = self.resolver.resolve_raw(item.role_practitioner, bundle=item.bundle)
                if target:
                    self.role_practitioner[item.key] = target
        return Linkage(links, self._care_team(links), self.resolver)

    def _link(self, item: _Indexed) -> ResourceLink:
        if item.resource_type == "Patient":
            if item.key is None:
                return _made(item, problem="Patient has no id and no fullUrl to identify it")
            return _made(item, item.key, "self")
        found: dict[str, str] = {}
        for raw in item.patient_refs:
            target = self.resolver.resolve_raw(raw, bundle=item.bundle, default_type="Patient")
            if target is None:
                if _may_be(raw, "Patient"):
                    return _made(
                        item, problem=_dangling(item, raw.element, "could not be resolved")
                    )
                continue
            if not target.startswith("Patient/"):
                continue
            if not self._patient_known(target):
                return _made(item, problem=_dangling(item, raw.element, "is not in the input"))
            found.setdefault(target, raw.element)
        if len(found) > 1:
            elements = " and ".join(sorted(found.values()))
            return _made(
                item,
                problem=f"{item.resource_type} at {item.where}: {elements} reference "
                "different patients",
            )
        if found:
            patient, element = next(iter(found.items()))
            return _made(item, patient, element)
        return self._link_by_encounter(item)

    def _link_by_encounter(self, item: _Indexed) -> ResourceLink:
        for raw in item.encounter_refs:
            target = self.resolver.resolve_raw(raw, bundle=item.bundle, default_type="Encounter")
            if target is None:
                if _may_be(raw, "Encounter"):
                    return _made(
                        item, problem=_dangling(item, raw.element, "could not be resolved")
                    )
                continue
            if not target.startswith("Encounter/"):
                continue
            patient = self.encounter_patient.get(target) or self.prior.patient_of(target)
            if patient is None:
                return _made(item, problem=_dangling(item, raw.element, "is not in the input"))
            return _made(item, patient, "encounter")
        return _made(item)

    def _patient_known(self, key: str) -> bool:
        return key in self.patients or self.prior.patient_of(key) == key

    def _care_team(self, links: Mapping[str, ResourceLink]) -> dict[str, frozenset[str]]:
        team: dict[str, set[str]] = {}
        for item in self.items:
            patient = links[item.where].patient
            if patient is None or not item.team_refs:
                continue
            members = team.setdefault(patient, set())
            for raw in item.team_refs:
                target = self.resolver.resolve_raw(
                    raw, bundle=item.bundle, default_type="Practitioner"
                )
                if target is None or target.partition("/")[0] not in CARE_TEAM_TYPES:
                    continue
                members.add(target)
                if target in self.role_practitioner:
                    members.add(self.role_practitioner[target])
        return {patient: frozenset(members) for patient, members in team.items() if members}


def resource_key(resource: Mapping[str, Any], full_url: str | None = None) -> str | None:
    """``Type/id`` of a resource: from ``id``, else from the uuid of a ``urn:uuid`` fullUrl."""
    resource_type = resource.get("resourceType")
    resource_id = resource.get("id")
    if isinstance(resource_id, str) and resource_id:
        return f"{resource_type}/{resource_id}"
    if full_url and full_url.startswith("urn:uuid:"):
        return f"{resource_type}/{full_url.removeprefix('urn:uuid:')}"
    if full_url:
        match = LITERAL.search(full_url)
        if match and match[1] == resource_type:
            return f"{match[1]}/{match[2]}"
    return None


def raw_reference(element: str, value: object) -> RawReference | None:
    if not isinstance(value, Mapping):
        return None
    reference = value.get("reference")
    target_type = value.get("type")
    identifier = value.get("identifier")
    logical = None
    if isinstance(identifier, Mapping) and isinstance(identifier.get("value"), str):
        system = identifier.get("system")
        logical = (system if isinstance(system, str) else "", identifier["value"])
    if not isinstance(reference, str) and logical is None:
        return None
    return RawReference(
        element,
        reference if isinstance(reference, str) else None,
        target_type if isinstance(target_type, str) else None,
        logical,
    )


def _patient_references(resource: Mapping[str, Any]) -> Iterator[RawReference]:
    for name in PATIENT_FIELDS:
        for position, value in _indexed(resource.get(name)):
            raw = raw_reference(f"{name}{position}", value)
            if raw is not None:
                yield raw


def _encounter_references(resource: Mapping[str, Any]) -> Iterator[RawReference]:
    for name in ENCOUNTER_FIELDS:
        value = resource.get(name)
        if name == "context" and isinstance(value, Mapping) and "encounter" in value:
            for position, encounter in _indexed(value.get("encounter")):
                raw = raw_reference(f"context.encounter{position}", encounter)
                if raw is not None:
                    yield raw
            continue
        for position, item in _indexed(value):
            raw = raw_reference(f"{name}{position}", item)
            if raw is not None:
                yield raw


def _care_team_references(resource: Mapping[str, Any]) -> Iterator[RawReference]:
    resource_type = resource.get("resourceType")
    if resource_type == "Patient":
        for suffix, value in _indexed(resource.get("generalPractitioner")):
            raw = raw_reference(f"generalPractitioner{suffix}", value)
            if raw is not None:
                yield raw
        return
    member = {"CareTeam": "member", "Encounter": "individual"}.get(str(resource_type))
    if member is None:
        return
    for position, participant in enumerate(_list(resource.get("participant"))):
        raw = raw_reference(f"participant[{position}].{member}", participant.get(member))
        if raw is not None:
            yield raw


def _made(
    item: _Indexed, patient: str | None = None, via: str | None = None, problem: str | None = None
) -> ResourceLink:
    return ResourceLink(item.where, item.resource_type, item.key, patient, via, problem)


def _dangling(item: _Indexed, element: str, how: str) -> str:
    return (
        f"{item.resource_type} at {item.where}: the {element} reference {how} "
        "and is not an already known record (dangling)"
    )


def _may_be(raw: RawReference, resource_type: str) -> bool:
    """An unresolvable reference that could point at ``resource_type`` (so it cannot be ignored)."""
    if raw.type is not None:
        return raw.type == resource_type
    if raw.reference is None:
        return True
    reference = raw.reference
    if reference.startswith("#"):
        return False
    if reference.startswith("urn:"):
        return True
    return reference.startswith(resource_type) or f"/{resource_type}/" in reference


def _indexed(value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, list):
        for position, item in enumerate(value):
            yield f"[{position}]", item
    elif value is not None:
        yield "", value


def _list(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _put_unique(table: dict[Any, str | None], key: Any, value: str) -> None:
    """Store ``value``; a second different value for the same key makes it ambiguous (``None``)."""
    if key in table and table[key] != value:
        table[key] = None
    else:
        table[key] = value
