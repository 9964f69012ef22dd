"""``report.html`` and ``ablation.html`` in headless Chromium (Debian ``chromium`` driven by
Playwright): every section and plot is rendered with a non-zero size, and the page makes no
request beyond its own file (self-contained, offline). Screenshots go to ``.artifacts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clinvault.eval.ablation.report import ablation_summary, render_ablation_html
from clinvault.eval.dataset import EvalItem, Gold
from clinvault.eval.metrics.aggregate import aggregate, latency_figures
from clinvault.eval.metrics.scoring import ITEM_METRICS, score_item
from clinvault.eval.outcome import ItemOutcome
from clinvault.eval.report_html import render_html
from clinvault.eval.report_json import build_report
from clinvault.eval.runner import RunResult

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
SECTIONS = ("overall", "gaps", "slices", "latency", "coverage")


def _report() -> dict[str, Any]:
    """A small run: 12 lab questions over two sexes and three languages, some wrong."""
    items, outcomes = [], []
    for n in range(12):
        item = EvalItem(
            f"q{n}",
            "latest-lab" if n % 3 else "note-fact",
            f"Patient/p{n % 4}",
            "What is the latest HbA1c?",
            gold=Gold(values=("7.1",), unit="%", resources=(f"Observation/o{n}",)),
            demographics={
                "sex": "female" if n % 2 else "male",
                "age_band": "adult",
                "race": "White",
                "ethnicity": "Not Hispanic or Latino",
                "language": ("English", "Spanish", "Korean")[n % 3],
            },
        )
        right = n % 4 != 0
        evidence = f"Observation HbA1c on 2024-05-0{1 + n % 5}: 7.1 %"
        answer = f"The latest HbA1c is {'7.1' if right else '9.4'} % [1]."
        outcomes.append(
            ItemOutcome(
                item.id,
                "answered",
                answer=answer,
                retrieved=(f"Observation/o{n}",),
                cited=(f"Observation/o{n}",),
                cited_evidence=(evidence,),
                prompt_leak_kinds=(),
                latency_ms=80.0 + 7 * n,
            )
        )
        items.append(item)
    scores = [score_item(i, o) for i, o in zip(items, outcomes, strict=True)]
    overall = aggregate(scores, ITEM_METRICS)
    overall["index_leak_rate"] = 0.0
    latencies = [o.latency_ms for o in outcomes if o.latency_ms is not None]
    overall.update(latency_figures(latencies))
    result = RunResult(items, outcomes, scores, overall, {"items": len(items)}, latencies)
    return build_report(result)


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests


def _size(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box["width"], box["height"]


def test_report_renders_every_section_offline(browser: Any, tmp_path: Path) -> None:
    report = _report()
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    page, requests = _open(browser, path)
    for section in SECTIONS:
        width, height = _size(page, f"section#{section}")
        assert width > 0
        assert height > 0
    for plot in ("#slices svg", "#latency svg", "#coverage svg"):
        width, height = _size(page, plot)
        assert width > 100, plot
        assert height > 20, plot
    assert page.locator("#slices svg").count() >= len(report["slices"])
    assert page.locator("#slices svg path").count() > 0  # error bars
    assert page.locator("#latency svg rect").count() > 0
    assert "answer_correct" in page.locator("#overall").inner_text()
    assert requests == [path.as_uri()]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "eval-report.png"), full_page=True)
    page.close()


def test_ablation_page_renders_deltas_offline(browser: Any, tmp_path: Path) -> None:
    on = _report()
    off = {**on, "overall": {**on["overall"], "answer_correct": 0.9, "index_leak_rate": 0.4}}
    summary = ablation_summary(on, off, on="pseudonymized", off="unpseudonymized")
    path = tmp_path / "ablation.html"
    path.write_text(render_ablation_html(summary), encoding="utf-8")
    page, requests = _open(browser, path)
    width, height = _size(page, "#ablation-deltas")
    assert width > 100
    assert height > 20
    assert page.locator("#ablation-deltas rect").count() >= 2
    assert "index_leak_rate" in page.locator("#ablation-table").inner_text()
    assert requests == [path.as_uri()]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "eval-ablation.png"), full_page=True)
    page.close()
