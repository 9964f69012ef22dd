"""``clinvault serve`` (a real process) purges what is past retention at start, audited, and
a SIGTERM stops it through its ``finally``: the schedule stops, the services close (the audit
log signs its closing checkpoint) and ``clinvault serve stopped`` is printed.

Before the fix, uvicorn re-raised SIGTERM under its default action once it had shut down,
which killed the process before any of that ran."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from clinvault.audit.retention import SCHEDULER_PRINCIPAL
from clinvault.cli.main import app
from clinvault.clock import FixedClock
from clinvault.runtime import Runtime
from clinvault.settings import Settings

STARTUP_S = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(text: str, server: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if text in stderr.read_text(errors="replace"):
            return
        if server.poll() is not None:
            raise AssertionError("serve exited: " + stderr.read_text(errors="replace")[-2000:])
        time.sleep(0.2)
    raise AssertionError(f"serve did not log {text!r} in time")


def test_serve_purges_at_start_and_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env.update(
        CLINVAULT_HOME=str(home),
        CLINVAULT_INDEX__EMBEDDER__BACKEND="hashing",
        CLINVAULT_RETENTION__QUARANTINE_DAYS="30",
        CLINVAULT_RETENTION__PURGE_EVERY_S="3600",
    )
    settings = Settings.load(
        home=home, index={"embedder": {"backend": "hashing"}}, retention={"quarantine_days": 30}
    )
    now = datetime.now(UTC)
    for age, where in ((45, "old.json"), (5, "new.json")):
        with Runtime.open(settings, clock=FixedClock(now - timedelta(days=age))) as runtime:
            runtime.vault.quarantine(where, "Observation", "invalid", {"id": where})

    stderr = tmp_path / "stderr"
    server = subprocess.Popen(
        [sys.executable, "-c", "from clinvault.cli.main import run; run()", "serve",
         "--host", "127.0.0.1", "--port", str(_free_port())],
        env=env,
        stdout=(tmp_path / "stdout").open("wb"),
        stderr=stderr.open("wb"),
    )  # fmt: skip
    try:
        _wait_for("Application startup complete", server, stderr)
        _wait_for("scheduled retention purge: 1 quarantined input(s)", server, stderr)
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    logged = stderr.read_text(errors="replace")
    assert code == 128 + signal.SIGTERM, logged[-2000:]
    assert "clinvault serve stopped" in logged
    assert "Traceback" not in logged

    with Runtime.open(settings) as runtime:
        assert [row["where"] for row in runtime.vault.quarantined()] == ["new.json"]
        records = list(runtime.audit_log.iter_records())
    purges = [r for r in records if r.reason == "retention-purge"]
    assert [(r.principal, r.outcome) for r in purges] == [(SCHEDULER_PRINCIPAL, "allowed")]
    verified = CliRunner().invoke(app, ["audit", "verify"], env={"CLINVAULT_HOME": str(home)})
    assert verified.exit_code == 0, verified.output
    # the closing checkpoint covers every record: services.close() ran on SIGTERM
    assert f"signed checkpoint at record {len(records)}" in verified.output
