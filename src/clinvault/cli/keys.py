"""``clinvault keys status|rotate``: key-encryption-key versions and their rotation.

``rotate`` re-wraps every patient's data key under a new KEK version and then destroys the
older versions (see :mod:`clinvault.vault.keks`): no resource is re-encrypted, no token
changes, the index is not touched, and the audit chain and its signed checkpoints keep
verifying (their keys derive from the master key, which a KEK rotation leaves alone). An
interrupted rotation (the process killed) leaves every patient readable; run the command
again to finish it. Each finished or resumed rotation is audited (``admin``, reason
``kek-rotated``).

Token-key rotation (``--tokens``) is not implemented yet: new token keys change every
``PT-``/``RES-``/value token, so the index must be re-chunked and re-embedded patient by
patient while audit records keep naming the old tokens (a mapping the audit log would need
to carry). The option exists so that asking for it fails clearly.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from clinvault.audit import AuditEvent
from clinvault.cli.context import RichProgress, err, load_settings, out, reported_errors

EXIT_NOT_IMPLEMENTED = 3


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="Key-encryption-key versions and rotation.", no_args_is_help=True)
    keys.command("status")(status)
    keys.command("rotate")(rotate)
    app.add_typer(keys, name="keys")


def status() -> None:
    """KEK versions, their state and how many patients each wraps (no key material)."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        rows = runtime.vault.kek_status()
        provider = settings.vault.master_key_provider
    table = Table(title=f"key-encryption keys (master key provider: {provider})")
    for column in ("version", "state", "patients"):
        table.add_column(column, justify="right" if column != "state" else "left")
    for row in rows:
        table.add_row(str(row.version), row.state, str(row.patients))
    out.print(table)


def rotate(
    tokens: Annotated[
        bool, typer.Option("--tokens", help="rotate the token key (not implemented yet)")
    ] = False,
    operator: Annotated[
        str, typer.Option("--operator", help="who runs the command (written to the audit record)")
    ] = "operator",
    batch: Annotated[int, typer.Option(min=1, help="data keys re-wrapped per transaction")] = 200,
) -> None:
    """Re-wrap every data key under a new KEK version, then destroy the old versions."""
    if tokens:
        err.print(
            "[red]error:[/red] token-key rotation is not implemented yet: it changes every "
            "token, so the index must be rebuilt and audit records re-linked (see docs/audit.md)"
        )
        raise typer.Exit(EXIT_NOT_IMPLEMENTED)
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        progress = RichProgress("re-wrapping data keys")
        started = time.perf_counter()

        shown = {"done": 0}

        def advance(done: int, total: int) -> None:
            if shown["done"] == 0:
                progress.start(total)
            progress.advance(done - shown["done"])
            shown["done"] = done

        try:
            rotation = runtime.vault.rotate_kek(batch=batch, progress=advance)
        finally:
            progress.stop()
        seconds = time.perf_counter() - started
        runtime.audit_log.append(
            AuditEvent(
                kind="admin",
                principal=operator,
                outcome="allowed",
                reason="kek-rotated",
                role="operator",
                purpose="resumed" if rotation.resumed else "scheduled",
            )
        )
    destroyed = ", ".join(str(v) for v in rotation.destroyed) or "none"
    out.print(
        f"KEK version {rotation.version} active{' (resumed)' if rotation.resumed else ''}: "
        f"{rotation.rewrapped} data keys re-wrapped in {seconds:.2f} s; "
        f"destroyed versions: {destroyed}"
    )
