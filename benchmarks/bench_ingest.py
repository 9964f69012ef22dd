"""Ingest throughput next to raw embedding throughput of the same chunks, as a ratio.

    .venv/bin/python benchmarks/bench_ingest.py --patients 100

1. synth a cohort; 2. ingest it into a fresh CLINVAULT_HOME (validation, vault encryption,
pseudonymization, PHI detection, leak gate, embedding, index writes), timed; 3. embed exactly
the chunk texts that ended up in the index with the same embedder, timed. The ratio
(ingest chunks/s) / (raw embedding chunks/s) says what the privacy and indexing work costs
beside embedding itself (1.0 = free).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import clinvault  # noqa: F401
from clinvault.index.factory import open_embedder
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-phi-detector", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cohort = root / "cohort"
        write_cohort(SynthConfig(patients=args.patients, seed=args.seed), cohort)
        settings = Settings.load(home=root / "home")
        if args.no_phi_detector:
            settings.ingest.detect_phi = False
        with Runtime.open(settings) as runtime:
            pipeline = runtime.ingest_pipeline()
            runtime.embedder.embed_documents(["warm up"])  # load the model outside the timing
            started = time.perf_counter()
            report = pipeline.run([cohort])
            ingest_s = time.perf_counter() - started
            texts = [c.text for c in runtime.index.scroll()]
        raw = open_embedder(settings.index.embedder)
        raw.embed_documents(["warm up"])
        started = time.perf_counter()
        raw.embed_documents(texts)
        embed_s = time.perf_counter() - started
    ingest_rate = len(texts) / ingest_s
    embed_rate = len(texts) / embed_s
    print(f"patients {args.patients}  resources {report.resources_seen}  chunks {len(texts)}")
    print(
        f"ingest: {ingest_s:.1f} s  {report.resources_seen / ingest_s:.1f} resources/s  {ingest_rate:.1f} chunks/s"
    )
    print(f"raw embedding of the same chunks: {embed_s:.1f} s  {embed_rate:.1f} chunks/s")
    print(f"ratio ingest/embedding throughput: {ingest_rate / embed_rate:.2f}")


if __name__ == "__main__":
    main()
