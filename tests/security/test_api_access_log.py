"""Issue 19 item 2: the served access log.

``PhiLogFilter`` set ``record.args = None``; uvicorn's access formatter then raised on every
request: no request line, and a logging traceback on stderr per request. Now ``clinvault
serve`` (real uvicorn, a real socket) writes exactly one structured JSON access line per
request (method, route template, status, duration, request id, client), never the concrete
path or the query string, and nothing on stderr but uvicorn's start and stop lines.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.ask.ask_factories import MRN, NAME_FAMILY, PATIENT_ID

RESOURCE = "RES-0123456789ABCDEF"
STARTUP_S = 90.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(home: Path, logs: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env.update(
        CLINVAULT_HOME=str(home),
        CLINVAULT_INDEX__EMBEDDER__BACKEND="hashing",
        CLINVAULT_INDEX__PATH=str(home / "index"),
    )
    command = [sys.executable, "-c", "from clinvault.cli.main import run; run()"]
    return subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=(logs / "stdout").open("wb"),
        stderr=(logs / "stderr").open("wb"),
    )


def _wait_started(server: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if "Application startup complete" in stderr.read_text(errors="replace"):
            return
        if server.poll() is not None:
            raise AssertionError("serve exited: " + stderr.read_text(errors="replace")[-2000:])
        time.sleep(0.2)
    raise AssertionError("serve did not start in time")


def test_a_served_request_writes_one_clean_access_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    port = _free_port()
    server = _serve(home, tmp_path, port)
    try:
        _wait_started(server, tmp_path / "stderr")
        path = f"/v1/patients/{PATIENT_ID}/resources/{RESOURCE}?name={NAME_FAMILY}&mrn={MRN}"
        response = httpx.get(
            f"http://127.0.0.1:{port}{path}",
            headers={"Authorization": "Bearer not-a-token"},
            timeout=30,
        )
        more = [
            httpx.get(f"http://127.0.0.1:{port}{p}", timeout=30).status_code
            for p in ("/healthz", f"/v1/patients?name={NAME_FAMILY}", "/chat")
        ]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert response.status_code == 401
    stdout = (tmp_path / "stdout").read_text(errors="replace")
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    access = [line for line in stdout.splitlines() if "http-access" in line]
    assert len(access) == 4, stdout  # one line per request, nothing else
    assert more == [200, 401, 200]
    assert [json.loads(a)["route"] for a in access[1:]] == ["/healthz", "/v1/patients", "/chat"]
    line = json.loads(access[0])
    assert line["method"] == "GET"
    assert line["route"] == "/v1/patients/{patient}/resources/{resource_token}"
    assert line["status"] == 401
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["client"] == "127.0.0.1"
    assert set(line) == {
        "event",
        "method",
        "route",
        "status",
        "duration_ms",
        "request_id",
        "client",
    }
    assert "Traceback" not in stderr
    assert "Logging error" not in stderr
    assert "master key file" in stderr  # the key sits in this home: serve warned at start
    for text in (stdout, stderr):
        for value in (PATIENT_ID, NAME_FAMILY, MRN, RESOURCE, "name="):
            assert value not in text


def test_serve_refuses_a_home_others_may_read(tmp_path: Path) -> None:
    """Issue 19 item 6: the home must be 0700; serve refuses a group/world-readable one."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    server = _serve(home, tmp_path, _free_port())
    try:
        code = server.wait(timeout=STARTUP_S)
    finally:
        if server.poll() is None:
            server.kill()
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    assert code == 2
    assert "mode 0755" in stderr
    assert f"chmod 700 {home}" in " ".join(stderr.split())
    assert not (home / "vault").exists()  # refused before anything was opened
