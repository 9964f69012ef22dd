"""Index benchmarks, measured side by side on this machine.

1. Filtered hybrid query latency (patient filter + BM25 + dense, RRF) on the Edge store vs
   qdrant-client local mode, both holding the same ``--size`` synthetic chunks.
2. Embedding throughput of the configured sentence-transformers model (texts/s, batch 64).

    .venv/bin/python benchmarks/bench_index.py [--size 50000] [--queries 30]
        [--local-queries 5] [--no-optimize] [--skip-embed]

Vectors for (1) are random unit vectors (query latency does not depend on the model);
texts are templated clinical sentences so BM25 has a realistic vocabulary. Both indexes
live on tmpfs when there is one: qdrant-client local mode commits SQLite once per point,
which on a plain disk makes loading 50k points take tens of minutes. Local mode scans every
point in Python per query, so it runs fewer queries (``--local-queries``).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.index import open_embedder, open_index
from clinvault.index.base import SearchQuery, VectorIndex
from clinvault.model import Chunk
from clinvault.settings import Settings

DIMENSION = 384
PATIENTS = 500
LABS = [
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL"),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL"),
    ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    ("29463-7", "Body weight", "kg"),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL"),
]
DRUGS = ["metformin 500 MG", "lisinopril 10 MG", "atorvastatin 20 MG", "amlodipine 5 MG"]


def synthetic_chunks(size: int, rng: random.Random) -> list[Chunk]:
    chunks = []
    for i in range(size):
        patient = f"PT-{i % PATIENTS:016X}"
        year, month = 2005 + rng.randrange(20), 1 + rng.randrange(12)
        if rng.random() < 0.8:
            code, display, unit = rng.choice(LABS)
            text = f"Observation {display} (LOINC {code}): {rng.uniform(1, 200):.1f} {unit}."
            rtype, codes = "Observation", (f"http://loinc.org|{code}",)
        else:
            text = f"Medication {rng.choice(DRUGS)} oral tablet, daily, active."
            rtype, codes = "MedicationRequest", ()
        chunks.append(
            Chunk(
                chunk_id=str(uuid.UUID(int=rng.getrandbits(128))),
                patient=patient,
                resource_type=rtype,
                resource=f"RES-{i:016X}",
                kind="resource",
                text=text,
                date=f"{year}-{month:02d}-15",
                codes=codes,
            )
        )
    return chunks


def unit_vector(rng: random.Random) -> list[float]:
    values = [rng.gauss(0.0, 1.0) for _ in range(DIMENSION)]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


def fill(index: VectorIndex, chunks: list[Chunk], rng: random.Random) -> float:
    start = time.perf_counter()
    for offset in range(0, len(chunks), 1000):
        batch = chunks[offset : offset + 1000]
        index.upsert(batch, [unit_vector(rng) for _ in batch])
    return time.perf_counter() - start


def query_latencies(index: VectorIndex, queries: int, rng: random.Random) -> list[float]:
    latencies = []
    for _ in range(queries):
        code, display, _ = rng.choice(LABS)
        query = SearchQuery(
            patient=f"PT-{rng.randrange(PATIENTS):016X}",
            text=f"latest {display} {code}",
            vector=unit_vector(rng),
            limit=8,
            mode="hybrid",
        )
        start = time.perf_counter()
        hits = index.search(query)
        latencies.append(time.perf_counter() - start)
        assert all(hit.chunk.patient == query.patient for hit in hits)
    return latencies


def report(label: str, latencies: list[float]) -> float:
    median = statistics.median(latencies)
    p95 = sorted(latencies)[math.ceil(len(latencies) * 0.95) - 1]
    print(
        f"{label}: filtered hybrid query median {median * 1000:.2f} ms, "
        f"p95 {p95 * 1000:.2f} ms ({len(latencies)} queries)"
    )
    return median


def bench_backend(
    backend: str, chunks: list[Chunk], queries: int, home: Path, *, optimize: bool
) -> float:
    """Median latency after loading (and, with ``optimize``, after ``index.optimize()``)."""
    settings = Settings.load(home=home / backend, index={"backend": backend})
    rng = random.Random(11)
    index = open_index(settings.index_section, DIMENSION)
    try:
        load_s = fill(index, chunks, rng)
        print(f"{backend:>13}: {len(chunks)} chunks loaded in {load_s:.1f} s")
        query_latencies(index, 1, rng)  # warm-up
        median = report(f"{backend:>13}", query_latencies(index, queries, rng))
        if optimize:
            start = time.perf_counter()
            if index.optimize():
                print(f"{backend:>13}: optimize() took {time.perf_counter() - start:.1f} s")
                median = report(f"{backend:>13} optimized", query_latencies(index, queries, rng))
    finally:
        index.close()
    return median


def bench_embedding(texts: int) -> None:
    settings = Settings.load(home=Path(tempfile.mkdtemp()))
    embedder = open_embedder(settings.index.embedder)
    sample = [c.text for c in synthetic_chunks(texts, random.Random(5))]
    embedder.embed_documents(sample[:64])  # load and warm up
    start = time.perf_counter()
    embedder.embed_documents(sample)
    elapsed = time.perf_counter() - start
    print(
        f"embedding: {embedder.name}, {texts} texts, batch {settings.index.embedder.batch_size}: "
        f"{texts / elapsed:.0f} texts/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--local-queries", type=int, default=5)
    parser.add_argument("--embed-texts", type=int, default=2048)
    parser.add_argument("--skip-embed", action="store_true")
    parser.add_argument(
        "--no-optimize", dest="optimize", action="store_false",
        help="skip the Edge HNSW build (minutes at 50k on 2 cores)",
    )  # fmt: skip
    args = parser.parse_args()

    chunks = synthetic_chunks(args.size, random.Random(7))
    shm = Path("/dev/shm")  # noqa: S108  (mkdtemp below makes a private 0700 directory)
    tmpfs = str(shm) if shm.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="clinvault-bench-", dir=tmpfs) as tmp:
        edge = bench_backend("edge", chunks, args.queries, Path(tmp), optimize=args.optimize)
        local = bench_backend("qdrant-local", chunks, args.local_queries, Path(tmp), optimize=False)
    print(f"ratio qdrant-local / edge (median filtered hybrid latency): {local / edge:.0f}x")
    if not args.skip_embed:
        bench_embedding(args.embed_texts)


if __name__ == "__main__":
    main()
