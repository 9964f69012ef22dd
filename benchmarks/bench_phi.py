"""Notes per second through clinvault's PHI detectors vs presidio's out-of-the-box analyzer.

All run on the same notes, pinned to 2 cores, with the same small spaCy model (presidio's
default ``en_core_web_lg`` would need a download): ~200 synthetic notes of ``clinvault
synth`` (``--corpus synth``) or generated nursing notes (``--corpus nursing``, the tuning
seeds). clinvault's detector batches through ``nlp.pipe`` and adds the clinical recognizers;
the ensemble adds the nursing-note rules (regexes compiled once) and the safe-word rescue;
presidio's analyzer is called note by note with its default recognizers, as a user would.

    .venv/bin/python benchmarks/bench_phi.py [--corpus nursing] [--patients 40] [--notes 200]
        [--philter]   # also the philter candidate member (philter-lite's rules) alone
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
from clinvault.phi.ensemble import EnsembleDetector
from clinvault.phi.evaluation.nursing_notes import nursing_notes
from clinvault.phi.evaluation.presidio_baseline import PresidioOutOfTheBox
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
    baseline = PresidioOutOfTheBox(settings)
    return lambda notes: baseline.detect_batch(notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("synth", "nursing"), default="synth")
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--philter", action="store_true", help="also the philter member")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:CORES]))
    if args.corpus == "nursing":
        notes = [d.text for d in nursing_notes(args.notes)]
    else:
        notes = synthetic_notes(args.patients, args.notes)
    settings = PhiSettings()
    detector = build_detector(settings.model_copy(update={"backend": "presidio"}))
    ensemble = EnsembleDetector.from_settings(settings)
    ours = notes_per_second(lambda batch: detector.detect_batch(batch), notes)
    combined = notes_per_second(lambda batch: ensemble.detect_batch(batch), notes)
    baseline = notes_per_second(presidio_out_of_the_box(settings), notes)
    philter = None
    if args.philter:
        from clinvault.phi.philter import PhilterDetector

        member = PhilterDetector(settings)
        philter = notes_per_second(lambda batch: member.detect_batch(batch), notes)
    chars = sum(len(n) for n in notes) / len(notes)
    print(
        f"corpus: {args.corpus}, notes: {len(notes)} (mean {chars:.0f} chars), cores: {CORES}, "
        f"model: {settings.spacy_model}"
    )
    print(f"clinvault detector (nlp.pipe + clinical recognizers): {ours:8.1f} notes/s")
    print(f"clinvault ensemble (detector + nursing rules):        {combined:8.1f} notes/s")
    print(f"presidio AnalyzerEngine out of the box (same model):  {baseline:8.1f} notes/s")
    if philter is not None:
        print(f"philter member (philter-lite rules, spaCy tags):      {philter:8.1f} notes/s")
    print(f"ratio clinvault / presidio: {ours / baseline:.2f}")
    print(f"ratio ensemble / presidio:  {combined / baseline:.2f}")


if __name__ == "__main__":
    main()
