"""Latency of ``AskService.ask`` with the offline evidence model, split by stage, with a
profile of the measured asks and the bare Qdrant Edge query beside retrieval.

A synthetic cohort (``clinvault synth``) is ingested into a fresh home on tmpfs; one
clinician holds a grant for every patient; then a fixed set of questions is asked about
every patient, ``--rounds`` times. The first round is a warm-up and is not counted. Asks
the egress guard blocks (a note chunk still holding a third party's phone number, when
ingestion ran without free-text PHI detection) are counted and left out of the figures.

Reported, p50 / p95 / mean in milliseconds:

- per ask stage (authorize incl. its audit record, retrieval incl. question
  pseudonymization and deny values, llm incl. the egress guard, reidentify, audit) and total;
- inside retrieval (the retriever alone, timed through wrappers of the same embedder and
  index): embed the question, index search (hybrid, through the llama-index store),
  ``latest`` reads, ``list_records`` listings, and the retriever in total;
- the bare Qdrant Edge hybrid query (``EdgeShard.query`` with the same patient filter, query
  vector, sparse vector and limits the index search sends), run right after on every recorded
  search, and the ratio retrieval p95 / Edge query p95 (edge backend only).

``--out DIR`` (default ``.artifacts/bench_ask``) receives ``report.txt`` (the tables),
``ask.prof`` (cProfile of the measured asks; open with ``snakeviz`` or ``pstats``) and
``ask_profile.txt`` (its top functions by cumulative and by own time).

    nice -n 10 .venv/bin/python benchmarks/bench_ask.py [--patients 20] [--rounds 3]
        [--embedder hashing|sentence-transformers] [--home DIR] [--out DIR] [--torch-threads N]

``--home DIR`` reuses a home that already holds an ingested ``clinvault synth`` cohort in
``DIR/cohort`` (e.g. the 100-patient evaluation home) with the embedder it was built with;
the bench user is added there (audit records are appended to its log).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.ask.retrieval import Retrieval, Retriever
from clinvault.errors import EgressBlocked
from clinvault.index.base import Embedder, SearchQuery, VectorIndex
from clinvault.index.chunk_index import ChunkIndex
from clinvault.index.filters import search_filters
from clinvault.model import Chunk, Hit
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
    "Which procedures has the patient had?",
    "What is the blood type?",
)
STAGES = ("authorize", "retrieval", "llm", "reidentify", "audit", "total")
INNER = ("embed", "search", "latest", "list_records", "retriever")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Laps:
    """Milliseconds per named step, collected only while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.ms: dict[str, list[float]] = {name: [] for name in INNER}

    def add(self, name: str, started: float) -> None:
        if self.on:
            self.ms[name].append((time.perf_counter() - started) * 1000)


class TimedEmbedder:
    def __init__(self, inner: Embedder, laps: Laps) -> None:
        self.inner, self.laps = inner, laps
        self.name, self.dimension = inner.name, inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        vector = self.inner.embed_query(text)
        self.laps.add("embed", started)
        return vector


class TimedIndex:
    """The index, its reads timed; every search is recorded for the bare Edge comparison."""

    def __init__(self, inner: VectorIndex, laps: Laps) -> None:
        self.inner, self.laps = inner, laps
        self.searches: list[SearchQuery] = []

    def search(self, query: SearchQuery) -> list[Hit]:
        started = time.perf_counter()
        hits = self.inner.search(query)
        self.laps.add("search", started)
        if self.laps.on:
            self.searches.append(query)
        return hits

    def latest(self, patient: str, **kwargs: object) -> list[Chunk]:
        started = time.perf_counter()
        chunks = self.inner.latest(patient, **kwargs)  # type: ignore[arg-type]
        self.laps.add("latest", started)
        return chunks

    def list_records(self, patient: str, *, resource_types: Sequence[str]) -> list[Chunk]:
        started = time.perf_counter()
        chunks = self.inner.list_records(patient, resource_types=resource_types)
        self.laps.add("list_records", started)
        return chunks


class TimedRetriever(Retriever):
    def __init__(self, embedder: Embedder, index: VectorIndex, laps: Laps, candidates: int):
        super().__init__(embedder, index, candidates=candidates)
        self.laps = laps

    def retrieve(self, patient: str, question: str, *, top_k: int) -> Retrieval:
        started = time.perf_counter()
        retrieval = super().retrieve(patient, question, top_k=top_k)
        self.laps.add("retriever", started)
        return retrieval


def prepare(
    home: Path, patients: int, embedder: str, threads: int | None
) -> tuple[Settings, list[str]]:
    settings = Settings.load(
        home=home,
        index={
            "embedder": {"backend": embedder, "torch_threads": threads},
            "path": str(home / "index"),
        },
    )
    write_cohort(SynthConfig(patients=patients, seed=5), home / "cohort")
    started = time.perf_counter()
    with Runtime.open(settings) as runtime:
        runtime.ingest_pipeline().run([home / "cohort"])
    print(f"ingested {patients} patients in {time.perf_counter() - started:.0f} s")
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


def bare_edge_ms(index: VectorIndex, searches: list[SearchQuery]) -> list[float]:
    """Each recorded search again, as the one ``EdgeShard.query`` the index search sends."""
    if not isinstance(index, ChunkIndex) or not hasattr(index.store, "_query_request"):
        return []
    store = index.store
    factor = index._prefetch_factor  # the same candidates as the search
    laps = []
    for query in searches:
        request = store._query_request(  # the store's own request builder
            VectorStoreQuery(
                query_embedding=[float(x) for x in query.vector],
                query_str=query.text,
                similarity_top_k=query.limit * factor,
                sparse_top_k=query.limit * factor,
                hybrid_top_k=query.limit,
                mode=VectorStoreQueryMode.HYBRID,
                filters=search_filters(query.patient),
            )
        )
        started = time.perf_counter()
        store.client.query(request)
        laps.append((time.perf_counter() - started) * 1000)
    return laps


def table(title: str, rows: dict[str, list[float]]) -> str:
    lines = [title, f"{'stage':<14}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}"]
    for name, values in rows.items():
        if values:
            lines.append(
                f"{name:<14}{len(values):>6}{percentile(values, 0.5):>10.2f}"
                f"{percentile(values, 0.95):>10.2f}{statistics.fmean(values):>10.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--home", type=Path, help="an already ingested synth cohort home")
    parser.add_argument("--out", type=Path, default=Path(".artifacts/bench_ask"))
    parser.add_argument("--torch-threads", type=int, help="index.embedder.torch_threads")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    root = TMPFS if TMPFS.is_dir() else None
    profile = cProfile.Profile()
    laps = Laps()
    with tempfile.TemporaryDirectory(prefix="clinvault-bench-ask-", dir=root) as folder:
        if args.home is not None:
            settings = Settings.load(home=args.home)
            refs = grant_all(settings, args.home)
            args.embedder = settings.index.embedder.backend
        else:
            settings, refs = prepare(Path(folder), args.patients, args.embedder, args.torch_threads)
        stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
        blocked = 0
        with Runtime.open(settings) as runtime:
            embedder = TimedEmbedder(runtime.embedder, laps)
            index = TimedIndex(runtime.index, laps)
            retriever = TimedRetriever(
                embedder,
                index,
                laps,
                candidates=settings.retrieval.candidates,  # type: ignore[arg-type]
            )
            service = runtime.ask_service(retriever=retriever)
            for round_no in range(args.rounds + 1):
                laps.on = round_no > 0
                for ref in refs:
                    for question in QUESTIONS:
                        if laps.on:
                            profile.enable()
                        try:
                            result = service.ask(USER, ref, question)
                        except EgressBlocked:
                            blocked += round_no > 0
                            continue
                        finally:
                            profile.disable()
                        if round_no == 0:
                            continue
                        for stage in STAGES[:-1]:
                            stages[stage].append(result.latency_ms.get(stage, 0.0))
                        stages["total"].append(sum(result.latency_ms.values()))
            edge = bare_edge_ms(runtime.index, index.searches)
            points = runtime.index.count()
    asks = len(stages["total"])
    report = [
        f"ask latency, {asks} asks ({len(refs)} patients x {len(QUESTIONS)} questions x "
        f"{args.rounds} rounds), {points} index points, embedder {args.embedder}, "
        f"index {settings.index.backend}, model {settings.llm.model}, "
        f"torch threads {settings.index.embedder.torch_threads or 'default'}",
        f"blocked by the egress guard (not in the figures): {blocked}",
        "",
        table("ask stages (AskService latency_ms)", stages),
        "",
        table("inside retrieval (the retriever alone)", {**laps.ms, "edge query": edge}),
    ]
    if edge and laps.ms["retriever"]:
        retrieval_p95 = percentile(laps.ms["retriever"], 0.95)
        stage_p95 = percentile(stages["retrieval"], 0.95)
        edge_p95 = percentile(edge, 0.95)
        report += [
            "",
            f"retriever p95 / bare Edge query p95: {retrieval_p95:.2f} / {edge_p95:.2f} ms "
            f"= {retrieval_p95 / edge_p95:.1f}x; retrieval stage p95 {stage_p95:.2f} ms "
            f"= {stage_p95 / edge_p95:.1f}x",
        ]
    text = "\n".join(report)
    print(text)
    (args.out / "report.txt").write_text(text + "\n", encoding="utf-8")
    profile.dump_stats(str(args.out / "ask.prof"))
    summary = io.StringIO()
    stats = pstats.Stats(profile, stream=summary)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    (args.out / "ask_profile.txt").write_text(summary.getvalue(), encoding="utf-8")
    print(f"profile: {args.out / 'ask.prof'}, {args.out / 'ask_profile.txt'}")


if __name__ == "__main__":
    main()
