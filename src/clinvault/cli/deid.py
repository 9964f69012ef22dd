"""``clinvault deid``: pseudonymize free text, evaluate the PHI detector, pin its model."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clinvault.cli.context import load_settings, out, reported_errors
from clinvault.phi import build_detector
from clinvault.phi.base import PhiDetector, PhiType, Tokenizer
from clinvault.phi.evaluation.compare import Scored
from clinvault.phi.evaluation.metrics import EvaluationReport, evaluate
from clinvault.phi.evaluation.report import report_json
from clinvault.phi.pseudonymize import PseudonymizedText, RedactingTokenizer, pseudonymize
from clinvault.settings import PhiSettings

deid_app = typer.Typer(
    help="Find and replace PHI in free text; measure the detector.", no_args_is_help=True
)


class EvalFormat(StrEnum):
    presidio = "presidio"
    synth = "synth"
    nursing = "nursing"


def _patient_reference(patient: str) -> str:
    return patient if "/" in patient else f"Patient/{patient}"


def _print_text(result: PseudonymizedText, *, as_json: bool) -> None:
    if not as_json:
        sys.stdout.write(result.text)
        return
    payload = {
        "text": result.text,
        "spans": [
            {"start": r.start, "end": r.end, "type": r.type.value, "token": r.token}
            for r in result.replacements
        ],
    }
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


@deid_app.command("text")
def text_command(
    patient: Annotated[
        str | None,
        typer.Option(
            "--patient",
            help="source patient id or reference: reversible vault tokens and shifted dates "
            "for this patient; without it, PHI is redacted to [TYPE] placeholders",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print {text, spans: [{start, end, type, token}]}")
    ] = False,
) -> None:
    """Read free text on stdin, print it pseudonymized."""
    settings = load_settings()
    source = sys.stdin.read()
    with reported_errors():
        detector = build_detector(settings.phi)
        spans = detector.detect(source)
        if patient is None:
            _print_text(pseudonymize(source, spans, RedactingTokenizer()), as_json=as_json)
            return
        from clinvault.phi.vault_tokenizer import VaultTokenizer
        from clinvault.vault import Vault

        vault = Vault.open(settings)
        try:
            tokenizer: Tokenizer = VaultTokenizer(
                vault, vault.patient_token(_patient_reference(patient))
            )
            result = pseudonymize(source, spans, tokenizer)
        finally:
            vault.close()
        _print_text(result, as_json=as_json)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_report(report: EvaluationReport) -> list[Table]:
    matching = "type must match" if report.match_types else "any PHI type counts"
    types = Table(title=f"{report.dataset}: {report.documents} documents, token level, {matching}")
    for column in ("PHI type", "support", "precision", "recall", "F2"):
        types.add_column(column, justify="left" if column == "PHI type" else "right")
    for row in (*report.types, report.overall):
        name = "overall" if row.phi_type is None else str(row.phi_type)
        types.add_row(
            name, str(row.support), _percent(row.precision), _percent(row.recall), _percent(row.f2)
        )
    labels = Table(title="recall per dataset label")
    for column in ("label", "as", "support", "recall"):
        labels.add_column(column, justify="left" if column in ("label", "as") else "right")
    for item in report.labels:
        mapped = "not PHI (not scored)" if item.phi_type is None else str(item.phi_type)
        labels.add_row(item.label, mapped, str(item.support), _percent(item.recall))
    return [types, labels]


@deid_app.command("eval")
def eval_command(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="presidio-research JSON file, or a synth cohort folder (not for --format nursing)"
        ),
    ] = None,
    fmt: Annotated[
        EvalFormat, typer.Option("--format", help="dataset format")
    ] = EvalFormat.presidio,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    match_types: Annotated[
        bool, typer.Option("--match-types", help="count a token found only with the right type")
    ] = False,
    use_context: Annotated[
        bool,
        typer.Option(
            help="synth: give the detector the identifiers the record lists, as ingest does"
        ),
    ] = True,
    notes: Annotated[
        int, typer.Option(min=1, help="nursing: how many generated notes to score")
    ] = 200,
    held_back: Annotated[
        bool, typer.Option("--held-back", help="nursing: the held-back seeds (never tuned on)")
    ] = False,
    baseline: Annotated[
        bool, typer.Option(help="nursing: also score presidio out of the box")
    ] = True,
    members: Annotated[
        bool,
        typer.Option(
            help="presidio, synth: score each ensemble member and the ensemble side by side "
            "(--no-members: the configured phi.backend alone)"
        ),
    ] = True,
    philter: Annotated[
        bool,
        typer.Option(
            "--philter",
            help="also score the philter candidate member, alone and added to the ensemble "
            "(slow: philter-lite's rules run about 2 notes/s)",
        ),
    ] = False,
) -> None:
    """Precision, recall and F2 per type and overall, per label, for each ensemble member and
    the ensemble (or the configured detector alone with ``--no-members``).

    ``--format nursing`` scores generated nursing notes instead: span recall per category
    and character precision, for each ensemble member, the ensemble and presidio out of the
    box, with clinical-term survival (utility) and notes per second."""
    settings = load_settings()
    if fmt is EvalFormat.nursing:
        _nursing_eval(
            settings.phi,
            notes,
            held_back=held_back,
            baseline=baseline,
            philter=philter,
            as_json=as_json,
        )
        return
    if path is None:
        out.print("[red]error:[/] a dataset path is needed for this format")
        raise typer.Exit(2)
    with reported_errors():
        if fmt is EvalFormat.presidio:
            from clinvault.phi.evaluation.presidio_research import (
                PRESIDIO_RESEARCH,
                load_presidio_research,
            )

            documents, scheme = load_presidio_research(path), PRESIDIO_RESEARCH
        else:
            from clinvault.phi.evaluation.synth_cohort import SYNTH_COHORT, load_synth_cohort

            documents, scheme = load_synth_cohort(path, use_context=use_context), SYNTH_COHORT
        if members:
            from clinvault.phi.ensemble import EnsembleDetector
            from clinvault.phi.evaluation.compare import member_reports

            ensemble = EnsembleDetector.from_settings(settings.phi)
            reports = member_reports(
                ensemble,
                _candidates(settings.phi, philter=philter),
                documents,
                scheme,
                match_types=match_types,
            )
        else:
            report = evaluate(
                build_detector(settings.phi), documents, scheme, match_types=match_types
            )
    if members:
        _print_member_reports(reports, as_json=as_json)
        return
    if as_json:
        sys.stdout.write(json.dumps(report_json(report), indent=2) + "\n")
        return
    for table in render_report(report):
        out.print(table)


def _candidates(settings: PhiSettings, *, philter: bool) -> list[tuple[str, PhiDetector]]:
    """Candidate members scored next to the ensemble (not part of the shipped ensemble)."""
    if not philter:
        return []
    from clinvault.phi.philter import PhilterDetector

    return [("philter", PhilterDetector(settings))]


def _print_member_reports(
    reports: Sequence[tuple[str, EvaluationReport]], *, as_json: bool
) -> None:
    if as_json:
        rows = [{"detector": name, **report_json(report)} for name, report in reports]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for table in render_member_reports(reports):
        out.print(table)


def render_member_reports(reports: Sequence[tuple[str, EvaluationReport]]) -> list[Table]:
    """Recall per dataset label and precision / recall / F2 per PHI type, one column per
    detector."""
    if not reports:
        return []
    first = reports[0][1]
    matching = "type must match" if first.match_types else "any PHI type counts"
    names = [name for name, _ in reports]
    labels = Table(
        title=f"{first.dataset}: {first.documents} documents, token level, {matching}: "
        "recall per dataset label (found/support)"
    )
    types = Table(title="precision / recall / F2 per PHI type")
    for table, column in ((labels, "label"), (types, "PHI type")):
        table.add_column(column)
        for name in names:
            table.add_column(name, justify="right")
    for item in first.labels:
        if item.phi_type is None:
            continue
        cells = []
        for _, report in reports:
            row = next(r for r in report.labels if r.label == item.label)
            cells.append(f"{_percent(row.recall)} ({row.found}/{row.support})")
        labels.add_row(item.label, *cells)
    kinds = sorted(
        {t.phi_type for _, r in reports for t in r.types if t.phi_type is not None},
        key=list(PhiType).index,
    )
    for kind in [*kinds, None]:
        cells = []
        for _, report in reports:
            rows = (
                [report.overall]
                if kind is None
                else [t for t in report.types if t.phi_type is kind]
            )
            cells.append(
                " / ".join(_percent(v) for v in (rows[0].precision, rows[0].recall, rows[0].f2))
                if rows
                else "-"
            )
        types.add_row("overall" if kind is None else str(kind), *cells)
    return [labels, types]


def _nursing_eval(
    settings: PhiSettings,
    count: int,
    *,
    held_back: bool,
    baseline: bool,
    philter: bool,
    as_json: bool,
) -> None:
    from clinvault.phi.ensemble import EnsembleDetector
    from clinvault.phi.evaluation.compare import compare, compare_json
    from clinvault.phi.evaluation.nursing_notes import NURSING, nursing_notes

    with reported_errors():
        ensemble = EnsembleDetector.from_settings(settings)
        detectors: list[tuple[str, PhiDetector]] = [*ensemble.members, ("ensemble", ensemble)]
        for name, candidate in _candidates(settings, philter=philter):
            detectors += [
                (name, candidate),
                (f"ensemble+{name}", ensemble.with_member(name, candidate)),
            ]
        if baseline:
            from clinvault.phi.evaluation.presidio_baseline import PresidioOutOfTheBox

            detectors.append(("presidio-ootb", PresidioOutOfTheBox(settings)))
        documents = nursing_notes(count, held_back=held_back)
        scored = compare(detectors, documents, NURSING)
    if as_json:
        sys.stdout.write(json.dumps(compare_json(scored), indent=2) + "\n")
        return
    for table in render_comparison(scored, held_back=held_back):
        out.print(table)


def render_comparison(scored: Sequence[Scored], *, held_back: bool) -> list[Table]:
    names = [item.report.name for item in scored]
    slice_name = "held-back slice" if held_back else "tuning slice"
    documents = scored[0].report.documents if scored else 0
    recall = Table(title=f"nursing notes ({slice_name}, {documents} notes): span recall")
    precision = Table(title="character precision (letters and digits hidden that are PHI)")
    for table, first in ((recall, "category"), (precision, "PHI type")):
        table.add_column(first)
        for name in names:
            table.add_column(name, justify="right")
    labels = sorted({c.label for item in scored for c in item.report.categories})
    for label in [*labels, "overall"]:
        cells = []
        for item in scored:
            row = (
                item.report.overall_recall
                if label == "overall"
                else next((c for c in item.report.categories if c.label == label), None)
            )
            cells.append(
                "-" if row is None else f"{_percent(row.recall)} ({row.found}/{row.support})"
            )
        recall.add_row(label, *cells)
    kinds = sorted(
        {p.phi_type for item in scored for p in item.report.precision if p.phi_type is not None},
        key=list(PhiType).index,
    )
    for kind in [*kinds, None]:
        cells = []
        for item in scored:
            rows = (
                [item.report.overall_precision]
                if kind is None
                else [p for p in item.report.precision if p.phi_type is kind]
            )
            cells.append(_percent(rows[0].precision) if rows else "-")
        precision.add_row("overall" if kind is None else str(kind), *cells)
    summary = Table(title="utility and speed")
    for column in ("detector", "clinical terms kept", "notes/s"):
        summary.add_column(column, justify="left" if column == "detector" else "right")
    for item in scored:
        summary.add_row(
            item.report.name,
            f"{_percent(item.report.utility)} ({item.report.clinical_kept}/{item.report.clinical_terms})",
            f"{item.notes_per_second:.1f}",
        )
    return [recall, precision, summary]


@deid_app.command("pin-model")
def pin_model_command(
    model: Annotated[str, typer.Argument(help="installed spaCy model package or model folder")],
) -> None:
    """Print sha256 pins of a spaCy model's files, to append to vault/phi_model_pins.toml."""
    from clinvault.phi.model_pins import compute_pins, model_package_dir, render_pins

    with reported_errors():
        sys.stdout.write(render_pins(model, compute_pins(model_package_dir(model))))


def register(app: typer.Typer) -> None:
    app.add_typer(deid_app, name="deid")
