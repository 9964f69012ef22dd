"""Load test: N concurrent conversations against `clinvault serve` on loopback, offline model.

    .venv/bin/python benchmarks/load_chat.py --concurrency 50 --duration 60

Builds a synthetic cohort in a temporary home (hashing embedder), registers a clinician
with grants on every patient, starts the server in a second process on a free loopback port,
then runs asyncio httpx clients: each conversation asks a rotating question about its
patient, continuing its conversation id. Reports throughput, latency percentiles of the
answered requests, clean refusals (429/503 carrying ``Retry-After``: the conversation waits
that long, then asks again), errors (anything else: a 500, a refusal without
``Retry-After``, a transport error), and whether the audit log holds exactly one ``ask``
record per answered request. Exits 1 on any error or audit mismatch. Traffic goes to
127.0.0.1 only; the loop stops at the deadline.

    .venv/bin/python benchmarks/load_chat.py --concurrency 200 --duration 30 --max-in-flight 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

QUESTIONS = (
    "What is the latest HbA1c?",
    "What allergies does the patient have?",
    "List the current medications.",
    "What conditions are documented?",
    "What was the most recent blood pressure?",
)
USER = "dr-load"
CLINVAULT = str(Path(sys.executable).parent / "clinvault")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(home: Path, patients: int, env: dict[str, str]) -> list[str]:
    cli = [CLINVAULT]
    cohort = home / "cohort"
    subprocess.run(
        [*cli, "synth", "--patients", str(patients), "--seed", "7", "--out", str(cohort)],
        check=True,
        env=env,
    )
    subprocess.run([*cli, "ingest", str(cohort)], check=True, env=env, stdout=subprocess.DEVNULL)
    script = """
import json, sys
from clinvault.settings import Settings
from clinvault.runtime import Runtime
with Runtime.open(Settings.load()) as runtime:
    vault, store = runtime.vault, runtime.access_store
    store.add_user(sys.argv[1], "clinician")
    refs = [vault.source_patient(token) for token in vault.patient_tokens()]
    refs = [r for r in refs if r]
    for ref in refs:
        store.grant(sys.argv[1], ref)
print(json.dumps(refs))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, USER], check=True, env=env, capture_output=True, text=True
    )
    refs: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return refs


def ask_record_count(env: dict[str, str]) -> int:
    script = """
from clinvault.settings import Settings
from clinvault.runtime import Runtime
with Runtime.open(Settings.load()) as runtime:
    print(sum(1 for r in runtime.audit_log.iter_records() if r.kind == "ask"))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


async def conversation(
    client: httpx.AsyncClient,
    patient: str,
    deadline: float,
    latencies: list[float],
    errors: list[str],
    shed: list[int],
    offset: int,
) -> None:
    conversation_id = None
    turn = offset
    while time.monotonic() < deadline:
        body = {
            "patient": patient,
            "question": QUESTIONS[turn % len(QUESTIONS)],
            "conversation_id": conversation_id,
        }
        started = time.perf_counter()
        try:
            response = await client.post("/v1/chat", json=body)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            continue
        if response.status_code in (429, 503) and "retry-after" in response.headers:
            shed.append(response.status_code)
            pause = min(float(response.headers["retry-after"]), deadline - time.monotonic())
            await asyncio.sleep(max(0.0, pause))
            continue
        if response.status_code != 200:
            errors.append(str(response.status_code))
            continue
        latencies.append(time.perf_counter() - started)
        conversation_id = response.json()["conversation_id"]
        turn += 1


async def drive(
    base_url: str, token: str, patients: list[str], concurrency: int, duration: float
) -> tuple[list[float], list[str], list[int], float]:
    latencies: list[float] = []
    errors: list[str] = []
    shed: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=120, limits=limits
    ) as client:
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(
            *(
                conversation(
                    client, patients[i % len(patients)], deadline, latencies, errors, shed, i
                )
                for i in range(concurrency)
            )
        )
        elapsed = time.monotonic() - started
    return latencies, errors, shed, elapsed


def wait_ready(base_url: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before it was ready")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not become ready")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--max-in-flight", type=int, help="api.max_in_flight of the server")
    parser.add_argument("--overload-wait", type=float, help="api.overload_wait_s of the server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinvault-load-") as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
        env.update(
            CLINVAULT_HOME=str(home),
            CLINVAULT_INDEX__EMBEDDER__BACKEND="hashing",
            CLINVAULT_API__RATE_LIMIT_PER_MINUTE="100000000",
            CLINVAULT_API__CLIENT_RATE_LIMIT_PER_MINUTE="100000000",  # one loopback client
        )
        if args.max_in_flight is not None:
            env["CLINVAULT_API__MAX_IN_FLIGHT"] = str(args.max_in_flight)
        if args.overload_wait is not None:
            env["CLINVAULT_API__OVERLOAD_WAIT_S"] = str(args.overload_wait)
        home.mkdir(mode=0o700)  # serve refuses a home others may read
        patients = prepare(home, args.patients, env)
        token = subprocess.run(
            [
                CLINVAULT,
                "token",
                "issue",
                "--user",
                USER,
                "--role",
                "clinician",
                "--ttl",
                "7200",
            ],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.strip()
        before = ask_record_count(env)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [CLINVAULT, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(base_url, server)
            latencies, errors, shed, elapsed = asyncio.run(
                drive(base_url, token, patients, args.concurrency, args.duration)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        audited = ask_record_count(env) - before
    requests = len(latencies)
    ordered = sorted(latencies)
    report = {
        "concurrency": args.concurrency,
        "duration_s": round(elapsed, 1),
        "requests": requests,
        "shed_with_retry_after": {str(code): shed.count(code) for code in sorted(set(shed))},
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "throughput_rps": round(requests / elapsed, 2),
        "latency_p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "latency_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1)
        if ordered
        else None,
        "ask_audit_records": audited,
        "one_audit_record_per_request": audited == requests,
    }
    print(json.dumps(report, indent=2))
    return 0 if not errors and audited == requests else 1


if __name__ == "__main__":
    raise SystemExit(main())
