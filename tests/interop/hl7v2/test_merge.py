"""A40 merge at the vault level: the surviving patient keeps the only vault record, the
merged-away id resolves to it (vault look-ups, ask), its earlier records move over, and a
replay of the merge writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.interop.hl7v2 import Converter
from clinvault.runtime import Runtime
from clinvault.settings import Settings

CLINICIAN = "dr-merge"
MSH = "MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240101120000||{kind}|{control}|P|2.5"
ORU_OLD = "\r".join(
    [
        MSH.format(kind="ORU^R01", control="L1"),
        "PID|1||1002^^^HOSP^MR||DOE^JANE||19800102|F",
        "OBR|1|PL1|FL1|24323-8^Metabolic panel^LN|||20240101080000|||||||||||||||"
        "20240101100000|||F",
        "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL|70-105|H|||F",
    ]
)
ADT_NEW = "\r".join(
    [
        MSH.format(kind="ADT^A01", control="A1"),
        "PID|1||1001^^^HOSP^MR||DOE^JANE||19800102|F",
        "PV1|1|I|W1^101||||||||||||||||V100",
    ]
)
A40 = "\r".join(
    [
        MSH.format(kind="ADT^A40", control="M40"),
        "PID|1||1001^^^HOSP^MR||DOE^JANE||19800102|F",
        "MRG|1002^^^HOSP^MR",
    ]
)


@pytest.fixture
def fast(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(update={"embedder": embedder}),
            "ingest": settings.ingest.model_copy(update={"detect_phi": False}),
        }
    )


def _ref(message: str) -> str:
    (conversion,) = Converter().convert_text(message, "m.hl7").conversions
    patient = next(e["resource"] for e in conversion.bundle["entry"])
    assert patient["resourceType"] == "Patient"
    return f"Patient/{patient['id']}"


def test_a40_keeps_one_record_and_the_old_id_resolves_to_it(fast: Settings, tmp_path: Path) -> None:
    old_ref, new_ref = _ref(ORU_OLD), _ref(ADT_NEW)
    (tmp_path / "oru.hl7").write_text(ORU_OLD)
    (tmp_path / "adt.hl7").write_text(ADT_NEW)
    (tmp_path / "a40.hl7").write_text(A40)
    with Runtime.open(fast) as runtime:
        vault = runtime.vault
        first = runtime.ingest_pipeline().run([tmp_path / "oru.hl7", tmp_path / "adt.hl7"])
        assert first.rejected == []
        old_token, survivor = vault.patient_token(old_ref), vault.patient_token(new_ref)
        assert len(vault.patient_tokens()) == 2
        assert runtime.index.count(old_token) > 0

        merge = runtime.ingest_pipeline().run([tmp_path / "a40.hl7"])
        assert merge.rejected == []
        assert f"patient {old_token} merged into {survivor}" in merge.notices
        assert vault.patient_tokens() == [survivor]  # the survivor keeps the only record
        assert vault.patient_token(old_ref) == survivor
        assert vault.find_patient("patient", old_ref) == [survivor]
        assert not vault.is_erased(old_token)
        stored = vault.patient_resources(survivor)
        (patient,) = [r for r in stored if r["resourceType"] == "Patient"]
        assert patient["id"] == new_ref.split("/")[1]
        assert {"other": {"reference": old_ref}, "type": "replaces"} in patient["link"]
        (obs,) = [r for r in stored if r["resourceType"] == "Observation"]
        assert obs["subject"] == {"reference": new_ref}  # the old result moved over
        assert vault.patient_of(f"Observation/{obs['id']}") == new_ref
        assert runtime.index.count(old_token) == 0  # old points went, new ones are filed
        assert runtime.index.count(survivor) > 0

        replay = runtime.ingest_pipeline().run([tmp_path / "a40.hl7"])
        assert (replay.rejected, replay.resources_stored) == ([], 0)
        assert vault.patient_tokens() == [survivor]

        runtime.access_store.add_user(CLINICIAN, "clinician")
        runtime.access_store.grant(CLINICIAN, old_ref)
        result = runtime.ask_service().ask(CLINICIAN, old_ref, "What is the latest glucose?")
    assert result.outcome == "answered", result.answer
    assert "182" in result.answer
    assert result.invalid_citations == []
    assert f"Observation/{obs['id']}" in [c.reference for c in result.citations]


def test_a40_in_the_same_run_as_both_patients(fast: Settings, tmp_path: Path) -> None:
    old_ref, new_ref = _ref(ORU_OLD), _ref(ADT_NEW)
    (tmp_path / "all.hl7").write_text("\r".join([ORU_OLD, ADT_NEW, A40]))
    with Runtime.open(fast) as runtime:
        report = runtime.ingest_pipeline().run([tmp_path / "all.hl7"])
        assert report.rejected == []
        survivor = runtime.vault.patient_token(new_ref)
        assert runtime.vault.patient_tokens() == [survivor]
        assert runtime.vault.patient_token(old_ref) == survivor
        kinds = sorted(r["resourceType"] for r in runtime.vault.patient_resources(survivor))
    assert kinds == ["DiagnosticReport", "Encounter", "Observation", "Patient"]
