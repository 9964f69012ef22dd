"""kill -9 of ``clinvault mllp serve`` in the middle of a feed (a real subprocess, real TCP).

200 messages over 4 connections; the server is killed once about 60 are ACKed. Right after
the kill, every message found in the vault is whole (its report, result and chunks), and
every ACKed message is there. After a restart the clients resend everything (ACKed ones
too, as an interface engine does after a reconnect): every message is then in the vault
and the index exactly once, and ``audit verify`` passes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.interop.mllp.conftest import oru

TOTAL, CONNECTIONS, KILL_AFTER = 200, 4, 60
START, END = b"\x0b", b"\x1c\x0d"


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CLINVAULT_HOME": str(home),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing",
        "CLINVAULT_INGEST__DETECT_PHI": "false",
    }


def _start(home: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    command = Path(sys.executable).parent / "clinvault"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [str(command), "mllp", "serve", "--port", "0"], env=_env(home), stderr=sink, stdout=sink
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.findall(rb"listening on mllp://[\d.]+:(\d+)", log.read_bytes())
        if len(found) > _starts(log):
            return process, int(found[-1])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_bytes()[-500:]!r}")


def _starts(log: Path) -> int:
    """Servers started before this one (their lines are in the same log)."""
    return log.read_bytes().count(b"stopped") + log.read_bytes().count(b"KILLED")


def _message(n: int) -> tuple[str, bytes]:
    control = f"M{n:03d}"
    return control, oru(control, mrn=f"9{n % 20:03d}", value=100 + n, n=n % 20)


def _client(
    port: int, numbers: list[int], acked: list[str], stop_after: threading.Event | None
) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            for n in numbers:
                control, payload = _message(n)
                sock.sendall(START + payload + END)
                reply = b""
                while not reply.endswith(END):
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    reply += chunk
                if b"MSA|AA|" + control.encode() in reply:
                    acked.append(control)
    except OSError:
        return  # the server was killed under this connection


def _feed(port: int, acked: list[str]) -> list[threading.Thread]:
    threads = []
    for c in range(CONNECTIONS):
        numbers = list(range(c, TOTAL, CONNECTIONS))
        thread = threading.Thread(target=_client, args=(port, numbers, acked, None), daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _observations(settings: Settings) -> tuple[Counter[str], dict[str, int], int, bool]:
    """Observation values by count, chunks per resource, reports, audit ok."""
    values: Counter[str] = Counter()
    reports = 0
    chunks: Counter[str] = Counter()
    with Runtime.open(settings) as runtime:
        for token in runtime.vault.patient_tokens():
            for resource in runtime.vault.patient_resources(token):
                if resource["resourceType"] == "Observation":
                    values[str(resource["valueQuantity"]["value"])] += 1
                elif resource["resourceType"] == "DiagnosticReport":
                    reports += 1
        for chunk in runtime.index.scroll():
            chunks[chunk.chunk_id] += 1
        ok = runtime.audit_log.verify().ok
    assert all(n == 1 for n in chunks.values()), "a chunk is in the index twice"
    return values, dict(chunks), reports, ok


def test_kill_9_in_the_middle_then_resend(fast: Settings, tmp_path: Path) -> None:
    home = fast.home
    log = tmp_path / "server.log"
    process, port = _start(home, log)
    acked: list[str] = []
    threads = _feed(port, acked)
    deadline = time.monotonic() + 300
    while len(acked) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with log.open("ab") as sink:
        sink.write(b"\nKILLED\n")
    for thread in threads:
        thread.join(60)
    before = set(acked)
    assert KILL_AFTER <= len(before) < TOTAL
    values, _, reports, ok = _observations(fast)
    stored = {f"M{int(v) - 100:03d}" for v in values}
    assert before <= stored  # every ACKed message is there
    assert all(n == 1 for n in values.values())
    assert reports == len(stored)  # whole messages only: no result without its report
    assert ok

    process, port = _start(home, log)
    acked_again: list[str] = []
    try:
        for thread in _feed(port, acked_again):
            thread.join(300)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert sorted(acked_again) == sorted(f"M{n:03d}" for n in range(TOTAL))
    values, _, reports, ok = _observations(fast)
    assert sorted(values) == sorted(str(100 + n) for n in range(TOTAL))
    assert set(values.values()) == {1}
    assert reports == TOTAL
    assert ok
