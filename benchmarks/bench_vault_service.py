"""Ask latency with the vault in process vs the vault as its own service (mutual TLS), side
by side in one run.

One synthetic cohort is ingested once on the vault's side (``vault-home``: master key, vault
database). Then the same clinician asks the same questions about the same patients through
two runtimes, alternating ask by ask so both see the same machine:

- in process: a runtime on ``vault-home`` (the embedded deployment, what ``make demo`` runs);
- remote: a runtime on ``api-home`` (no master key) whose ``vault.url`` is a
  ``clinvault vault serve`` subprocess on loopback serving ``vault-home`` over mutual TLS.

Both share the records key and the access store and read the same vector index (the remote
runtime a copy of it: an embedded shard opens in one runtime at a time), as a split
deployment shares PostgreSQL and Qdrant, so retrieval and the model are identical; the difference is
the vault: HTTPS round trips, the service's own authorization and audit record of each
re-identification. Wall time of ``AskService.ask`` per ask; p50 and p95 in milliseconds and
the remote/in-process ratio. The first round is a warm-up and is not counted. Ingest runs
with free-text PHI detection (the default), so the egress guard blocks no note; any ask it
blocks is counted and left out, in both modes alike. The vault service's call log gives the vault calls per ask.

    nice -n 10 .venv/bin/python benchmarks/bench_vault_service.py \\
        [--patients 5] [--questions 5] [--rounds 3] [--embedder hashing]

The default embedder is the hashing one (no model weights; retrieval quality is not what
is measured here): the absolute figures are lower than with sentence-transformers, the
added vault cost is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.ask import AskService
from clinvault.errors import EgressBlocked, VaultError
from clinvault.keys import write_records_key
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort
from clinvault.vault_service.certs import DevPki, make_dev_pki
from clinvault.vault_service.remote import RemoteVaultClient

TMPFS = Path("/dev/shm")  # noqa: S108  (tmpfs: the Edge shard fsyncs every write)
USER = "bench-clinician"
QUESTIONS = (
    "What is the latest HbA1c?",
    "What allergies does the patient have?",
    "What are the current medications?",
    "What are the active conditions?",
    "How has the systolic blood pressure changed over time?",
    "Which immunizations has the patient had?",
    "What is the blood type?",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    path.chmod(0o700)
    return path


def settings_for(
    root: Path, home: Path, embedder: str, index: str = "index", **overrides: Any
) -> Settings:
    vault = {"records_key_file": root / "shared" / "records.key", **overrides.pop("vault", {})}
    return Settings.load(
        home=home,
        vault=vault,
        access={"url": f"sqlite:///{(root / 'shared' / 'access.db').resolve()}"},
        index={"embedder": {"backend": embedder}, "path": str(root / "shared" / index)},
        **overrides,
    )


def prepare(root: Path, patients: int, embedder: str) -> tuple[Settings, list[str]]:
    """Ingest the cohort on the vault side; the bench clinician gets a grant for each."""
    private_dir(root / "shared")
    write_records_key(root / "shared" / "records.key")
    vault_home = private_dir(root / "vault-home")
    cohort = root / "cohort"
    write_cohort(SynthConfig(patients=patients, seed=5), cohort)
    refs = [
        f"Patient/{json.loads(line)['patient_id']}"
        for line in (cohort / "truth.jsonl").read_text().splitlines()
    ]
    settings = settings_for(root, vault_home, embedder)
    with Runtime.open(settings) as runtime:
        runtime.ingest_pipeline().run(sorted(cohort.glob("*.json")))
        store = runtime.access_store
        store.add_user(USER, "clinician")
        for ref in refs:
            store.grant(USER, ref)
    return settings, refs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_service(root: Path, pki: DevPki, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env.update(
        CLINVAULT_HOME=str(root / "vault-home"),
        CLINVAULT_VAULT__RECORDS_KEY_FILE=str(root / "shared" / "records.key"),
        CLINVAULT_ACCESS__URL=f"sqlite:///{(root / 'shared' / 'access.db').resolve()}",
    )
    args = [sys.executable, "-c", "from clinvault.cli.main import run; run()", "vault", "serve"]
    args += ["--port", str(port), "--allow", "api", "--allow", "ingest"]
    with log.open("wb") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    client = pki.clients["api"]
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit("the vault service exited:\n" + log.read_text())
        try:
            with RemoteVaultClient.connect(
                url, ca=pki.ca.cert, cert=client.cert, key=client.key
            ) as probe:
                probe.counts()
            return process, url
        except VaultError:
            if time.monotonic() > deadline:
                process.terminate()
                raise SystemExit("the vault service is not ready:\n" + log.read_text()) from None
            time.sleep(0.2)


def timed_ask(service: AskService, ref: str, question: str) -> float | None:
    started = time.perf_counter()
    try:
        service.ask(USER, ref, question)
    except EgressBlocked:
        return None
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=5)
    parser.add_argument("--questions", type=int, default=5, choices=range(1, len(QUESTIONS) + 1))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", default="hashing")
    args = parser.parse_args()
    questions = QUESTIONS[: args.questions]
    base = TMPFS if TMPFS.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="clinvault-bench-vault-svc-", dir=base) as folder:
        root = Path(folder)
        local_settings, refs = prepare(root, args.patients, args.embedder)
        pki = make_dev_pki(root / "vault-home" / "certs", clients=("api", "ingest"))
        log = root / "vault-service.log"
        process, url = start_service(root, pki, log)
        api_home = private_dir(root / "api-home")
        # an embedded index shard opens in one runtime at a time: the remote runtime reads a
        # copy of the same index (identical points, so identical retrieval)
        shutil.copytree(root / "shared" / "index", root / "shared" / "index-copy")
        client = pki.clients["api"]
        remote_settings = settings_for(
            root,
            api_home,
            args.embedder,
            "index-copy",
            vault={
                "url": url,
                "tls_ca": pki.ca.cert,
                "tls_cert": client.cert,
                "tls_key": client.key,
            },
        )
        laps: dict[str, list[float]] = {"in-process": [], "remote": []}
        blocked = {"in-process": 0, "remote": 0}
        try:
            with Runtime.open(local_settings) as local, Runtime.open(remote_settings) as remote:
                services = (("in-process", local.ask_service()), ("remote", remote.ask_service()))
                for round_no in range(args.rounds + 1):
                    for ref in refs:
                        for question in questions:
                            for mode, service in services:
                                elapsed = timed_ask(service, ref, question)
                                if round_no == 0:
                                    continue
                                if elapsed is None:
                                    blocked[mode] += 1
                                else:
                                    laps[mode].append(elapsed)
        finally:
            process.terminate()
            process.wait(timeout=30)
        calls = sum(" vault api " in line for line in log.read_text().splitlines())
    asked = len(refs) * len(questions) * (args.rounds + 1)
    print(
        f"ask latency, vault in process vs vault service (mutual TLS, loopback): "
        f"{len(refs)} patients x {len(questions)} questions x {args.rounds} rounds "
        f"(+1 warm-up), clinician (re-identified answers), embedder {args.embedder}, "
        f"model {local_settings.llm.model}"
    )
    print(f"blocked by the egress guard (not in the figures): {blocked}")
    print(f"{'mode':<12}{'asks':>6}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for mode, values in laps.items():
        print(
            f"{mode:<12}{len(values):>6}{percentile(values, 0.5):>10.1f}"
            f"{percentile(values, 0.95):>10.1f}{statistics.fmean(values):>10.1f}"
        )
    local_ms, remote_ms = laps["in-process"], laps["remote"]
    for name, q in (("p50", 0.5), ("p95", 0.95)):
        a, b = percentile(local_ms, q), percentile(remote_ms, q)
        print(f"{name}: remote / in-process = {b / a:.2f}x ({b - a:+.1f} ms)")
    print(f"vault service calls per remote ask: {calls / asked:.1f} ({calls} over {asked} asks)")


if __name__ == "__main__":
    main()
