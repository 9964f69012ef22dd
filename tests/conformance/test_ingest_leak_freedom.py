"""Every FHIR data set in ../shared/data/fhir_r4 ingests, and no direct identifier of any
source Patient (names, identifiers, telecom, address lines, birth date, id) reaches the index
or any file under CLINVAULT_HOME. Uses the hashing embedder: the leak question does not
depend on the embedding model, and CI time does.

A source id that is an English word (the official examples' Patient ``example``) is looked for
in its structured form, the reference ``Patient/example``, not as a bare word: the id is
tokenized wherever the record uses it as an id, but a note saying "In this example, the blood
pressure..." repeats the word, not the patient, and keeps it. Ids that read as codes
(``f201``, ``pat1``, uuids) and every other id are looked for as they are, free text included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy

from clinvault.fhir.sources import SourceResource, iter_sources
from clinvault.phi.model_pins import verify_model
from clinvault.phi.name_lexicon import english_words
from clinvault.runtime import Runtime
from clinvault.settings import PhiSettings, Settings
from tests.ingest.conftest import home_files_contain
from tests.leak_seed import seeded_runtime

DATASETS = [
    "synthea_bulk_10patients_smart",
    "synthea_bundles_smart_generated_sample_data",
    "synthea_hiv_bundles_with_notes_fhir_data_pipes",
    "inferno_uscore_reference_patients",
    "hl7_fhir_r4_official_examples",
]
SPACY_PIPES_BUT_LEMMATIZER = ["tok2vec", "tagger", "parser", "attribute_ruler", "ner", "senter"]


@pytest.fixture(scope="module")
def words() -> frozenset[str]:
    """The English word list the PHI detector tells words from names with (WordNet lemmas of
    the pinned spaCy model), case-folded."""
    phi = PhiSettings()
    model = verify_model(phi.spacy_model, phi.model_pins_file)
    return english_words(spacy.load(model, exclude=SPACY_PIPES_BUT_LEMMATIZER))


def _patient_identifiers(patient: dict[str, Any], words: frozenset[str]) -> Iterator[str]:
    for name in patient.get("name") or []:
        yield from name.get("given") or []
        if name.get("family"):
            yield name["family"]
        if name.get("text"):
            yield name["text"]
    for ident in patient.get("identifier") or []:
        if ident.get("value"):
            yield ident["value"]
    for point in patient.get("telecom") or []:
        if point.get("value"):
            yield point["value"]
    for address in patient.get("address") or []:
        yield from address.get("line") or []
        for key in ("city", "postalCode"):
            if address.get(key):
                yield address[key]
    source_id = patient.get("id")
    if isinstance(source_id, str) and source_id:
        # a word id ("example") is looked for where it is an id: in references
        yield f"Patient/{source_id}" if source_id.casefold() in words else source_id


def _patients(folder: Path) -> list[dict[str, Any]]:
    return [
        item.resource
        for item in iter_sources([folder])
        if isinstance(item, SourceResource) and item.resource.get("resourceType") == "Patient"
    ]


def _coded_words(folder: Path) -> set[str]:
    """Lower-case words of every coding display and CodeableConcept text in the data set:
    clinical vocabulary ("Well child visit"), which a name can coincide with (the Inferno
    patient 908 is called "Child")."""
    words: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            is_coding = "code" in node or "system" in node  # not Reference.display: names
            if is_coding and isinstance(node.get("display"), str):
                words.update(re.findall(r"\w+", node["display"].lower()))
            if "coding" in node and isinstance(node.get("text"), str):  # CodeableConcept
                words.update(re.findall(r"\w+", node["text"].lower()))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for item in iter_sources([folder]):
        if isinstance(item, SourceResource):
            walk(item.resource)
    return words


def _needles(patients: list[dict[str, Any]], words: frozenset[str]) -> list[str]:
    values = {v for p in patients for v in _patient_identifiers(p, words) if isinstance(v, str)}
    # as the matcher does: single characters and short numbers are not identifying
    return sorted(v for v in values if len(v) >= 3 and not (v.isdigit() and len(v) < 5))


@pytest.mark.parametrize("dataset", DATASETS)
def test_dataset_ingests_without_leaking(
    dataset: str, shared_data: Path, settings: Settings, words: frozenset[str]
) -> None:
    fast = settings.model_copy(
        update={
            "index": settings.index.model_copy(
                update={
                    "embedder": settings.index.embedder.model_copy(update={"backend": "hashing"})
                }
            )
        }
    )
    folder = shared_data / "fhir_r4" / dataset
    with seeded_runtime(fast) as runtime:  # the same offsets on every run
        report = runtime.ingest_pipeline().run([folder])
        chunks = list(runtime.index.scroll())
    assert report.chunks_refused == 0
    assert report.resources_stored > 0
    assert chunks
    invalid = [p for p in report.rejected if "validation error" in p.message]
    if dataset == "inferno_uscore_reference_patients":
        assert [Path(p.where.split("#")[0]).name for p in invalid] == [
            "uscore_bundle_patient_355.json"
        ]
    else:
        assert invalid == []
    patients = _patients(folder)
    needles = _needles(patients, words)
    assert needles
    by_patient: dict[str, list[str]] = {}
    for chunk in chunks:
        by_patient.setdefault(chunk.patient, []).append(
            json.dumps(chunk.payload(), ensure_ascii=False)
        )
    leaked = []
    for patient in patients:
        own = "\n".join(by_patient.get(vault_token(fast, patient.get("id", "")), []))
        for value in _needles([patient], words):
            if re.search(r"(?<![\w])" + re.escape(value) + r"(?![\w])", own, re.IGNORECASE):
                leaked.append(value)
    assert leaked == [], f"{len(leaked)} identifier(s) leaked into their patient's chunks"
    # Across patients, a string search cannot tell a name from the same clinical word in
    # another patient's record; single-word names that are coded vocabulary of the data set
    # are checked per patient only (above).
    vocabulary = _coded_words(folder)
    cross_patient = [n for n in needles if n.lower() not in vocabulary]
    assert home_files_contain(fast.home, cross_patient, fast.master_key_file) == []
    # A real birth date can coincide with some shifted event date, so it is checked where
    # the patient is described: the summary chunk.
    summaries = {c.patient: c.text for c in chunks if c.kind == "summary"}
    for patient in patients:
        born = patient.get("birthDate")
        if born and patient.get("id"):
            token = vault_token(fast, patient["id"])
            assert born not in summaries.get(token, ""), "a real birth date is in a summary chunk"


def vault_token(settings: Settings, patient_id: str) -> str:
    with Runtime.open(settings) as runtime:
        return runtime.vault.patient_token(f"Patient/{patient_id}")
