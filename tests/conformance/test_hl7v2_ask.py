"""Asking about a patient who arrived as HL7 v2: the normative ORU^R01 glucose message
(python-hl7 samples, ../shared/data) is ingested, and "What is the latest glucose?" is
answered with the OBX value and unit and a citation of the Observation made from that OBX."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.interop.hl7v2 import Converter
from clinvault.runtime import Runtime
from clinvault.settings import Settings

SAMPLE = Path("hl7v2") / "python-hl7_samples_extracted" / "ORU_R01_hl7_normative_glucose.hl7"
CLINICIAN = "dr-hl7"


@pytest.fixture
def fast(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedder": embedder})}
    )


def test_latest_glucose_cites_the_observation_of_the_obx(shared_data: Path, fast: Settings) -> None:
    path = shared_data / SAMPLE
    (conversion,) = Converter().convert_text(path.read_bytes(), path.name).conversions
    resources = [e["resource"] for e in conversion.bundle["entry"]]
    (patient,) = [r for r in resources if r["resourceType"] == "Patient"]
    obx_1 = next(r for r in resources if r["resourceType"] == "Observation")
    assert obx_1["code"]["coding"][0]["code"] == "1554-5"
    with Runtime.open(fast) as runtime:
        report = runtime.ingest_pipeline().run([path])
        assert (report.rejected, report.chunks_refused, report.patients) == ([], 0, 1)
        runtime.access_store.add_user(CLINICIAN, "clinician")
        runtime.access_store.grant(CLINICIAN, f"Patient/{patient['id']}")
        result = runtime.ask_service().ask(
            CLINICIAN, f"Patient/{patient['id']}", "What is the latest glucose?"
        )
    assert result.outcome == "answered", result.answer
    assert "182" in result.answer
    assert "mg/dl" in result.answer.lower()
    assert result.invalid_citations == []
    cited = [c.reference for c in result.citations]
    assert f"Observation/{obx_1['id']}" in cited, (cited, result.answer)
    own = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert set(cited) <= own  # the report of the OBR may be cited next to its results
