"""``clinvault eval``: build a dataset from the ingested cohort, run it, compare reports.

    clinvault eval build --out eval/dataset.jsonl [--truth cohort/truth.jsonl]
    clinvault eval run --dataset FILE [--model ROUTE] [--top-k K] [--out DIR]
    clinvault eval compare BASELINE.json CANDIDATE.json [--max-drop 0.02]
    clinvault eval ablation --cohort SYNTH_DIR [--patients N] [--out DIR]

``compare`` exits 1 and names every metric that regressed beyond tolerance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinvault.cli.context import err, load_settings, out, reported_errors

EXIT_REGRESSED = 1

eval_app = typer.Typer(help="Evaluate answer quality, citations, privacy and fairness.")


@eval_app.command("build")
def build(
    out_file: Annotated[Path, typer.Option("--out", help="dataset JSONL file to write")],
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="synthetic truth.jsonl: adds note-only facts and PHI"),
    ] = None,
) -> None:
    """Write an evaluation dataset for the cohort ingested under CLINVAULT_HOME."""
    settings = load_settings()
    from clinvault.eval.build import build_items, cohort_facts, load_truth
    from clinvault.eval.dataset import write_dataset
    from clinvault.runtime import Runtime

    with reported_errors():
        with Runtime.open(settings) as runtime:
            facts = cohort_facts(runtime.vault)
        items = build_items(facts, load_truth(truth))
        count = write_dataset(items, out_file)
    out.print(f"wrote {count} questions for {len(facts)} patients to {out_file}")


@eval_app.command("run")
def run(
    dataset: Annotated[Path, typer.Option("--dataset", help="dataset JSONL file")],
    model: Annotated[
        str | None, typer.Option("--model", help="litellm model route, e.g. clinvault/evidence")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", min=1, help="override the retrieval depth")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="report folder")] = Path("eval-report"),
    truth: Annotated[
        Path | None, typer.Option("--truth", help="synthetic truth.jsonl for PHI leak checks")
    ] = None,
    gap_threshold: Annotated[
        float, typer.Option("--gap-threshold", help="flag slice gaps above this")
    ] = 0.10,
) -> None:
    """Run every question through the ask pipeline; write report.json and report.html."""
    settings = load_settings()
    if model is not None:
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"model": model})}
        )
    from clinvault.eval.build import load_truth
    from clinvault.eval.dataset import read_dataset
    from clinvault.eval.report_html import render_html
    from clinvault.eval.report_json import build_report, write_report
    from clinvault.eval.runner import EvalRunner
    from clinvault.eval.slices import SliceSettings

    with reported_errors(exit_code=1):
        items = read_dataset(dataset)
        runner = EvalRunner(settings, top_k=top_k, truth=load_truth(truth))
        bar = _ask_progress()
        with bar:
            task = bar.add_task("ask", total=len(items))
            result = runner.run(items, on_item=lambda _: bar.advance(task))
        report = build_report(result, SliceSettings(gap_threshold=gap_threshold))
        write_report(report, out_dir / "report.json")
        (out_dir / "report.html").write_text(render_html(report), encoding="utf-8")
    for metric, value in report["overall"].items():
        out.print(f"{metric:28} {_shown(value)}")
    for gap in report["gaps"]["flagged"]:
        err.print(
            f"[yellow]slice gap:[/yellow] {gap['metric']} by {gap['dimension']}: {gap['gap']:.3f}"
        )
    out.print(f"report: {out_dir / 'report.json'}, {out_dir / 'report.html'}")


@eval_app.command("ablation")
def ablation(
    cohort: Annotated[
        Path, typer.Option("--cohort", help="`clinvault synth` output folder (with truth.jsonl)")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="report folder")] = Path("eval-ablation"),
    patients: Annotated[
        int | None, typer.Option("--patients", min=1, help="use the first N patients")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="litellm model route, e.g. clinvault/evidence")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", min=1, help="override the retrieval depth")
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option("--work", help="keep both throwaway homes here (default: a temp folder)"),
    ] = None,
) -> None:
    """Evaluate a synthetic cohort with pseudonymization on and off, in throwaway homes.

    Refuses any folder that is not `clinvault synth` output. Writes DIR/<arm>/report.json,
    report.html, DIR/ablation.json and ablation.html (deltas: on minus off)."""
    settings = load_settings()
    if model is not None:
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"model": model})}
        )
    from clinvault.eval.ablation.cohort import open_synthetic_cohort
    from clinvault.eval.ablation.run import AblationOptions, run_ablation

    with reported_errors(exit_code=1):
        chosen = open_synthetic_cohort(cohort, patients)
        bar = _ask_progress()
        with bar:
            task = bar.add_task("ask", total=None)
            summary = run_ablation(
                settings,
                chosen,
                out_dir,
                options=AblationOptions(top_k=top_k),
                work=work,
                on_item=lambda _: bar.advance(task),
            )
    on, off = list(summary["arms"])
    out.print(f"{'metric':28} {on:>14} {off:>16} {'delta':>8}")
    for metric, row in summary["metrics"].items():
        cells = [_shown(row[on]), _shown(row[off]), _shown(row["delta"], signed=True)]
        out.print(f"{metric:28} {cells[0]:>14} {cells[1]:>16} {cells[2]:>8}")
    out.print(f"report: {out_dir / 'ablation.json'}, {out_dir / 'ablation.html'}")


def _shown(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "unmeasured"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _ask_progress() -> Progress:
    return Progress(
        TextColumn("[bold]asking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@eval_app.command("compare")
def compare(
    baseline: Annotated[Path, typer.Argument(help="baseline report.json")],
    candidate: Annotated[Path, typer.Argument(help="candidate report.json")],
    max_drop: Annotated[
        float, typer.Option("--max-drop", min=0.0, help="tolerated drop per metric")
    ] = 0.02,
) -> None:
    """Exit 1 naming each metric (overall, then family/metric) that regressed beyond --max-drop."""
    from clinvault.eval.compare import compare_reports
    from clinvault.eval.report_json import read_report

    with reported_errors():
        old, new = read_report(baseline), read_report(candidate)
    changes = compare_reports(old, new, max_drop=max_drop)
    regressed = [c for c in changes if c.regressed]
    for change in changes:
        mark = "[red]REGRESSED[/red]" if change.regressed else "ok"
        out.print(f"{mark:>9} {change.describe()}")
    if regressed:
        err.print(
            "[red]regressed beyond tolerance:[/red] " + ", ".join(c.metric for c in regressed)
        )
        raise typer.Exit(EXIT_REGRESSED)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
