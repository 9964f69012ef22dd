"""Notes per second through clinvault's PHI detector vs presidio's out-of-the-box analyzer.

Both run on the same ~200 synthetic notes (``clinvault synth``), pinned to 2 cores, with
the same small spaCy model (presidio's default ``en_core_web_lg`` would need a download).
clinvault's detector batches through ``nlp.pipe`` and adds the clinical recognizers;
presidio's analyzer is called note by note with its default recognizers, as a user would.

    .venv/bin/python benchmarks/bench_phi.py [--patients 40] [--notes 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.phi import build_detector
from clinvault.phi.model_pins import verify_model
from clinvault.settings import PhiSettings
from clinvault.synth import SynthConfig, write_cohort

CORES = 2


def synthetic_notes(patients: int, limit: int) -> list[str]:
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        write_cohort(SynthConfig(patients=patients, seed=11), Path(folder))
        for path in sorted(Path(folder).glob("*.json")):
            bundle = json.loads(path.read_text(encoding="utf-8"))
            for entry in bundle.get("entry", []):
                resource = entry["resource"]
                if resource.get("resourceType") == "DocumentReference":
                    data = resource["content"][0]["attachment"]["data"]
                    notes.append(base64.b64decode(data).decode("utf-8"))
    return notes[:limit]


def notes_per_second(run: Callable[[Sequence[str]], object], notes: Sequence[str]) -> float:
    run(notes[:5])  # warm-up
    start = time.perf_counter()
    run(notes)
    return len(notes) / (time.perf_counter() - start)


def presidio_out_of_the_box(settings: PhiSettings) -> Callable[[Sequence[str]], object]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    model_dir = verify_model(settings.spacy_model, settings.model_pins_file)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(model_dir)}])
    analyzer = AnalyzerEngine(nlp_engine=engine)
    return lambda notes: [analyzer.analyze(text=n, language="en") for n in notes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--notes", type=int, default=200)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:CORES]))
    notes = synthetic_notes(args.patients, args.notes)
    settings = PhiSettings()
    detector = build_detector(settings)
    ours = notes_per_second(lambda batch: detector.detect_batch(batch), notes)
    baseline = notes_per_second(presidio_out_of_the_box(settings), notes)
    chars = sum(len(n) for n in notes) / len(notes)
    print(
        f"notes: {len(notes)} (mean {chars:.0f} chars), cores: {CORES}, model: {settings.spacy_model}"
    )
    print(f"clinvault detector (nlp.pipe + clinical recognizers): {ours:8.1f} notes/s")
    print(f"presidio AnalyzerEngine out of the box (same model):  {baseline:8.1f} notes/s")
    print(f"ratio clinvault / presidio: {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
