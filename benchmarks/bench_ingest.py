"""Ingest throughput at N patients, next to embedding the same chunks alone, as a ratio.

    nice -n 10 .venv/bin/python benchmarks/bench_ingest.py --patients 20 [--workers N]
        [--embedder onnx|sentence-transformers|hashing] [--no-phi-detector] [--out DIR]

1. ``clinvault synth`` a cohort of N patients; 2. ingest it into a fresh home on tmpfs with
the same pipeline ``clinvault ingest`` runs (worker processes for validation and PHI
detection, embedding on a thread, one vault transaction per group of patients), timed from
before the first file is read to after the last group is committed (model loads included:
the embedder's and, in the workers, the PHI detector's); 3. in the same run, embed exactly
the chunk texts that ended up in the index with sentence-transformers on torch, batch 64 (the
project's default embedder alone), timed after a warm-up.

Reported: resources/s, chunks/s, the ratio ingest chunks/s / embedding-alone chunks/s
(1.0: ingest as fast as embedding alone), the stage seconds of the pipeline, peak RSS (this
process plus its worker processes, sampled every 0.2 s) and wall time. Each run appends one
JSON line to ``DIR/results.jsonl`` (default ``.artifacts/bench_ingest``) and rewrites
``DIR/results.md`` (every run so far as a table) and, when matplotlib is installed,
``DIR/throughput.png`` (resources/s per patient count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.cli.ingest import local_pipeline
from clinvault.index.factory import open_embedder
from clinvault.ingest.workers import default_workers
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort

TMPFS = Path("/dev/shm")  # noqa: S108  (tmpfs: the Edge shard fsyncs every write)
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(parts[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@contextmanager
def peak_rss() -> Iterator[dict[str, int]]:
    """Samples the RSS of this process plus its children every 0.2 s; ``peak`` in bytes."""
    result = {"peak": 0}
    stop = threading.Event()

    def sample() -> None:
        me = os.getpid()
        while not stop.is_set():
            total = _rss(me) + sum(_rss(c) for c in _children(me))
            result["peak"] = max(result["peak"], total)
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    cohort = root / "cohort"
    write_cohort(SynthConfig(patients=args.patients, seed=args.seed), cohort, force=True)
    settings = Settings.load(home=root / "home")
    embedder = settings.index.embedder.model_copy(update={"backend": args.embedder})
    index = settings.index.model_copy(update={"embedder": embedder})
    ingest = settings.ingest.model_copy(update={"detect_phi": not args.no_phi_detector})
    settings = settings.model_copy(update={"index": index, "ingest": ingest})
    with peak_rss() as rss:
        started = time.perf_counter()
        with Runtime.open(settings) as runtime, local_pipeline(runtime, args.workers) as pipeline:
            report = pipeline.run([cohort])
            ingest_s = time.perf_counter() - started
            texts = [c.text for c in runtime.index.scroll()]
    times = pipeline.times
    alone = open_embedder(
        settings.index.embedder.model_copy(
            update={"backend": "sentence-transformers", "batch_size": 64}
        )
    )
    alone.embed_documents(["warm up"])
    started = time.perf_counter()
    alone.embed_documents(texts)
    alone_s = time.perf_counter() - started
    chunks_rate = len(texts) / ingest_s
    return {
        "patients": args.patients,
        "workers": args.workers,
        "embedder": args.embedder,
        "phi_detector": not args.no_phi_detector,
        "cpus": default_workers(),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "resources": report.resources_seen,
        "chunks": len(texts),
        "wall_s": round(ingest_s, 1),
        "resources_per_s": round(report.resources_seen / ingest_s, 1),
        "chunks_per_s": round(chunks_rate, 1),
        "embed_alone_chunks_per_s": round(len(texts) / alone_s, 1),
        "ratio": round(chunks_rate / (len(texts) / alone_s), 2),
        "peak_rss_mb": round(rss["peak"] / 2**20),
        "stage_s": {
            name: round(getattr(times, name), 1)
            for name in ("read", "validate", "prepare", "detect", "scrub", "embed", "write")
        },
        "python": platform.python_version(),
    }


COLUMNS = (
    "patients",
    "workers",
    "embedder",
    "resources",
    "chunks",
    "wall_s",
    "resources_per_s",
    "chunks_per_s",
    "embed_alone_chunks_per_s",
    "ratio",
    "peak_rss_mb",
    "load_avg_1m",
)


def write_outputs(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("a") as sink:
        sink.write(json.dumps(result) + "\n")
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in COLUMNS) + " |" for r in rows]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axis = plt.subplots(figsize=(6, 4))
    for workers in sorted({r["workers"] for r in rows}):
        mine = sorted((r for r in rows if r["workers"] == workers), key=lambda r: r["patients"])
        axis.plot(
            [r["patients"] for r in mine],
            [r["resources_per_s"] for r in mine],
            marker="o",
            label=f"{workers} workers",
        )
    axis.set_xscale("log")
    axis.set_xlabel("patients")
    axis.set_ylabel("resources/s")
    axis.legend()
    figure.savefig(out / "throughput.png", dpi=120, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument(
        "--embedder", choices=("onnx", "sentence-transformers", "hashing"), default="onnx"
    )
    parser.add_argument("--no-phi-detector", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(".artifacts/bench_ingest"))
    args = parser.parse_args()
    base = TMPFS if TMPFS.is_dir() else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        result = run(args, Path(tmp))
    write_outputs(args.out, result)
    for key, value in result.items():
        print(f"{key:26} {value}")


if __name__ == "__main__":
    main()
