"""The synth cohort reader on a hand-made fixture, and the detector on a generated cohort."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from clinvault.errors import UnusableInputError
from clinvault.phi import PhiDetector, PhiType
from clinvault.phi.evaluation.metrics import evaluate
from clinvault.phi.evaluation.synth_cohort import SYNTH_COHORT, load_synth_cohort

NOTE = "Seen Sun 6/28. Neighbor Bill Rice drove her. Dr. Pham reviewed."


def write_fixture(folder: Path, spans: list[dict[str, object]]) -> None:
    data = base64.b64encode(NOTE.encode()).decode()
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "DocumentReference",
                    "id": "n1",
                    "content": [{"attachment": {"contentType": "text/plain", "data": data}}],
                }
            }
        ],
    }
    (folder / "p1.json").write_text(json.dumps(bundle))
    truth = {
        "patient_id": "p1",
        "file": "p1.json",
        "phi": [
            {"value": "Sun 6/28", "type": "DATE", "known_to_record": False, "spans": spans},
            {"value": "Pham", "type": "PROVIDER_NAME", "known_to_record": True, "spans": []},
        ],
    }
    (folder / "truth.jsonl").write_text(json.dumps(truth) + "\n")


def test_reader_decodes_notes_and_builds_the_context(tmp_path: Path) -> None:
    write_fixture(tmp_path, [{"where": "DocumentReference/n1", "start": 5, "end": 13}])
    [document] = load_synth_cohort(tmp_path)
    assert document.text == NOTE
    assert [(s.start, s.end, s.label) for s in document.spans] == [(5, 13, "DATE")]
    assert document.context is not None
    assert document.context.provider_names == ("Pham",)
    assert load_synth_cohort(tmp_path, use_context=False)[0].context is None


def test_span_in_an_unknown_note_is_refused(tmp_path: Path) -> None:
    write_fixture(tmp_path, [{"where": "DocumentReference/zz", "start": 5, "end": 13}])
    with pytest.raises(UnusableInputError, match=r"truth\.jsonl:1"):
        load_synth_cohort(tmp_path)


@pytest.mark.slow
def test_detector_on_generated_cohort_meets_the_targets(
    tmp_path: Path, detector: PhiDetector
) -> None:
    from clinvault.synth import SynthConfig, write_cohort

    write_cohort(SynthConfig(patients=12, seed=7), tmp_path)
    documents = load_synth_cohort(tmp_path)
    report = evaluate(detector, documents, SYNTH_COHORT)
    assert report.overall.support > 500
    assert report.overall.recall is not None
    assert report.overall.recall >= 0.99
    assert report.overall.precision is not None
    assert report.overall.precision >= 0.90
    ages = [t for t in report.types if t.phi_type is PhiType.AGE]
    assert all(t.recall == 1.0 for t in ages)
