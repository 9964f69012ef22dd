"""``clinvault maintenance purge``: remove what is past its retention, audited.

What is kept, and for how long (``[retention]`` settings):

* quarantined inputs (rejected resources and messages, sealed in the vault):
  ``retention.quarantine_days``; purged rows are deleted and the SQLite file compacted;
* conversations: the API keeps them in process memory only (ids and tokens, no text),
  bounded by ``api.max_conversations``, gone when the server stops: nothing on disk to purge;
* re-identified answer text: never stored (the audit log keeps hashes of prompt and output,
  and the question sealed): nothing to purge.

Each purge appends one ``admin`` record (reason ``retention-purge``, purpose ``quarantine``).
``serve`` does not run the purge on a schedule yet: run this command from cron or a systemd
timer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from clinvault.audit import AuditEvent
from clinvault.cli.context import load_settings, out, reported_errors


def register(app: typer.Typer) -> None:
    maintenance = typer.Typer(help="Retention: purge what is past its time.", no_args_is_help=True)
    maintenance.command("purge")(purge)
    app.add_typer(maintenance, name="maintenance")


def purge(
    operator: Annotated[
        str, typer.Option("--operator", help="who runs the command (written to the audit record)")
    ] = "operator",
) -> None:
    """Delete quarantined inputs older than ``retention.quarantine_days``."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    cutoff = datetime.now(UTC) - timedelta(days=settings.retention.quarantine_days)
    with reported_errors(), Runtime.open(settings) as runtime:
        removed = runtime.vault.purge_quarantine(cutoff)
        runtime.audit_log.append(
            AuditEvent(
                kind="admin",
                principal=operator,
                outcome="allowed",
                reason="retention-purge",
                role="operator",
                purpose="quarantine",
                count=1,
            )
        )
    out.print(
        f"purged {removed} quarantined input(s) older than "
        f"{settings.retention.quarantine_days} days"
    )
