"""Embedding beside the rest of ingest: chunks of many patients in one encode call, computed
on a background thread while the pipeline prepares the next patients.

The expensive stages of a patient (pseudonymize, scrub notes with the PHI detector, chunk,
gate) run on the pipeline's thread inside the group's vault transaction; as each patient's
passed chunks are known they go to :class:`GroupEmbedder`, which collects them across
patients and hands a batch of ``batch_chunks`` texts at a time to the embedder on one worker
thread (onnxruntime and torch release the GIL while they compute, so on two cores the
embedding of one batch overlaps the detection of the next patients). The embedder sorts
each call's texts by token length, so a call over many patients pads little. At most
``max_pending`` calls wait: back-pressure, so memory stays bounded however large the group.

:class:`StageTimes` keeps the seconds spent per stage for the ingest summary.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from clinvault.index.base import Embedder


@dataclass
class StageTimes:
    """Seconds per stage over one ingest. ``read`` (files read, validated, references
    linked), ``prepare`` (per patient up to the gate, ``detect`` included) and ``write``
    are wall time on the pipeline's thread; ``validate`` and ``detect`` are the seconds the
    validator and the PHI detector computed, summed over the worker processes when there
    are any (``scrub``: the pipeline's side of the note scrub then, waits included);
    ``embed`` is the embedder's compute time on its thread; ``wall`` the whole run."""

    read: float = 0.0
    validate: float = 0.0
    prepare: float = 0.0
    detect: float = 0.0
    scrub: float = 0.0
    embed: float = 0.0
    write: float = 0.0
    wall: float = 0.0
    embed_calls: int = 0
    chunks_embedded: int = 0

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, stage, getattr(self, stage) + time.perf_counter() - started)


@dataclass
class GroupEmbedder:
    """Embeds the texts given by :meth:`add` in batches of ``batch_chunks`` on one thread;
    :meth:`vectors` waits for all of them and returns the vectors in the order added."""

    embedder: Embedder
    executor: ThreadPoolExecutor
    times: StageTimes
    batch_chunks: int = 512
    max_pending: int = 2
    _texts: list[str] = field(default_factory=list)
    _futures: list[Future[list[list[float]]]] = field(default_factory=list)
    _done: list[list[float]] = field(default_factory=list)

    def add(self, texts: Sequence[str]) -> None:
        self._texts.extend(texts)
        while len(self._texts) >= self.batch_chunks:
            self._submit(self._texts[: self.batch_chunks])
            del self._texts[: self.batch_chunks]

    def vectors(self) -> list[list[float]]:
        if self._texts:
            self._submit(self._texts)
            self._texts = []
        while self._futures:
            self._done.extend(self._futures.pop(0).result())
        out, self._done = self._done, []
        return out

    def _submit(self, texts: list[str]) -> None:
        while len(self._futures) >= self.max_pending:  # back-pressure: wait for the oldest
            self._done.extend(self._futures.pop(0).result())
        self._futures.append(self.executor.submit(self._embed, list(texts)))

    def _embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = self.embedder.embed_documents(texts)
        self.times.embed += time.perf_counter() - started
        self.times.embed_calls += 1
        self.times.chunks_embedded += len(texts)
        return vectors
