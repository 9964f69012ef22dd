"""``make demo-split`` end to end: scripts/demo_split.sh itself, on a small cohort with the
hashing embedder (the script's steps are the same as the 20-patient demo's).

The vault runs as ``clinvault vault serve`` in its own process with mutual TLS; the asks run
in an API-side home that holds no ``keys/``; the script stops the service (a graceful shutdown),
verifies both audit chains and that each clinician ask's API record points at the vault
chain's re-identification record. It leaves no process behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the whole flow: a dozen CLI processes and the vault service

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "demo_split.sh"


def _env(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env.update(
        DEMO_SPLIT_DIR=str(directory),
        DEMO_PATIENTS="3",
        CLINVAULT=str(Path(sys.executable).parent / "clinvault"),
        PY=sys.executable,
        CLINVAULT_INDEX__EMBEDDER__BACKEND="hashing",
        NO_COLOR="1",
    )
    return env


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_demo_split_script_runs_the_demo_against_the_vault_service(tmp_path: Path) -> None:
    directory = tmp_path / "split"
    run = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=REPO,
        env=_env(directory),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]

    ready = re.search(r"vault service ready at https://127\.0\.0\.1:\d+ \(pid (\d+)", output)
    assert ready is not None, output[-3000:]
    pid = int(ready.group(1))
    assert f"vault service (pid {pid}) stopped cleanly (graceful shutdown" in output
    assert not _pid_alive(pid)
    assert "without a client certificate: refused (mutual TLS)" in output

    # three clinician answers, each cited, and a researcher's with resource tokens only
    assert output.count("Sources") == 4
    assert re.search(r"\[1\] RES-[0-9A-F]+ \(Observation", output)
    # both chains verify; each clinician ask points at a re-identification in the vault chain
    assert output.count("audit log intact") == 2
    assert len(re.findall(r"RSP-[0-9A-F]+ -> vault record \d+ \(reidentify-", output)) == 3

    api_home = directory / "api-home"
    assert not (api_home / "keys").exists()
    assert (directory / "vault-home" / "keys").is_dir()
