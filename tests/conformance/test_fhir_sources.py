"""clinvault.fhir against every FHIR R4 data set in ../shared/data/fhir_r4.

Each data set is one ingest: read, validate, link, render and extract notes for
every resource. Counts are the ones the data sets hold (see SOURCES.md).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinvault.fhir.notes import note_texts
from clinvault.fhir.references import Linkage, ReferenceIndex
from clinvault.fhir.render import render
from clinvault.fhir.sources import (
    BadInput,
    SkippedEntry,
    SkippedFile,
    SourceResource,
    iter_sources,
)
from clinvault.fhir.validate import validate

SHARED_TYPES = frozenset(
    {"Practitioner", "PractitionerRole", "Organization", "Location", "Medication", "Endpoint",
     "Provenance", "AuditEvent", "Parameters"}
)  # fmt: skip
"""Types that legitimately belong to no patient."""


@dataclass
class Ingest:
    resources: list[SourceResource]
    skipped_files: list[SkippedFile]
    skipped_entries: list[SkippedEntry]
    bad: list[BadInput]
    linkage: Linkage

    def types(self) -> Counter[str]:
        return Counter(str(r.resource["resourceType"]) for r in self.resources)


def ingest(folder: Path) -> Ingest:
    items = list(iter_sources([folder]))
    resources = [i for i in items if isinstance(i, SourceResource)]
    index = ReferenceIndex()
    for resource in resources:
        index.add(resource)
    return Ingest(
        resources,
        [i for i in items if isinstance(i, SkippedFile)],
        [i for i in items if isinstance(i, SkippedEntry)],
        [i for i in items if isinstance(i, BadInput)],
        index.link(),
    )


@pytest.fixture(scope="module")
def fhir_r4(shared_data: Path) -> Path:
    return shared_data / "fhir_r4"


@pytest.fixture(scope="module")
def ingests(fhir_r4: Path) -> dict[str, Ingest]:
    return {folder.name: ingest(folder) for folder in sorted(fhir_r4.iterdir()) if folder.is_dir()}


def test_every_data_set_is_read_with_the_expected_counts(ingests: dict[str, Ingest]) -> None:
    assert {name: len(i.resources) for name, i in ingests.items()} == {
        "hl7_fhir_r4_official_examples": 310,
        "inferno_uscore_reference_patients": 800,
        "synthea_bulk_10patients_smart": 7160,
        "synthea_bundles_smart_generated_sample_data": 3751,
        "synthea_hiv_bundles_with_notes_fhir_data_pipes": 1342,
    }
    bulk = ingests["synthea_bulk_10patients_smart"].types()
    assert (bulk["Patient"], bulk["Condition"], bulk["DocumentReference"]) == (13, 555, 1215)
    bundles = ingests["synthea_bundles_smart_generated_sample_data"].types()
    assert (bundles["Observation"], bundles["AllergyIntolerance"]) == (1476, 72)


def test_only_genuine_problems_are_reported_by_the_reader(ingests: dict[str, Ingest]) -> None:
    hl7 = ingests["hl7_fhir_r4_official_examples"]
    assert [f.path.name for f in hl7.skipped_files] == ["package.json"]
    assert len(hl7.skipped_entries) == 7  # GET requests in the request/transaction examples
    assert [b.where.rsplit("/", 1)[1] for b in hl7.bad] == [
        "Bundle-bundle-transaction.json#entry[5]",  # DELETE requests: nothing to ingest
        "Bundle-bundle-transaction.json#entry[6]",
    ]
    bulk = ingests["synthea_bulk_10patients_smart"]
    assert [f.path.name for f in bulk.skipped_files] == ["log.ndjson"]
    for name in ("inferno_uscore_reference_patients", "synthea_bulk_10patients_smart",
                 "synthea_bundles_smart_generated_sample_data",
                 "synthea_hiv_bundles_with_notes_fhir_data_pipes"):  # fmt: skip
        assert ingests[name].bad == [], name


def test_exactly_the_invalid_resource_is_rejected(ingests: dict[str, Ingest]) -> None:
    rejected = [
        rejection
        for data_set in ingests.values()
        for resource in data_set.resources
        if (rejection := validate(resource.resource, resource.where)) is not None
    ]
    # The only invalid resource in all five sets: an Inferno blood-pressure Observation whose
    # effectivePeriod has "stop" where FHIR's Period has "end".
    assert len(rejected) == 1
    [only] = rejected
    assert only.where.endswith(
        "inferno_uscore_reference_patients/uscore_bundle_patient_355.json#entry[266]"
    )
    assert str(only).endswith(
        "Observation: 1 validation error: effectivePeriod.stop: Extra inputs are not permitted"
    )


@pytest.mark.parametrize(
    "name",
    [
        "inferno_uscore_reference_patients",
        "synthea_bulk_10patients_smart",
        "synthea_bundles_smart_generated_sample_data",
        "synthea_hiv_bundles_with_notes_fhir_data_pipes",
    ],
)
def test_every_patient_resource_links_to_a_patient_in_patient_data_sets(
    ingests: dict[str, Ingest], name: str
) -> None:
    data_set = ingests[name]
    assert data_set.linkage.problems() == []
    unlinked = {
        link.resource_type
        for link in data_set.linkage.links.values()
        if link.patient is None and link.resource_type not in SHARED_TYPES
    }
    assert unlinked == set()
    assert len(data_set.linkage.patients()) == data_set.types()["Patient"]


def test_synthea_bulk_care_teams_resolve_conditional_practitioner_references(
    ingests: dict[str, Ingest],
) -> None:
    bulk = ingests["synthea_bulk_10patients_smart"]
    assert set(bulk.linkage.care_team) == bulk.linkage.patients()
    members = set().union(*bulk.linkage.care_team.values())
    assert members
    assert all(m.startswith(("Practitioner/", "PractitionerRole/")) for m in members)


def test_hl7_examples_dangle_only_where_the_patient_is_not_in_the_set(
    ingests: dict[str, Ingest],
) -> None:
    hl7 = ingests["hl7_fhir_r4_official_examples"]
    patients = [r.resource for r in hl7.resources if r.resource["resourceType"] == "Patient"]
    patient_ids = {patient.get("id") for patient in patients}
    identifiers = {i.get("value") for patient in patients for i in patient.get("identifier", [])}
    by_where = {r.where: r.resource for r in hl7.resources}
    problems = hl7.linkage.problems()
    assert len(problems) == 16
    for problem in problems:
        resource = by_where[problem.where]
        target = resource.get("subject") or resource.get("patient")
        if "reference" not in target:  # identifier-only, matching no Patient in the set
            assert target["identifier"]["value"] not in identifiers
        else:
            match = re.search(r"(?:^|/)Patient/([^/]+)$", target["reference"])
            assert match is not None
            assert match[1] not in patient_ids
        assert problem.problem is not None
        assert "dangling" in problem.problem


def test_render_and_notes_work_for_every_resource(ingests: dict[str, Ingest]) -> None:
    notes = Counter[str]()
    for name, data_set in ingests.items():
        for source in data_set.resources:
            rendered = render(source.resource)
            assert rendered.text.startswith(f"{source.resource['resourceType']}: "), source.where
            assert len(rendered.text) > len(source.resource["resourceType"]) + 3
            notes[name] += len(note_texts(source.resource))
    assert notes == {
        "hl7_fhir_r4_official_examples": 40,
        "inferno_uscore_reference_patients": 102,
        "synthea_bulk_10patients_smart": 1215,
        "synthea_bundles_smart_generated_sample_data": 0,
        "synthea_hiv_bundles_with_notes_fhir_data_pipes": 318,
    }


def test_rendered_text_never_carries_patient_names_or_ids(ingests: dict[str, Ingest]) -> None:
    for name in ("synthea_bulk_10patients_smart", "synthea_bundles_smart_generated_sample_data"):
        data_set = ingests[name]
        secrets: set[str] = set()
        for source in data_set.resources:
            if source.resource["resourceType"] == "Patient":
                secrets.add(source.resource["id"])
                for human in source.resource.get("name", []):
                    secrets.update(
                        part for part in [human.get("family"), *human.get("given", [])] if part
                    )
                for identifier in source.resource.get("identifier", []):
                    if len(identifier.get("value", "")) >= 6:
                        secrets.add(identifier["value"])
        assert len(secrets) > 30
        for source in data_set.resources:
            text = render(source.resource).text
            leaked = [secret for secret in secrets if secret in text]
            assert leaked == [], source.where
