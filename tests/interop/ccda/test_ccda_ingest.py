"""C-CDA through the ingest seam: ``.xml`` files and folders next to FHIR, the vault, the
index; the record target's PHI stays out of the index and the home; re-ingest is idempotent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.fhir.sources import BadInput, SkippedFile, SourceResource, iter_sources
from clinvault.settings import Settings
from tests.ingest.conftest import home_files_contain
from tests.interop.ccda.ccda_samples import PATIENT, minimal_ccd

runner = CliRunner()
DTD = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CLINVAULT_HOME": str(settings.home),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": settings.index.embedder.backend,
    }


def _phi() -> list[str]:
    return [
        PATIENT["given"], PATIENT["family"], PATIENT["street"], PATIENT["phone"],
        "555-723-1544", PATIENT["mrn"], PATIENT["ssn"], "1962-03-14", "marisol@example.org",
    ]  # fmt: skip


def test_a_folder_mixes_fhir_and_ccda(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ccd.xml").write_bytes(minimal_ccd())
    (folder / "other.xml").write_text("<note><to>x</to></note>")
    (folder / "evil.cda").write_bytes(DTD)
    (folder / "readme.md").write_text("not walked")
    (folder / "p.json").write_text(json.dumps({"resourceType": "Patient", "id": "p9"}))
    items = list(iter_sources([folder]))
    resources = [i for i in items if isinstance(i, SourceResource)]
    assert {r.where.split("#")[0] for r in resources} == {
        str(folder / "ccd.xml"),
        str(folder / "p.json"),
    }
    assert sum(r.resource["resourceType"] == "Patient" for r in resources) == 2
    assert [(s.path.name, s.reason) for s in items if isinstance(s, SkippedFile)] == [
        ("other.xml", "not a C-CDA document (root is not ClinicalDocument)")
    ]
    (bad,) = [i for i in items if isinstance(i, BadInput)]
    assert bad.where == str(folder / "evil.cda")
    assert "DOCTYPE" in bad.message
    assert "passwd" not in bad.message


def test_ingest_ccda_leaks_nothing_and_reingest_writes_nothing(
    fast_settings: Settings, tmp_path: Path
) -> None:
    document = tmp_path / "ccd.xml"
    document.write_bytes(minimal_ccd())
    result = runner.invoke(app, ["ingest", str(document)], env=_env(fast_settings))
    assert result.exit_code == 0, result.output
    dump = runner.invoke(app, ["index", "dump"], env=_env(fast_settings))
    assert dump.exit_code == 0
    lines = [json.loads(line) for line in dump.stdout.splitlines()]
    kinds = {(p["kind"], p["resource_type"]) for p in lines}
    for expected in (("note", "DocumentReference"), ("resource", "Observation"),
                     ("resource", "Condition"), ("summary", "Patient")):  # fmt: skip
        assert expected in kinds
    assert any("polyuria" in p["text"] for p in lines)  # the narrative is retrievable
    dumped = dump.stdout.lower()
    leaked = [n for n in _phi() if re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", dumped)]
    assert leaked == []
    assert home_files_contain(fast_settings.home, _phi(), fast_settings.master_key_file) == []
    again = runner.invoke(app, ["ingest", str(document)], env=_env(fast_settings))
    assert again.exit_code == 0, again.output
    assert _count(again.output, "resources read") == 19
    assert _count(again.output, "resources stored (new or changed)") == 0
    assert _count(again.output, "resources unchanged") == _count(again.output, "resources read")
    redump = runner.invoke(app, ["index", "dump"], env=_env(fast_settings))
    assert sorted(redump.stdout.splitlines()) == sorted(dump.stdout.splitlines())


def _count(output: str, label: str) -> int:
    match = re.search(re.escape(label) + r"\W+(\d+)", output)
    assert match is not None, label
    return int(match.group(1))


def test_refused_xml_exits_2_and_names_the_file_only(
    fast_settings: Settings, tmp_path: Path
) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_bytes(DTD)
    result = runner.invoke(app, ["ingest", str(evil)], env=_env(fast_settings))
    assert result.exit_code == 2, result.output
    assert "evil.xml" in result.output
    assert "DOCTYPE" in result.output
    assert "passwd" not in result.output


def test_a_patient_known_by_mrn_from_fhir_is_one_vault_patient(
    fast_settings: Settings, tmp_path: Path
) -> None:
    """The FHIR Patient has the document's MRN (same system and value, type MR): the C-CDA
    joins that patient (matched through the vault's blind index) instead of making a second."""
    fhir = tmp_path / "patient.json"
    mr = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
    fhir.write_text(
        json.dumps(
            {
                "resourceType": "Patient",
                "id": "fhir-p1",
                "identifier": [
                    {
                        "type": mr,
                        "system": "urn:oid:2.16.840.1.113883.19.5.99999.2",
                        "value": PATIENT["mrn"],
                    },
                    {"system": "urn:example:insurer", "value": "INS-99881"},
                ],
                "gender": "female",
            }
        )
    )
    document = tmp_path / "ccd.xml"
    document.write_bytes(minimal_ccd())
    for path in (fhir, document):
        result = runner.invoke(app, ["ingest", str(path)], env=_env(fast_settings))
        assert result.exit_code == 0, result.output
    dump = runner.invoke(app, ["index", "dump"], env=_env(fast_settings))
    lines = [json.loads(line) for line in dump.stdout.splitlines()]
    assert {p["resource_type"] for p in lines} >= {"Patient", "Condition", "DocumentReference"}
    assert len({p["patient"] for p in lines}) == 1
