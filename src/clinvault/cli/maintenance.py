"""``clinvault maintenance purge``: remove what is past its retention, audited.

What is kept, and for how long, is in :mod:`clinvault.audit.retention` (quarantined inputs:
``retention.quarantine_days``; conversations and re-identified answer text are never on
disk). Each purge appends one ``admin`` record (reason ``retention-purge``, purpose
``quarantine``).

``clinvault serve`` runs the same purge on a schedule (:func:`scheduled_purge`): at start,
then every ``retention.purge_every_s`` seconds (default a day; ``0`` turns it off), audited
as principal ``clinvault-serve``, stopped when the server shuts down. With ``vault.url``
naming a vault service, the serving process holds no vault, so it schedules nothing and
says so: run this command where the vault service runs (cron or a systemd timer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from clinvault.audit.retention import Purged, PurgeSchedule, purge_expired
from clinvault.cli.context import load_settings, out, reported_errors
from clinvault.clock import Clock, SystemClock
from clinvault.settings import Settings

if TYPE_CHECKING:
    from clinvault.runtime import Runtime


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

    with reported_errors(), Runtime.open(settings) as runtime:
        purged = purge_expired(
            runtime.vault,
            runtime.audit_log,
            quarantine_days=settings.retention.quarantine_days,
            now=datetime.now(UTC),
            principal=operator,
        )
    out.print(
        f"purged {purged.quarantined} quarantined input(s) older than "
        f"{settings.retention.quarantine_days} days"
    )


def scheduled_purge(
    settings: Settings,
    runtime: Runtime,
    *,
    clock: Clock | None = None,
    on_purge: Callable[[Purged | None], None] | None = None,
) -> PurgeSchedule | str:
    """The started purge schedule of a serving process, or why there is none (a sentence to
    print). The caller stops the schedule before it closes the runtime."""
    from clinvault.vault_service.remote import is_remote_vault

    every = settings.retention.purge_every_s
    if every == 0:
        return "scheduled retention purge off (retention.purge_every_s = 0)"
    if is_remote_vault(settings):
        return (
            "no scheduled retention purge here: vault.url names a vault service, so run "
            "`clinvault maintenance purge` where the vault service runs"
        )
    schedule = PurgeSchedule(
        runtime.vault,
        runtime.audit_log,
        quarantine_days=settings.retention.quarantine_days,
        interval_s=every,
        clock=clock or SystemClock(),
        on_purge=on_purge,
    )
    schedule.start()
    return schedule
