"""Latency of ``AskService.ask`` with the offline evidence model, split by stage.

A synthetic cohort (``clinvault synth``) is ingested into a fresh home on tmpfs; one
clinician holds a grant for every patient; then a fixed set of questions is asked about
every patient, ``--rounds`` times. Reported per stage (authorize incl. its audit record,
retrieval incl. question pseudonymization and deny values, llm, reidentify, audit) and in
total: p50 and p95 in milliseconds. The first round is a warm-up and is not counted. Asks
the egress guard blocks (a note chunk still holding a third party's phone number, when
ingestion ran without free-text PHI detection) are counted and left out of the figures.

    .venv/bin/python benchmarks/bench_ask.py [--patients 20] [--rounds 3]
        [--embedder hashing|sentence-transformers] [--home DIR]

``--home DIR`` reuses a home that already holds an ingested ``clinvault synth`` cohort in
``DIR/cohort`` (e.g. the 100-patient evaluation home) with the embedder it was built with;
the bench user is added there (audit records are appended to its log).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.errors import EgressBlocked
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort

TMPFS = Path("/dev/shm")  # noqa: S108  (tmpfs: the Edge shard fsyncs every write)
USER = "bench-clinician"
QUESTIONS = (
    "What is the latest HbA1c?",
    "How has the systolic blood pressure changed over time?",
    "What allergies does the patient have?",
    "What are the current medications?",
    "Which immunizations has the patient had?",
    "What are the active conditions?",
    "What is the blood type?",
)
STAGES = ("authorize", "retrieval", "llm", "reidentify", "audit", "total")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def prepare(home: Path, patients: int, embedder: str) -> tuple[Settings, list[str]]:
    settings = Settings.load(
        home=home, index={"embedder": {"backend": embedder}, "path": str(home / "index")}
    )
    write_cohort(SynthConfig(patients=patients, seed=5), home / "cohort")
    with Runtime.open(settings) as runtime:
        runtime.ingest_pipeline().run([home / "cohort"])
    return settings, grant_all(settings, home)


def grant_all(settings: Settings, home: Path) -> list[str]:
    """The cohort's patient references, each granted to the bench user."""
    refs = []
    for bundle in sorted((home / "cohort").glob("*.json")):
        entries = json.loads(bundle.read_text()).get("entry", [])
        refs += [
            f"Patient/{e['resource']['id']}"
            for e in entries
            if e.get("resource", {}).get("resourceType") == "Patient"
        ]
    with Runtime.open(settings) as runtime:
        store = runtime.access_store
        if store.principal(USER) is None:
            store.add_user(USER, "clinician")
        for ref in refs:
            store.grant(USER, ref)
    return refs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--home", type=Path, help="an already ingested synth cohort home")
    args = parser.parse_args()
    root = TMPFS if TMPFS.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="clinvault-bench-ask-", dir=root) as folder:
        if args.home is not None:
            settings = Settings.load(home=args.home)
            refs = grant_all(settings, args.home)
            args.embedder = settings.index.embedder.backend
        else:
            settings, refs = prepare(Path(folder), args.patients, args.embedder)
        laps: dict[str, list[float]] = {stage: [] for stage in STAGES}
        blocked = 0
        with Runtime.open(settings) as runtime:
            service = runtime.ask_service()
            for round_no in range(args.rounds + 1):
                for ref in refs:
                    for question in QUESTIONS:
                        try:
                            result = service.ask(USER, ref, question)
                        except EgressBlocked:
                            blocked += round_no > 0
                            continue
                        if round_no == 0:
                            continue
                        for stage in STAGES[:-1]:
                            laps[stage].append(result.latency_ms.get(stage, 0.0))
                        laps["total"].append(sum(result.latency_ms.values()))
    asks = len(laps["total"])
    print(
        f"ask latency, {asks} asks ({len(refs)} patients x {len(QUESTIONS)} questions x "
        f"{args.rounds} rounds), embedder {args.embedder}, model {settings.llm.model}"
    )
    print(f"blocked by the egress guard (not in the figures): {blocked}")
    print(f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for stage in STAGES:
        values = laps[stage]
        print(
            f"{stage:<12}{percentile(values, 0.5):>10.1f}{percentile(values, 0.95):>10.1f}"
            f"{statistics.fmean(values):>10.1f}"
        )


if __name__ == "__main__":
    main()
