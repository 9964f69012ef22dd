"""What every command needs: settings built at the entry point, services opened from them,
errors turned into clear messages and exit statuses (never a traceback with data in it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinvault.errors import ClinvaultError, ConfigError, InputError
from clinvault.settings import Settings

EXIT_CONFIG = 2

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def load_settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from None


@contextmanager
def reported_errors(exit_code: int = 2) -> Iterator[None]:
    """Deliberate clinvault errors become one line on stderr and an exit status."""
    try:
        yield
    except (ConfigError, InputError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from None
    except ClinvaultError as exc:
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        raise typer.Exit(exit_code) from None


@dataclass
class RichProgress:
    """The ingest ``Progress`` protocol on a rich progress bar (on stderr)."""

    label: str

    def __post_init__(self) -> None:
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
        self._task = self._bar.add_task(self.label, total=None)

    def stage(self, name: str) -> None:
        """What the work is doing now, shown after the label."""
        self._bar.update(self._task, description=f"{self.label}: {name}")

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, n: int = 1) -> None:
        self._bar.advance(self._task, n)

    def stop(self) -> None:
        self._bar.stop()
