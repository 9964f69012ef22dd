"""End to end: synth -> ingest -> dump; nothing the record knows of a patient leaks."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.settings import Settings
from clinvault.vault import Vault
from clinvault.vault.tokens import PATIENT_TOKEN_RE
from tests.leak_seed import seed_the_cli

from .conftest import home_files_contain, open_pipeline, truth

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CLINVAULT_HOME": str(settings.home),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": settings.index.embedder.backend,
    }


DATE_TYPES = {"DATE", "BIRTH_DATE"}


def _known_phi(cohort: Path) -> list[str]:
    """Known-to-record PHI other than dates: searched in the whole dump and home."""
    return [
        p["value"]
        for t in truth(cohort)
        for p in t["phi"]
        if p["known_to_record"] and p["type"] not in DATE_TYPES
    ]


def _real_dates_where_planted(cohort: Path, settings: Settings) -> dict[str, list[str]]:
    """Real dates by the token of the resource that holds them (birth dates: the Patient).

    Dates are checked where they were planted: a string search over every chunk cannot tell
    one patient's real date from another patient's shifted date (or another event's), which
    by chance can be the same calendar day."""
    vault = Vault.open(settings)
    try:
        planted: dict[str, list[str]] = {}
        for t in truth(cohort):
            patient_ref = f"Patient/{t['patient_id']}"
            for p in t["phi"]:
                if p["known_to_record"] and p["type"] in DATE_TYPES:
                    refs = [w for w in p["where"] if "/" in w] or [patient_ref]
                    for ref in refs:
                        planted.setdefault(vault.resource_token(ref), []).append(p["value"])
            born = t["demographics"]["birth_date"]
            planted.setdefault(vault.resource_token(patient_ref), []).append(born)
        return planted
    finally:
        vault.close()


def test_synth_ingest_dump_leaks_nothing_the_record_knows(
    fast_settings: Settings, cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_the_cli(monkeypatch)  # the same keys and date offsets on every run: a hit is a leak
    result = runner.invoke(app, ["ingest", str(cohort)], env=_env(fast_settings))
    assert result.exit_code == 0, result.output
    dump = runner.invoke(app, ["index", "dump"], env=_env(fast_settings))
    assert dump.exit_code == 0
    lines = [json.loads(line) for line in dump.stdout.splitlines()]
    assert len(lines) > 100
    assert {p["kind"] for p in lines} == {"resource", "note", "summary"}
    assert all(PATIENT_TOKEN_RE.fullmatch(p["patient"]) for p in lines)
    assert set(lines[0]) == {
        "chunk_id",
        "patient",
        "resource_type",
        "resource",
        "kind",
        "text",
        "date",
        "codes",
        "display",
    }
    dumped = dump.stdout.lower()
    needles = _known_phi(cohort) + [t["patient_id"] for t in truth(cohort)]
    leaked = [
        n for n in needles if re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", dumped)
    ]
    assert leaked == []
    assert home_files_contain(fast_settings.home, needles, fast_settings.master_key_file) == []
    planted = _real_dates_where_planted(cohort, fast_settings)
    by_resource: dict[str, str] = {}
    for line in lines:
        by_resource[line["resource"]] = by_resource.get(line["resource"], "") + json.dumps(line)
    assert set(planted) <= set(by_resource), "every resource holding a date was indexed"
    leaked_dates = [
        (resource, date)
        for resource, dates in planted.items()
        for date in dates
        if re.search(
            r"(?<!\w)" + re.escape(date.lower()) + r"(?!\w)", by_resource[resource].lower()
        )
    ]
    assert leaked_dates == []
    summaries = {line["patient"]: line["text"] for line in lines if line["kind"] == "summary"}
    vault = Vault.open(fast_settings)
    try:
        for t in truth(cohort):
            summary = summaries[vault.patient_token(f"Patient/{t['patient_id']}")]
            assert t["demographics"]["birth_date"] not in summary
    finally:
        vault.close()


def test_reingest_creates_no_duplicates_and_changes_replace_chunks(
    fast_settings: Settings, cohort: Path, tmp_path: Path
) -> None:
    pipeline = open_pipeline(fast_settings)
    try:
        first = pipeline.run([cohort])
        count = pipeline.index.count()
        again = pipeline.run([cohort])
        assert again.resources_stored == 0
        assert again.resources_unchanged == first.resources_seen
        assert pipeline.index.count() == count

        changed = tmp_path / "changed"
        shutil.copytree(cohort, changed)
        bundle_file = next(changed.glob("*-*.json"))
        bundle = json.loads(bundle_file.read_text())
        target = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
        target["resource"]["code"]["text"] = "Completely different condition text"
        bundle_file.write_text(json.dumps(bundle))
        third = pipeline.run([changed])
        assert third.resources_stored == 1
        assert pipeline.index.count() == count
        texts = [c.text for c in pipeline.index.scroll()]
        assert sum("Completely different condition text" in t for t in texts) >= 1
    finally:
        pipeline.close()


def test_truth_file_and_non_fhir_files_are_skipped_with_a_notice(
    fast_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "log.ndjson").write_text('{"transactionTime": "2020-01-01"}\n')
    (folder / "Observation.ndjson").write_text(
        json.dumps(
            {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"text": "Heart rate"},
                "subject": {"reference": "Patient/p1"},
            }
        )
        + "\n"
    )
    (folder / "Patient.ndjson").write_text(
        json.dumps({"resourceType": "Patient", "id": "p1", "gender": "female"}) + "\n"
    )
    result = runner.invoke(app, ["ingest", str(folder)], env=_env(fast_settings))
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert "log.ndjson" in result.output


def test_bad_input_is_reported_and_quarantined(fast_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a_malformed.json").write_text('{"resourceType": "Patient", ')
    (folder / "b_empty.json").write_text("")
    (folder / "c_wrong_type.json").write_text(json.dumps({"resourceType": "Patiant", "id": "x"}))
    (folder / "d_invalid.json").write_text(
        json.dumps(
            {
                "resourceType": "Observation",
                "id": "o2",
                "status": "final",
                "code": {"text": "x"},
                "subject": {"reference": "Patient/p9"},
                "valueQuantity": {"value": "Zebulon Quagmire"},
            }
        )
    )
    (folder / "e_dangling.json").write_text(
        json.dumps(
            {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "Patient/nobody-here"},
                "code": {"text": "Asthma"},
            }
        )
    )
    (folder / "f_good.json").write_text(
        json.dumps({"resourceType": "Patient", "id": "p9", "gender": "male"})
    )
    result = runner.invoke(app, ["ingest", str(folder)], env=_env(fast_settings))
    assert result.exit_code == 1, result.output
    out = result.output
    for name in (
        "a_malformed.json",
        "b_empty.json",
        "c_wrong_type.json",
        "d_invalid.json",
        "e_dangling.json",
    ):
        assert name in out, out
    assert "Zebulon" not in out
    assert "nobody-here" not in out
    from clinvault.vault import Vault

    quarantined = Vault.open(fast_settings).quarantined()
    assert {Path(q["where"]).name for q in quarantined} >= {"d_invalid.json", "e_dangling.json"}


def test_unusable_input_exits_2(fast_settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing")], env=_env(fast_settings))
    assert result.exit_code == 2
