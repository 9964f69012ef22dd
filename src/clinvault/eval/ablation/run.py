"""The privacy ablation: one synthetic cohort, ingested and evaluated twice.

    verified synthetic cohort ─► copy into a throwaway folder (injection note planted)
      ─► arm "pseudonymized": production ingest, vault, ask service, egress guard
      ─► arm "unpseudonymized": the index holds the original text; guard and
         re-identification pass everything through
      ─► the same dataset on both ─► report.json/html per arm ─► ablation.json/html
         (each metric on minus off: the utility cost of privacy, as numbers)

Both homes are throwaway folders made here (never ``CLINVAULT_HOME``, never a configured
database or vector server); they are deleted afterwards unless the caller names the folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinvault.eval.ablation.cohort import SyntheticCohort
from clinvault.eval.ablation.report import ablation_summary, render_ablation_html
from clinvault.eval.ablation.unpseudonymized import Unpseudonymized
from clinvault.eval.arms import PSEUDONYMIZED, Arm
from clinvault.eval.build import build_items, cohort_facts
from clinvault.eval.dataset import EvalItem, write_dataset
from clinvault.eval.injection import plant_injection
from clinvault.eval.report_html import render_html
from clinvault.eval.report_json import build_report, write_report
from clinvault.eval.runner import EvalRunner, OnItem
from clinvault.llm import LLMClient
from clinvault.runtime import Runtime
from clinvault.settings import Settings

LLMFactory = Callable[[Settings], LLMClient]
"""Builds the model client of an arm (its ask service runs the arm's guard in front)."""
ABLATION_KEY_ENV = "CLINVAULT_EVAL_ABLATION_MASTER_KEY"
"""Never set: each throwaway home makes its own master key file."""


@dataclass(frozen=True)
class AblationOptions:
    top_k: int | None = None
    llm: LLMFactory | None = None
    plant_injection: bool = True


def arm_settings(base: Settings, home: Path) -> Settings:
    """``base`` (model, embedder, retrieval, policy) with every store in ``home``."""
    return base.model_copy(
        update={
            "home": home,
            "vault": base.vault.model_copy(
                update={
                    "backend": "sqlite",
                    "url": None,
                    "master_key_file": None,
                    "master_key_env": ABLATION_KEY_ENV,
                }
            ),
            "index": base.index.model_copy(
                update={"backend": "edge", "path": None, "url": None, "api_key": None}
            ),
            "audit": base.audit.model_copy(update={"url": None}),
            "access": base.access.model_copy(update={"url": None}),
        }
    )


@contextmanager
def _workspace(work: Path | None) -> Iterator[Path]:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    made = Path(tempfile.mkdtemp(prefix="clinvault-ablation-"))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


def _ingest(arm: Arm, settings: Settings, data: Path) -> None:
    with arm.open_runtime(settings, None) as runtime:
        arm.ingest_pipeline(runtime).run([data])


def _dataset(settings: Settings, cohort: SyntheticCohort) -> list[EvalItem]:
    with Runtime.open(settings) as runtime:
        facts = cohort_facts(runtime.vault)
    return build_items(facts, cohort.truth)


def run_ablation(
    base: Settings,
    cohort: SyntheticCohort,
    out_dir: Path,
    *,
    options: AblationOptions | None = None,
    work: Path | None = None,
    on_item: OnItem | None = None,
) -> dict[str, Any]:
    """Run both arms; write ``out_dir/<arm>/report.{json,html}`` and
    ``out_dir/ablation.{json,html}``; return the ablation summary."""
    options = options or AblationOptions()
    off = Unpseudonymized(cohort)
    arms: tuple[Arm, ...] = (PSEUDONYMIZED, off)
    reports: dict[str, dict[str, Any]] = {}
    with _workspace(work) as root:
        data = root / "cohort"
        data.mkdir(exist_ok=True)
        for bundle in cohort.bundles:
            shutil.copyfile(bundle, data / bundle.name)
        if options.plant_injection:
            plant_injection(data / cohort.bundles[0].name)
        homes = {arm.name: arm_settings(base, root / arm.name) for arm in arms}
        for arm in arms:
            _ingest(arm, homes[arm.name], data)
        items = _dataset(homes[PSEUDONYMIZED.name], cohort)
        write_dataset(items, out_dir / "dataset.jsonl")
        for arm in arms:
            settings = homes[arm.name]
            llm = options.llm(settings) if options.llm is not None else None
            runner = EvalRunner(settings, llm=llm, top_k=options.top_k, truth=cohort.truth, arm=arm)
            report = build_report(runner.run(items, on_item=on_item))
            write_report(report, out_dir / arm.name / "report.json")
            (out_dir / arm.name / "report.html").write_text(render_html(report), encoding="utf-8")
            reports[arm.name] = report
    summary = ablation_summary(
        reports[PSEUDONYMIZED.name], reports[off.name], on=PSEUDONYMIZED.name, off=off.name
    )
    write_report(summary, out_dir / "ablation.json")
    (out_dir / "ablation.html").write_text(render_ablation_html(summary), encoding="utf-8")
    return summary
