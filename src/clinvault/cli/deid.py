"""``clinvault deid``: pseudonymize free text, evaluate the PHI detector, pin its model."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clinvault.cli.context import load_settings, out, reported_errors
from clinvault.phi import build_detector
from clinvault.phi.base import Tokenizer
from clinvault.phi.evaluation.metrics import EvaluationReport, evaluate
from clinvault.phi.evaluation.report import report_json
from clinvault.phi.pseudonymize import PseudonymizedText, RedactingTokenizer, pseudonymize

deid_app = typer.Typer(
    help="Find and replace PHI in free text; measure the detector.", no_args_is_help=True
)


class EvalFormat(StrEnum):
    presidio = "presidio"
    synth = "synth"


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
        Path, typer.Argument(help="presidio-research JSON file, or a synth cohort folder")
    ],
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
) -> None:
    """Precision, recall and F2 of the PHI detector per type and overall."""
    settings = load_settings()
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
        report = evaluate(build_detector(settings.phi), documents, scheme, match_types=match_types)
    if as_json:
        sys.stdout.write(json.dumps(report_json(report), indent=2) + "\n")
        return
    for table in render_report(report):
        out.print(table)


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
