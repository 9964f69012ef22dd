"""``clinvault convert``: prints the Bundle, writes nothing to the home, exit codes as ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from tests.interop.ccda.ccda_samples import PATIENT, minimal_ccd

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _invoke(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["convert", *args], env={"CLINVAULT_HOME": str(home)})


def test_json_prints_one_bundle_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    document = tmp_path / "ccd.xml"
    document.write_bytes(minimal_ccd())
    result = _invoke(home, str(document), "--json")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    bundle = json.loads(line)
    assert bundle["resourceType"] == "Bundle"
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["name"][0]["family"] == PATIENT["family"]
    assert list(home.iterdir()) == []


def test_default_output_is_indented_json(home: Path, tmp_path: Path) -> None:
    document = tmp_path / "ccd.ccda"
    document.write_bytes(minimal_ccd())
    result = _invoke(home, str(document))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "collection"
    assert "\n  " in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        (
            "evil.xml",
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "DOCTYPE",
        ),
        ("note.xml", b"<note>Jane Roe</note>", "not a C-CDA document"),
        ("bundle.json", b'{"resourceType": "Bundle"}', "needs no conversion"),
    ],
)
def test_unusable_input_exits_2_without_content(
    home: Path, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = _invoke(home, str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert says in result.output
    assert name in result.output
    assert "passwd" not in result.output
    assert "Jane" not in result.output


def test_missing_file_exits_2(home: Path, tmp_path: Path) -> None:
    result = _invoke(home, str(tmp_path / "absent.xml"))
    assert result.exit_code == 2
    assert "not a file" in result.output


def test_an_invalid_resource_exits_1_and_is_named_by_place(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clinvault.fhir.validate as validation
    from clinvault.errors import ResourceRejected

    real = validation.validate

    def refuse_immunizations(resource: dict, where: str) -> ResourceRejected | None:  # type: ignore[type-arg]
        if resource.get("resourceType") == "Immunization":
            return ResourceRejected(
                "1 validation error: status: bad", where=where, resource_type="Immunization"
            )
        return real(resource, where)

    monkeypatch.setattr(validation, "validate", refuse_immunizations)
    document = tmp_path / "ccd.xml"
    document.write_bytes(minimal_ccd())
    result = _invoke(home, str(document), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0])["resourceType"] == "Bundle"
    assert "invalid" in result.output
    assert "#Immunization/" in result.output


HL7_ADT = (
    "MSH|^~\\&|LAB|GOODHEALTH|EHR|GOODHEALTH|202401011200||ADT^A01|MSG00001|P|2.5\r"
    "EVN|A01|202401011200\r"
    "PID|1||448812^^^GOODHEALTH^MR||Quintanilla^Marisol||19620314|F\r"
    "PV1|1|I|W^389^1\r"
)


def test_hl7v2_files_convert_through_the_same_registry(home: Path, tmp_path: Path) -> None:
    from clinvault.fhir.sources import FORMATS

    if not any(f.name == "hl7v2" for f in FORMATS):
        pytest.skip("HL7 v2 is not in the ingest's format registry (clinvault.fhir.sources)")
    message = tmp_path / "adt.hl7"
    message.write_text(HL7_ADT)
    result = _invoke(home, str(message), "--json")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    resources = [e["resource"] for e in json.loads(line)["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    assert patient["birthDate"] == "1962-03-14"
    assert list(home.iterdir()) == []


def test_a_configuration_error_is_one_line_exit_2(home: Path, tmp_path: Path) -> None:
    from clinvault.fhir.sources import FORMATS

    if not any(f.name == "hl7v2" for f in FORMATS):
        pytest.skip("HL7 v2 is not in the ingest's format registry (clinvault.fhir.sources)")
    message = tmp_path / "adt.hl7"
    message.write_text(HL7_ADT)
    result = runner.invoke(
        app,
        ["convert", str(message)],
        env={"CLINVAULT_HOME": str(home), "CLINVAULT_HL7V2__TIMEZONE": "Mars/Olympus_Mons"},
    )
    assert result.exit_code == 2
    assert "time zone" in result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
