"""What runs on a Ray worker during ``clinvault ingest --engine ray``: plain classes, made
Ray actors by :mod:`clinvault.ingest.ray_engine`. Nothing here imports ``ray``, holds a key
or opens the vault or the index.

- :class:`PrepareWorker`: reads one input file and validates every resource (the same FHIR
  R4B check as the local engine); finds PHI in note texts with the configured detector,
  loaded once per actor. It sees raw records (it has to) and returns them, their verdicts
  and the spans to the driver.
- :class:`EmbedWorker`: embeds chunk texts that already passed the leak gate
  (pseudonymized), with the embedder loaded once per actor.

Errors leave a worker as :class:`WorkerError` naming the stage and the exception type only:
an exception message from a parser or validator can quote the record, and Ray writes task
errors to its logs and ships them to the driver.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from clinvault.errors import ClinvaultError
from clinvault.fhir.sources import SourceItem, SourceResource, iter_sources
from clinvault.fhir.validate import validate
from clinvault.index import open_embedder
from clinvault.phi import DetectorFailed, PhiDetector, Span, build_detector
from clinvault.settings import EmbedderSettings, PhiSettings

CRASH_ENV = "CLINVAULT_TEST_RAY_CRASH"
"""Test hook: a folder; the first call of each worker stage (``prepare``, ``embed``) creates
``<folder>/<stage>`` and kills its own process, so the test sees Ray restart the actor and
retry the task. Only ``tests/ingest/test_ray_engine.py`` sets it."""

T = TypeVar("T")


class WorkerError(ClinvaultError):
    """A worker stage failed; the message names the stage and exception type, no content."""


def text_key(text: str) -> bytes:
    """The key of a note text in the span table (a digest: the table keeps no text)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The validation result of one resource, as plain strings."""

    resource_type: str
    message: str


@dataclass
class FileResult:
    """One input file read on a worker: its items in file order, each resource with its
    verdict (``None``: valid)."""

    items: list[tuple[SourceItem, Verdict | None]] = field(default_factory=list)


def crash_once(stage: str) -> None:
    """The test hook of :data:`CRASH_ENV` (does nothing unless the variable is set)."""
    folder = os.environ.get(CRASH_ENV)
    if not folder:
        return
    try:
        (Path(folder) / stage).touch(exist_ok=False)  # atomic: one caller wins
    except FileExistsError:
        return
    os._exit(1)


def _guarded(stage: str, work: Callable[[], T]) -> T:
    try:
        return work()
    except ClinvaultError:
        raise  # clinvault's own errors carry no PHI
    except Exception as exc:  # noqa: BLE001  (re-raised without its message, which may quote a record)
        raise WorkerError(f"{stage} failed on a Ray worker ({type(exc).__name__})") from None


class PrepareWorker:
    """Read, validate, detect: one file per call."""

    def __init__(self, phi: PhiSettings | None) -> None:
        self._detector: PhiDetector | None = _guarded(
            "loading the PHI detector", lambda: build_detector(phi) if phi is not None else None
        )

    def prepare(self, path: str) -> FileResult:
        crash_once("prepare")
        return _guarded("reading a file", lambda: self._prepare(Path(path)))

    def detect(self, texts: list[str]) -> list[list[Span] | str]:
        """The detector's spans of note texts (raw: the driver scrubs them). When the
        detector fails (:class:`~clinvault.phi.DetectorFailed`) the texts are retried one by
        one, and a text that still fails gets the failure's PHI-free message instead of
        spans: the driver refuses that resource (fail closed), the rest go on."""
        crash_once("detect")
        detector = self._detector
        if detector is None:
            return [[] for _ in texts]
        return _guarded("PHI detection", lambda: _detect_each(detector, texts))

    def _prepare(self, path: Path) -> FileResult:
        result = FileResult()
        for item in iter_sources([path]):
            verdict: Verdict | None = None
            if isinstance(item, SourceResource):
                rejected = validate(item.resource, item.where)
                if rejected is not None:
                    verdict = Verdict(rejected.resource_type, str(rejected))
            result.items.append((item, verdict))
        return result


def _detect_each(detector: PhiDetector, texts: list[str]) -> list[list[Span] | str]:
    try:
        return list(detector.detect_batch(texts))
    except DetectorFailed:
        found: list[list[Span] | str] = []
        for text in texts:
            try:
                found.append(detector.detect_batch([text])[0])
            except DetectorFailed as exc:
                found.append(str(exc))
        return found


class EmbedWorker:
    """The configured embedder, loaded once per actor."""

    def __init__(self, embedder: EmbedderSettings) -> None:
        self._embedder = _guarded("loading the embedder", lambda: open_embedder(embedder))

    def describe(self) -> tuple[str, int]:
        return self._embedder.name, self._embedder.dimension

    def embed(self, texts: list[str]) -> list[list[float]]:
        crash_once("embed")
        return _guarded("embedding", lambda: self._embedder.embed_documents(texts))
