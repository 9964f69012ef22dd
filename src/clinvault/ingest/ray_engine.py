"""``clinvault ingest --engine ray``: the ingest stages on a Ray cluster.

Where each stage runs:

======================================  ==========================================
stage                                   where
======================================  ==========================================
read files, validate (FHIR R4B)         :class:`PrepareWorker` actors (``num_workers``)
PHI detection in notes (spaCy/presidio) the same actors, one detector load each
pseudonymize, tokens, chunk, leak gate  the driver (holds the key ring)
embed passed chunks                     :class:`EmbedWorker` actors (``embed_actors``)
seal originals, vault + index writes    the driver, one vault transaction per group
======================================  ==========================================

Keys: none leaves the driver. Tokens, chunk ids and record ids are keyed hashes under the
deployment's token and blind-index keys, which are the same for every patient: a worker
holding them could test any guessed MRN or name of any patient against the index. A patient's
data key only seals, which is cheap. So the driver tokenizes and seals, and workers get no key
at all: the expensive, key-free work goes to them (validation, the PHI detector over notes,
embedding pseudonymized text). Fewer keys than "only the per-patient keys they need": none.

Writes: the driver writes each group of patients in one vault transaction with its index
upsert, as the local engine does, so per-group all-or-nothing holds and only the driver holds
database credentials and the index's API key. Workers write nothing, so a retried task (an
actor that died is restarted and its tasks run again, up to ``max_retries``) cannot duplicate
anything; index point ids are keyed hashes of (resource, part), so a re-run upserts the same
points.

Everything else is :class:`~clinvault.ingest.pipeline.IngestPipeline`: the same grouping,
change detection, merges and report. See ``docs/ray-threat-model.md``.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import ray

from clinvault.errors import ConfigError
from clinvault.fhir.notes import note_texts
from clinvault.fhir.references import Linkage, ReferenceIndex
from clinvault.fhir.sources import (
    FORMATS,
    SourceItem,
    SourceResource,
    _input_files,
    iter_sources,
)
from clinvault.fhir.validate import validate
from clinvault.index.base import Embedder
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.ingest.prior import VaultPriorRecords
from clinvault.ingest.ray_workers import (
    EmbedWorker,
    FileResult,
    PrepareWorker,
    Verdict,
    text_key,
)
from clinvault.ingest.report import IngestReport
from clinvault.ingest.run_patients import RunPatients
from clinvault.interop.ccda.source import readers as ccda_readers
from clinvault.interop.hl7v2.source import readers as legacy_readers
from clinvault.phi import DetectionContext, DetectorFailed, Span
from clinvault.settings import RaySettings, Settings
from clinvault.vault.client import Stored

DETECT_BATCH = 128
"""Note texts per detection task."""
STORED_BATCH = 2_000
"""Resources per unchanged check before detection."""

TLS_ENV = {
    "tls_cert": "RAY_TLS_SERVER_CERT",
    "tls_key": "RAY_TLS_SERVER_KEY",
    "tls_ca": "RAY_TLS_CA_CERT",
}


def tls_environment(config: RaySettings) -> dict[str, str]:
    """Ray's TLS variables for ``ingest.ray``'s certificate paths (``{}`` without TLS).
    All three paths or none; a remote address without them is refused unless
    ``allow_plaintext``: records travel between the driver and the workers."""
    paths = {name: getattr(config, name) for name in TLS_ENV}
    given = {name for name, path in paths.items() if path is not None}
    if given and given != set(TLS_ENV):
        missing = ", ".join(f"ingest.ray.{n}" for n in sorted(set(TLS_ENV) - given))
        raise ConfigError(f"Ray TLS needs all three certificate paths; missing {missing}")
    if not given:
        if config.address is not None and not config.allow_plaintext:
            raise ConfigError(
                "ingest.ray.address names a cluster but ingest.ray.tls_ca/tls_cert/tls_key "
                "are not set: records would cross the network in clear (set them, or "
                "ingest.ray.allow_plaintext=true on an isolated network)"
            )
        return {}
    for name, path in paths.items():
        if not Path(path).is_file():
            raise ConfigError(f"ingest.ray.{name} is not a file: {path}")
    env = {TLS_ENV[name]: str(path) for name, path in paths.items()}
    env["RAY_USE_TLS"] = "1"
    return env


@dataclass
class RayCluster:
    """The actors of one ingest on a Ray cluster (connected by :meth:`open`)."""

    settings: Settings
    prepare: list[Any]
    embed: list[Any]
    started_ray: bool = False

    @classmethod
    def open(cls, settings: Settings) -> RayCluster:
        """Connect (or start a local Ray when ``ingest.ray.address`` is unset; a Ray the
        caller already initialized is used as it is) and start the actors."""
        config = settings.ingest.ray
        needed = (config.num_workers + config.embed_actors) * config.actor_cpus
        started = False
        tls = tls_environment(config)
        if ray.is_initialized() and tls and os.environ.get("RAY_USE_TLS") != "1":
            raise ConfigError("ingest.ray.tls_* are set but Ray was started without TLS")
        if not ray.is_initialized():
            os.environ.update(tls)  # read by ray.init and the processes it starts
            ray.init(
                address=config.address,
                # a local Ray offers every actor its CPUs (logical: they share the real cores)
                num_cpus=None if config.address else max(os.cpu_count() or 1, math.ceil(needed)),
                include_dashboard=False,
                log_to_driver=False,  # worker output stays on its node (it holds no PHI)
                configure_logging=False,
            )
            started = True
        available = float(ray.cluster_resources().get("CPU", 0.0))  # type: ignore[no-untyped-call]
        if needed > available:
            if started:
                ray.shutdown()
            raise ConfigError(
                f"the Ray cluster has {available:g} CPUs; ingest.ray asks for {needed:g} "
                "((num_workers + embed_actors) x actor_cpus): lower them or add nodes"
            )
        options = {
            "num_cpus": config.actor_cpus,
            "max_restarts": config.max_retries,
            "max_task_retries": config.max_retries,
        }
        prepare_actor = ray.remote(PrepareWorker).options(**options)
        embed_actor = ray.remote(EmbedWorker).options(**options)
        phi = settings.phi if settings.ingest.detect_phi else None
        cluster = cls(
            settings,
            [prepare_actor.remote(phi) for _ in range(config.num_workers)],
            [embed_actor.remote(settings.index.embedder) for _ in range(config.embed_actors)],
            started,
        )
        return cluster

    def close(self) -> None:
        for actor in self.prepare + self.embed:
            ray.kill(actor)
        self.prepare, self.embed = [], []
        if self.started_ray:
            ray.shutdown()

    def prepared(self, files: Sequence[Path]) -> Iterator[FileResult]:
        """:meth:`PrepareWorker.prepare` of every file, in file order; at most two files per
        actor are in flight (back-pressure on the driver's memory)."""
        window = 2 * len(self.prepare)
        pending: deque[Any] = deque()
        for n, file in enumerate(files):
            pending.append(self.prepare[n % len(self.prepare)].prepare.remote(str(file)))
            if len(pending) >= window:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    def detect(self, texts: list[str], batch: int = DETECT_BATCH) -> list[list[Span] | str]:
        """Spans of ``texts``, in batches spread over the prepare actors, in order; at most
        two batches per actor are in flight."""
        window = 2 * len(self.prepare)
        pending: deque[Any] = deque()
        out: list[list[Span] | str] = []
        for n, start in enumerate(range(0, len(texts), batch)):
            actor = self.prepare[n % len(self.prepare)]
            pending.append(actor.detect.remote(texts[start : start + batch]))
            if len(pending) >= window:
                out += ray.get(pending.popleft())
        while pending:
            out += ray.get(pending.popleft())
        return out

    def embedder(self, expected: Embedder) -> RayEmbedder:
        """The embedding actors behind the ``Embedder`` protocol; they must run the model
        the driver's index was opened for."""
        name, dimension = ray.get(self.embed[0].describe.remote())
        if (name, dimension) != (expected.name, expected.dimension):
            raise ConfigError(
                f"the Ray workers' embedder is {name} ({dimension}), the driver's is "
                f"{expected.name} ({expected.dimension}): index.embedder must match"
            )
        return RayEmbedder(name, dimension, self.embed)


def _spread(actors: Sequence[Any], method: str, texts: list[str]) -> list[Any]:
    if not texts:
        return []
    size = math.ceil(len(texts) / len(actors))
    refs = [
        getattr(actor, method).remote(texts[n * size : (n + 1) * size])
        for n, actor in enumerate(actors)
        if texts[n * size : (n + 1) * size]
    ]
    return [row for part in ray.get(refs) for row in part]


@dataclass
class RayEmbedder:
    """:class:`~clinvault.index.base.Embedder` over the embedding actors: each call's texts
    are split over them. Only chunks that passed the leak gate are sent."""

    name: str
    dimension: int
    actors: list[Any]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = _spread(self.actors, "embed", list(texts))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SpanSource(Protocol):
    def detect(self, texts: list[str]) -> list[list[Span] | str]: ...


@dataclass
class SpanTable:
    """The :class:`~clinvault.phi.PhiDetector` the driver's note scrubber uses: spans the
    prepare actors found while reading, looked up by the text's digest; texts met without
    spans (notes of HL7 v2 and C-CDA inputs, read on the driver) go to the actors then."""

    cluster: SpanSource
    found: dict[bytes, list[Span] | str] = field(default_factory=dict)
    """Spans by text digest, or the detector's PHI-free failure message for that text."""

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text], context=context)[0]

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        if context is not None:
            raise ValueError("the Ray span table answers detection without a context only")
        keys = [text_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.found}
        if missing:
            self.found.update(
                zip(missing, self.cluster.detect(list(missing.values())), strict=True)
            )
        out: list[list[Span]] = []
        for key in keys:
            found = self.found[key]
            if isinstance(found, str):  # the pipeline refuses the resource (fail closed)
                raise DetectorFailed(found)
            out.append(list(found))
        return out


@dataclass
class RayIngestPipeline(IngestPipeline):
    """:class:`IngestPipeline` with reading, validation and PHI detection on the prepare
    actors; ``embedder`` is the cluster's :class:`RayEmbedder` and ``notes`` scrubs with
    its :class:`SpanTable` (see :func:`ray_pipeline`)."""

    cluster: RayCluster | None = None
    spans: SpanTable | None = None

    def _read(
        self, paths: Sequence[Path], report: IngestReport
    ) -> tuple[list[SourceResource], Linkage]:
        """The local engine's ``_read`` with the native FHIR files read and validated on
        the actors: the same items in the same order (FHIR files first, then the legacy
        files converted on the driver, which looks their patients up in the vault)."""
        if self.cluster is None:
            raise ValueError("RayIngestPipeline needs its cluster")
        refs = ReferenceIndex(prior=VaultPriorRecords(self.vault))
        items: list[SourceResource] = []
        run_patients = RunPatients(self.vault)
        readers = self.readers or {
            **legacy_readers(self.settings, run_patients),
            **ccda_readers(self.settings, run_patients),
        }
        files = _input_files(list(paths))
        legacy = [f for f in files if _is_legacy(f)]
        native = [f for f in files if not _is_legacy(f)]
        for result in self.cluster.prepared(native):
            for item, found in result.items:
                self._take(item, found, report, refs, items, run_patients)
        for item in iter_sources(legacy, readers=readers) if legacy else ():
            verdict: Verdict | None = None
            if isinstance(item, SourceResource):
                rejected = validate(item.resource, item.where)
                if rejected is not None:
                    verdict = Verdict(rejected.resource_type, str(rejected))
            self._take(item, verdict, report, refs, items, None)
        linkage = refs.link()
        if self.spans is not None:
            self._detect_changed(items, linkage, self.spans)
        return items, linkage

    def _detect_changed(
        self, items: Sequence[SourceResource], linkage: Linkage, spans: SpanTable
    ) -> None:
        """The notes the groups will scrub, detected on the actors in one spread pass: those
        of new or changed resources of indexed types (an unchanged resource is not
        re-chunked, so its notes are not read). What this misses, the span table asks
        for when the scrubber needs it."""
        unindexed = set(self.settings.ingest.unindexed_types) | {"Patient"}
        wanted: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            link = linkage.links[item.where]
            if link.patient is not None and link.resource_type not in unindexed:
                wanted.append((link.key or "", item.resource))
        changed: list[dict[str, Any]] = []
        for start in range(0, len(wanted), STORED_BATCH):
            part = wanted[start : start + STORED_BATCH]
            stored = self.vault.stored({key: r for key, r in part if key})
            changed += [r for key, r in part if not key or stored[key] is not Stored.UNCHANGED]
        texts = {text_key(n.text): n.text for r in changed for n in note_texts(r)}
        spans.found.update(zip(texts, spans.cluster.detect(list(texts.values())), strict=True))

    def _take(
        self,
        item: SourceItem,
        verdict: Verdict | None,
        report: IngestReport,
        refs: ReferenceIndex,
        items: list[SourceResource],
        run_patients: RunPatients | None,
    ) -> None:
        resource = report.take_source(item)
        if resource is None:
            return
        if verdict is not None:
            self._reject(
                report, resource.where, verdict.resource_type, verdict.message, resource.resource
            )
            return
        refs.add(resource)
        items.append(resource)
        if run_patients is not None:
            run_patients.add(resource.resource)


def _is_legacy(file: Path) -> bool:
    suffix = file.suffix.lower()
    return any(f.converter is not None and suffix in f.suffixes for f in FORMATS)


def ray_pipeline(pipeline: IngestPipeline, cluster: RayCluster) -> RayIngestPipeline:
    """The Ray form of a local pipeline (same vault, index, settings and care-team sink):
    the cluster's embedder, and its span table behind the note scrubber."""
    spans = SpanTable(cluster) if pipeline.settings.ingest.detect_phi else None
    return RayIngestPipeline(
        settings=pipeline.settings,
        vault=pipeline.vault,
        embedder=cluster.embedder(pipeline.embedder),
        index=pipeline.index,
        progress=pipeline.progress,
        care_team=pipeline.care_team,
        notes=NoteScrubber(spans),
        readers=pipeline.readers,
        group_patients=pipeline.group_patients,
        embed_batch_chunks=pipeline.embed_batch_chunks,
        cluster=cluster,
        spans=spans,
    )
