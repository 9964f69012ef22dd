"""A killed ingest, restarted with the same command, ends exactly where a clean ingest does.

``clinvault ingest`` runs as a subprocess over a 6-patient synthetic cohort (hashing
embedder, no free-text detector, one patient per vault transaction so there are many
commit points) and is killed with SIGKILL 10 times at seeded random points, each time
restarted with the same command; then it runs to the end. A clean run of the same command
in another home (same master key, same per-patient date offsets) is the oracle: the index
must hold exactly its chunks (ids and payloads, no duplicates) and the vault exactly its rows
(tokens, record ids, content hashes, chunk ids, decrypted offsets and resources);
``audit verify`` passes; and the final run skips what earlier runs committed (by content
hash: counted unchanged) and indexes, so embeds, only the chunks of the rest.

Kill points: even rounds wait a seeded random time in (0, clean run's wall time); odd rounds
wait until the vault shows a new committed group, then a seeded random time up to one
group's share of the run, so a kill also lands inside later groups' transactions.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinvault.synth import SynthConfig, write_cohort

from .homes import chunks, hashing_settings, opened, vault_rows
from .seeded_offsets_cli import SEED_ENV

pytestmark = pytest.mark.slow

CLI = Path(__file__).with_name("seeded_offsets_cli.py")
PATIENTS = 6
KILLS = 10
MASTER_KEY = base64.b64encode(bytes(range(32))).decode("ascii")
RUN_TIMEOUT_S = 900.0


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env.update(
        {
            "CLINVAULT_HOME": str(home),
            "CLINVAULT_MASTER_KEY": MASTER_KEY,
            "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing",
            "CLINVAULT_INGEST__DETECT_PHI": "false",
            "CLINVAULT_INGEST__GROUP_PATIENTS": "1",
            SEED_ENV: "13",
        }
    )
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, str(CLI), *args]


def _start(home: Path, cohort: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            _command("ingest", str(cohort)),
            env=_env(home),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the test can reap stragglers
        )


def _finish(home: Path, cohort: Path, log: Path) -> tuple[int, str]:
    """Run the ingest to its end; the exit code and what it printed."""
    proc = subprocess.run(
        _command("ingest", str(cohort)),
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    with log.open("a") as sink:
        sink.write(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout + proc.stderr


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the ingest process, then anything left in its process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError):  # the group is gone: nothing left behind
        os.killpg(proc.pid, signal.SIGKILL)


def _committed(home: Path) -> int:
    """Vault resource rows committed so far (a reader beside the writer: WAL mode)."""
    db = home / "vault" / "vault.db"
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=10.0)) as conn:
            return int(conn.execute("SELECT count(*) FROM vault_resources").fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0  # the schema is not created yet
        raise


def _timeline(proc: subprocess.Popen[bytes], home: Path) -> list[tuple[float, int]]:
    """Seconds since start at which the vault's committed row count changed, until exit."""
    started, seen, timeline = time.monotonic(), 0, []
    while proc.poll() is None:
        now = _committed(home)
        if now != seen:
            timeline.append((time.monotonic() - started, now))
            seen = now
        time.sleep(0.05)
    return timeline


def _summary(output: str, label: str) -> int:
    found = re.search(rf"│\s*{re.escape(label)}[^│]*│\s*(\d+)\s*│", output)
    assert found, f"no '{label}' row in the ingest summary:\n{output}"
    return int(found.group(1))


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The subprocesses' master key, for opening their homes in this process."""
    monkeypatch.setenv("CLINVAULT_MASTER_KEY", MASTER_KEY)


def test_killed_ingest_resumes_to_exactly_a_clean_ingest(tmp_path: Path, master_key: None) -> None:
    cohort = tmp_path / "cohort"
    write_cohort(SynthConfig(patients=PATIENTS, seed=5), cohort, force=True)
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    log = tmp_path / "ingest.log"

    clean_run = _start(clean, cohort, log)
    commits = _timeline(clean_run, clean)  # when the clean run's groups committed
    assert clean_run.returncode == 0, log.read_text()
    output = log.read_text()
    total_resources = _summary(output, "resources stored")
    total_chunks = _summary(output, "chunks indexed")
    assert total_chunks > 50
    assert len(commits) > PATIENTS // 2, f"too few commit points seen: {commits}"
    first, last = commits[0][0], commits[-1][0]
    gap = (last - first) / len(commits)

    rng = random.Random(2026)
    states: set[int] = set()  # vault resource rows after each kill
    for round_no in range(KILLS):
        before = _committed(resumed)
        proc = _start(resumed, cohort, log)
        try:
            if round_no % 2 == 0:  # anywhere from just before the first commit to the last
                deadline = time.monotonic() + rng.uniform(0.8 * first, last)
            else:  # after the next commit, inside a later group
                while proc.poll() is None and _committed(resumed) <= before:
                    time.sleep(0.05)
                deadline = time.monotonic() + rng.uniform(0.0, gap)
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            _kill(proc)
        states.add(_committed(resumed))
    # The kills fell between commits: some left a part of the patients committed.
    assert states & set(range(1, total_resources)), f"no partial state, only {states}"
    committed = vault_rows(hashing_settings(resumed))["resources"]
    assert committed, "no kill round let a group commit: the final run cannot show a skip"

    code, output = _finish(resumed, cohort, log)
    assert code == 0, output
    # Finished groups were skipped by content hash, only the rest was embedded and indexed.
    assert _summary(output, "resources unchanged") == len(committed)
    assert _summary(output, "resources stored") == total_resources - len(committed)
    done = {c for row in committed for c in json.loads(row[5])}
    assert _summary(output, "chunks indexed") == total_chunks - len(done)

    points = chunks(hashing_settings(resumed))
    assert len({c["chunk_id"] for c in points}) == len(points), "duplicate points"
    assert points == chunks(hashing_settings(clean))
    assert vault_rows(hashing_settings(resumed)) == vault_rows(hashing_settings(clean))
    assert opened(hashing_settings(resumed)) == opened(hashing_settings(clean))

    verify = subprocess.run(
        _command("audit", "verify"), env=_env(resumed), capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
