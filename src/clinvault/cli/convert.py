"""``clinvault convert FILE [--json]``: the FHIR R4 Bundle a C-CDA document or an HL7 v2
message file becomes, printed for an integrator checking a feed.

It prints PHI (the converted record, as the file holds it): use it only on a file you
already hold. It opens no vault, index or audit log and writes nothing to
``CLINVAULT_HOME``. The format is chosen by the ingest's format registry
(``clinvault.fhir.sources.FORMATS``), so ``convert`` reads what ``ingest`` reads. Every
resource is validated with the R4B models. A format whose converter module offers
``readers(settings, vault)`` (HL7 v2) is read as configured, without a vault (no patient
matching: nothing in the home is opened); problems go to stderr by place and element,
never by value.

Output: indented Bundle JSON, one per document or message; with ``--json`` one compact
Bundle per line (NDJSON). Exit status as ``ingest``: 0 all converted and valid, 1 some
part rejected, 2 nothing usable (missing file, refused XML, not a legacy format).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from clinvault.cli.context import err, reported_errors
from clinvault.errors import InputError
from clinvault.ingest.report import EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE

Part = tuple[str, dict[str, Any]] | InputError
Reader = Callable[[Path], Iterable[Part]]


def convert(
    file: Annotated[Path, typer.Argument(help="C-CDA document (.xml/.ccda/.cda) or HL7 v2 file")],
    as_json: Annotated[
        bool, typer.Option("--json", help="one compact Bundle per line (NDJSON)")
    ] = False,
) -> None:
    """Print the FHIR Bundle a legacy file becomes (it prints PHI; writes nothing)."""
    if not file.is_file():
        err.print(f"[red]unusable input:[/red] {file}: not a file")
        raise typer.Exit(EXIT_UNUSABLE)
    with reported_errors():  # a configuration error (HL7 time zone) is one clean line, exit 2
        reader = _reader(file)
    if reader is None:
        err.print(
            f"[red]unusable input:[/red] {file}: not a legacy format convert reads "
            "(FHIR input needs no conversion)"
        )
        raise typer.Exit(EXIT_UNUSABLE)
    converted, rejected = _run(reader, file, as_json)
    if converted == 0:
        raise typer.Exit(EXIT_UNUSABLE)
    raise typer.Exit(EXIT_REJECTED if rejected else EXIT_OK)


def _reader(file: Path) -> Reader | None:
    from clinvault.fhir.sources import FORMATS

    suffix = file.suffix.lower()
    form = next((f for f in FORMATS if suffix in f.suffixes), None)
    if form is None or form.converter is None:
        return None
    module_name, _, name = form.converter.partition(":")
    module = importlib.import_module(module_name)
    configured = getattr(module, "readers", None)
    if configured is not None:  # a format with settings (HL7 v2: time zone, facilities)
        from clinvault.cli.context import load_settings

        chosen: Reader | None = configured(load_settings(), None).get(form.name)
        if chosen is not None:
            return chosen
    reader: Reader = getattr(module, name)
    return reader


def _run(reader: Reader, file: Path, as_json: bool) -> tuple[int, int]:
    from clinvault.fhir.validate import validate

    converted = rejected = 0
    try:
        for part in reader(file):
            if isinstance(part, InputError):
                rejected += 1
                err.print(f"[red]rejected[/red] {part}")
                continue
            where, bundle = part
            converted += 1
            for entry in bundle.get("entry", []):
                resource = entry.get("resource", {})
                problem = validate(
                    resource, f"{where}#{resource.get('resourceType')}/{resource.get('id')}"
                )
                if problem is not None:
                    rejected += 1
                    err.print(f"[red]invalid[/red] {problem}")
            _print(bundle, as_json)
    except InputError as exc:
        err.print(f"[red]unusable input:[/red] {exc}")
        return 0, rejected + 1
    return converted, rejected


def _print(bundle: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
