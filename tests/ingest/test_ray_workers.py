"""The Ray engine's detection fails closed per note, as the local engine does: a text the
detector fails on comes back as the failure's message, and the driver's span table raises
``DetectorFailed`` for it, so the pipeline refuses that resource and keeps the others."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from clinvault.phi import DetectionContext, DetectorFailed, PhiType, Span

pytest.importorskip("ray", reason="the ray extra is not installed (pip install '.[ray]')")

from clinvault.ingest.ray_engine import SpanTable
from clinvault.ingest.ray_workers import PrepareWorker, WorkerError


class FailingOn:
    """Finds ``Ada`` at the start of a text; fails on any batch holding ``BAD``."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        self.calls.append(list(texts))
        if any("BAD" in t for t in texts):
            raise DetectorFailed("ensemble member presidio failed (RuntimeError)")
        return [
            [Span(0, 3, PhiType.NAME, 0.9, "Ada")] if t.startswith("Ada") else [] for t in texts
        ]


def _worker(detector: object) -> PrepareWorker:
    worker = PrepareWorker(None)
    worker._detector = detector  # type: ignore[assignment]
    return worker


def test_a_failing_text_is_retried_alone_and_reported_without_its_content() -> None:
    detector = FailingOn()
    found = _worker(detector).detect(["Ada was seen", "BAD note of Ada", "plain"])
    assert found == [
        [Span(0, 3, PhiType.NAME, 0.9, "Ada")],
        "ensemble member presidio failed (RuntimeError)",
        [],
    ]
    assert detector.calls[0] == ["Ada was seen", "BAD note of Ada", "plain"]  # then one by one
    assert detector.calls[1:] == [["Ada was seen"], ["BAD note of Ada"], ["plain"]]


def test_the_span_table_raises_detector_failed_for_a_failed_text_only() -> None:
    class Source:
        def detect(self, texts: list[str]) -> list[list[Span] | str]:
            return _worker(FailingOn()).detect(texts)

    table = SpanTable(Source())  # type: ignore[arg-type]
    assert table.detect_batch(["Ada was seen", "plain"]) == [
        [Span(0, 3, PhiType.NAME, 0.9, "Ada")],
        [],
    ]
    with pytest.raises(DetectorFailed, match="presidio failed"):
        table.detect_batch(["plain", "BAD note of Ada"])
    assert table.detect_batch(["plain"]) == [[]]


def test_other_worker_errors_lose_their_message() -> None:
    class Broken:
        def detect_batch(self, texts: Sequence[str], **_: object) -> list[list[Span]]:
            raise ValueError(f"cannot parse {texts[0]}")

    with pytest.raises(WorkerError) as caught:
        _worker(Broken()).detect(["Ada Lovelace, MRN 12345"])
    assert str(caught.value) == "PHI detection failed on a Ray worker (ValueError)"
    assert caught.value.__cause__ is None
