"""Worker processes for the keyless CPU-heavy stages of a local ingest: FHIR validation and
free-text PHI detection (``clinvault ingest --workers N``, ``settings.ingest.workers``).

Both stages are pure functions of plain data: a resource and where it came from in, a
verdict out; note texts in, spans out. Neither needs a key, the vault or the index, so the
workers get none: a :class:`WorkerPool` starts its processes (``spawn``, never ``fork``: a
forked child would inherit the parent's memory, keys and open databases included) from an
environment without the master key variable, and hands them only the PHI detector's
settings. Everything keyed (pseudonymization, tokens, sealing, the leak gate, writes) stays
in the pipeline's process, which also embeds on a thread; see
:class:`~clinvault.ingest.pipeline.IngestPipeline`.

Back-pressure: the pipeline keeps a bounded number of validation batches and of patients'
detection jobs in flight (:data:`VALIDATE_IN_FLIGHT`, ``detect_ahead``) and waits for the
oldest before it submits more, so neither queue grows with the input.

What a worker returns holds PHI only as the pipeline's own process already had it (spans
of the texts it sent); a worker logs nothing. A detector failure
(:class:`~clinvault.phi.DetectorFailed`) is retried text by text in the worker and comes
back per text, so the pipeline fails closed per resource as it does in process; any other
exception ends the ingest (the group in progress rolls back).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from clinvault.fhir.sources import SourceItem, SourceResource
from clinvault.fhir.validate import validate
from clinvault.ingest.parallel import StageTimes
from clinvault.phi import DetectionContext, DetectorFailed, PhiDetector, Span, build_detector
from clinvault.settings import PhiSettings

VALIDATE_BATCH = 64
"""Resources per validation job."""
VALIDATE_IN_FLIGHT = 4
"""Validation jobs in flight per worker before the reader waits for the oldest."""


def default_workers() -> int:
    """One worker per CPU the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a resource was rejected by validation (PHI-free, as ``validate`` words it)."""

    resource_type: str
    message: str


Detected = tuple[list[Span], str | None]
"""A text's spans, or ``([], reason)`` when the detector failed on it."""


# -- in the worker processes --------------------------------------------------------------------


def _validate(batch: list[tuple[dict[str, Any], str]]) -> tuple[list[Verdict | None], float]:
    started = time.perf_counter()
    verdicts: list[Verdict | None] = []
    for resource, where in batch:
        rejected = validate(resource, where)
        verdicts.append(
            None if rejected is None else Verdict(rejected.resource_type, str(rejected))
        )
    return verdicts, time.perf_counter() - started


@functools.cache
def _worker_detector(phi_json: str) -> PhiDetector:
    """The detector of this worker process, loaded once (per process: a worker runs one
    ingest's jobs and ends with it)."""
    return build_detector(PhiSettings.model_validate_json(phi_json))


def _warm(phi_json: str | None) -> None:
    """Load what the jobs need before the first one arrives (the detector's models)."""
    if phi_json is not None:
        _worker_detector(phi_json)


def _detect(phi_json: str, texts: list[str]) -> tuple[list[Detected], float]:
    started = time.perf_counter()
    detector = _worker_detector(phi_json)
    try:
        found: list[Detected] = [(spans, None) for spans in detector.detect_batch(texts)]
    except DetectorFailed:
        found = []
        for text in texts:
            try:
                found.append((detector.detect_batch([text])[0], None))
            except DetectorFailed as exc:
                found.append(([], str(exc)))
    return found, time.perf_counter() - started


# -- in the pipeline's process -------------------------------------------------------------------


@contextmanager
def _environment_without(names: Sequence[str]) -> Iterator[None]:
    """``os.environ`` without ``names`` while worker processes are started from it."""
    saved = {n: os.environ.pop(n) for n in names if n in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@dataclass
class WorkerPool:
    """``workers`` processes for validation and (when ``phi`` is given) PHI detection.

    Use as a context manager: the processes start on entry, each loading the detector at
    once (so the model loads overlap with reading the input), and are stopped on exit.
    ``hidden_env``: environment variables the workers must not see (the master key's)."""

    workers: int
    phi: PhiSettings | None
    hidden_env: Sequence[str] = ()
    _executor: ProcessPoolExecutor | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("a worker pool needs at least one worker")

    @property
    def phi_json(self) -> str | None:
        return None if self.phi is None else self.phi.model_dump_json()

    def __enter__(self) -> WorkerPool:
        context = multiprocessing.get_context("spawn")
        self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        with _environment_without(self.hidden_env):
            # Each submit while no worker is idle starts one process, now, from this
            # environment: all of them start here, none later with the key back in place.
            for _ in range(self.workers):
                self._executor.submit(_warm, self.phi_json)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            raise RuntimeError("the worker pool is not started (use it as a context manager)")
        return self._executor

    def validate(
        self, batch: list[tuple[dict[str, Any], str]]
    ) -> Future[tuple[list[Verdict | None], float]]:
        return self.executor.submit(_validate, batch)

    def detect(self, texts: list[str]) -> Future[tuple[list[Detected], float]]:
        phi_json = self.phi_json
        if phi_json is None:
            raise RuntimeError("this worker pool has no PHI detector")
        return self.executor.submit(_detect, phi_json, texts)

    def detector(self) -> PoolDetector:
        """The :class:`~clinvault.phi.PhiDetector` the pipeline's note scrubber uses."""
        return PoolDetector(self)


@dataclass
class PoolDetector:
    """A :class:`~clinvault.phi.PhiDetector` whose detection runs in the worker processes.

    :meth:`prefetch` sends texts ahead (a patient's notes while earlier patients are being
    written); :meth:`detect_batch` answers from those results, waiting for them if they are
    not back yet, and sends whatever was not prefetched. A text's result is handed out once
    (then forgotten, so memory stays bounded by what is in flight). ``seconds``: detector
    compute time summed over the workers."""

    pool: WorkerPool
    seconds: float = 0.0
    _pending: dict[str, Future[tuple[list[Detected], float]]] = field(default_factory=dict)
    _found: dict[str, Detected] = field(default_factory=dict)

    def prefetch(self, texts: Sequence[str]) -> Future[tuple[list[Detected], float]] | None:
        wanted = list(dict.fromkeys(t for t in texts if t not in self._pending))
        wanted = [t for t in wanted if t not in self._found]
        if not wanted:
            return None
        job = self.pool.detect(wanted)
        for text in wanted:
            self._pending[text] = job
        return job

    @property
    def in_flight(self) -> int:
        """Texts sent and not yet handed out."""
        return len(self._pending) + len(self._found)

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text], context=context)[0]

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        if context is not None:
            raise ValueError("worker detection takes no context (the pipeline gives none)")
        self.prefetch(texts)
        found = {text: self._take(text) for text in dict.fromkeys(texts)}
        failed = next((reason for _, reason in found.values() if reason is not None), None)
        if failed is not None:
            raise DetectorFailed(failed)
        return [list(found[text][0]) for text in texts]

    def _take(self, text: str) -> Detected:
        if text not in self._found:
            job = self._pending[text]
            results, seconds = job.result()
            self.seconds += seconds
            sent = [t for t, j in self._pending.items() if j is job]
            for sent_text, result in zip(sent, results, strict=True):
                self._found[sent_text] = result
                del self._pending[sent_text]
        return self._found.pop(text)


def validated(
    items: Iterable[SourceItem], pool: WorkerPool | None, times: StageTimes
) -> Iterator[tuple[SourceItem, Verdict | None]]:
    """Each item with its validation verdict (``None``: valid, or not a resource), in
    input order: on the pool's workers in batches, at most :data:`VALIDATE_IN_FLIGHT` per
    worker in flight, or in this process without a pool."""
    if pool is None:
        for item in items:
            verdict = None
            if isinstance(item, SourceResource):
                started = time.perf_counter()
                rejected = validate(item.resource, item.where)
                times.validate += time.perf_counter() - started
                if rejected is not None:
                    verdict = Verdict(rejected.resource_type, str(rejected))
            yield item, verdict
        return
    window: deque[tuple[list[SourceItem], Future[tuple[list[Verdict | None], float]]]] = deque()
    batch: list[SourceItem] = []

    def send() -> None:
        resources = [(i.resource, i.where) for i in batch if isinstance(i, SourceResource)]
        window.append((list(batch), pool.validate(resources)))
        batch.clear()

    def receive() -> Iterator[tuple[SourceItem, Verdict | None]]:
        sent, job = window.popleft()
        verdicts, seconds = job.result()
        times.validate += seconds
        found = iter(verdicts)
        for item in sent:
            yield item, next(found) if isinstance(item, SourceResource) else None

    for item in items:
        batch.append(item)
        if len(batch) >= VALIDATE_BATCH:
            send()
            while len(window) > VALIDATE_IN_FLIGHT * pool.workers:  # back-pressure
                yield from receive()
    if batch:
        send()
    while window:
        yield from receive()
