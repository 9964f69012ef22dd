"""HL7 v2 samples from LinuxForHealth (line endings, multi-line TX OBX) and python-hl7
(an FHS/BHS batch file, the normative ORU^R01 glucose message). ../shared/data."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from clinvault.fhir.validate import validate
from clinvault.interop.hl7v2 import Converter

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "hl7v2"
LFH = DATA / "linuxforhealth-hl7v2-fhir-converter"
PYHL7 = DATA / "python-hl7_samples_extracted"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def _convert(path: Path) -> list[dict]:  # type: ignore[type-arg]
    result = Converter().convert_text(path.read_bytes(), path.name)
    assert not result.errors, result.errors
    bundles = [c.bundle for c in result.conversions]
    for bundle in bundles:
        for entry in bundle["entry"]:
            assert validate(entry["resource"], path.name) is None
    return bundles


def _of(bundle: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_lf_and_crlf_files_give_identical_fhir() -> None:
    unix, windows = (LFH / "sample_unix.hl7").read_bytes(), (LFH / "sample_win.hl7").read_bytes()
    assert b"\r\n" in windows
    assert b"\r\n" not in unix
    assert _convert(LFH / "sample_unix.hl7") == _convert(LFH / "sample_win.hl7")
    (bundle,) = _convert(LFH / "sample_unix.hl7")
    allergies = _of(bundle, "AllergyIntolerance")
    assert [a["code"]["coding"][0]["display"] for a in allergies] == ["OXYCODONE", "TRAMADOL"]
    assert [m["text"] for m in allergies[1]["reaction"][0]["manifestation"]] == [
        "SEIZURES",
        "VOMITING",
    ]
    (problem,) = [
        c
        for c in _of(bundle, "Condition")
        if c["category"][0]["coding"][0]["code"] == "problem-list-item"
    ]
    assert problem["code"]["text"] == "aortic stenosis"


@pytest.mark.parametrize("name", ["ORU-multiline-short.hl7", "ORU-multiline-short-mixed.hl7"])
def test_multi_line_tx_obx_is_one_note(name: str) -> None:
    (bundle,) = _convert(LFH / name)
    (note,) = _of(bundle, "DocumentReference")
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode()
    lines = [
        line
        for line in (LFH / name).read_text().splitlines()
        if line.startswith("OBX") and "|TX|" in line
    ]
    expected = [line.split("|")[5] for line in lines if line.split("|")[5]]
    assert text.split("\n") == expected
    assert len(expected) >= 2


def test_fhs_bhs_batch_file() -> None:
    bundles = _convert(PYHL7 / "ADT_A04_batch_file_FHS_BHS.hl7")
    assert len(bundles) == 1
    (patient,) = _of(bundles[0], "Patient")
    assert patient["identifier"][0]["value"] == "0000112234"
    assert _of(bundles[0], "Encounter")[0]["status"] == "arrived"


def test_normative_oru_glucose() -> None:
    (bundle,) = _convert(PYHL7 / "ORU_R01_hl7_normative_glucose.hl7")
    (patient,) = _of(bundle, "Patient")
    assert patient["name"][0]["family"] == "EVERYWOMAN"
    assert patient["identifier"][0]["value"] == "555-44-4444"
    assert "birthDate" not in patient  # PID-7 196203520 is not a date: left out, not guessed
    glucose, fn = _of(bundle, "Observation")
    assert glucose["code"]["coding"][0]["code"] == "1554-5"
    assert glucose["valueQuantity"] == {"value": 182, "unit": "mg/dl", "code": "mg/dl"}
    assert glucose["referenceRange"][0]["low"] == {"value": 70}
    assert glucose["referenceRange"][0]["high"] == {"value": 105}
    assert glucose["interpretation"][0]["coding"][0]["code"] == "H"
    assert glucose["status"] == "final"
    assert fn["code"]["coding"][0]["code"] == "1553-5"
    (report,) = _of(bundle, "DiagnosticReport")
    assert report["result"][0]["reference"] == f"Observation/{glucose['id']}"
