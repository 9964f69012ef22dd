from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clinvault.errors import VaultError
from clinvault.vault_service.certs import DevPki, make_dev_pki
from clinvault.vault_service.remote import RemoteVaultClient

if TYPE_CHECKING:
    from .split import Split

CALLERS = ("api", "ingest")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class VaultProcess:
    """``clinvault vault serve`` as a real subprocess on loopback with mutual TLS."""

    home: Path
    pki: DevPki
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, caller: str = "api") -> RemoteVaultClient:
        paths = self.pki.clients[caller]
        return RemoteVaultClient.connect(
            self.url, ca=self.pki.ca.cert, cert=paths.cert, key=paths.key
        )

    def env(self) -> dict[str, str]:
        """The environment of a process using this vault remotely (as the ``api`` caller)."""
        paths = self.pki.clients["api"]
        return {
            "CLINVAULT_VAULT__URL": self.url,
            "CLINVAULT_VAULT__TLS_CA": str(self.pki.ca.cert),
            "CLINVAULT_VAULT__TLS_CERT": str(paths.cert),
            "CLINVAULT_VAULT__TLS_KEY": str(paths.key),
        }


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    env["CLINVAULT_HOME"] = str(home)
    return env


def spawn_vault(
    tmp: Path, *extra: str, home: Path | None = None, env: dict[str, str] | None = None
) -> VaultProcess:
    """Start the service (not waiting for it): see :func:`wait_ready`. ``home``: serve an
    existing home's vault (default: a new, empty one under ``tmp``); ``env``: more
    ``CLINVAULT_`` settings of the service process."""
    if home is None:
        home = tmp / "vault-home"
        home.mkdir(mode=0o700)
    pki = make_dev_pki(home / "certs", clients=(*CALLERS, "stranger"))
    port = free_port()
    log = tmp / "vault-service.log"
    args = [sys.executable, "-c", "from clinvault.cli.main import run; run()", "vault", "serve"]
    args += ["--port", str(port), *(a for c in CALLERS for a in ("--allow", c)), *extra]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            args, env={**_clean_env(home), **(env or {})}, stdout=sink, stderr=subprocess.STDOUT
        )
    return VaultProcess(home, pki, f"https://127.0.0.1:{port}", process, log)


def wait_ready(running: VaultProcess) -> VaultProcess:
    deadline = time.monotonic() + 90
    while True:
        if running.process.poll() is not None:
            raise AssertionError("vault service exited:\n" + running.log.read_text())
        try:
            with running.client() as probe:
                probe.counts()
            return running
        except VaultError:
            if time.monotonic() > deadline:
                stop_vault(running)
                raise AssertionError(
                    "vault service not ready:\n" + running.log.read_text()
                ) from None
            time.sleep(0.2)


def start_vault(
    tmp: Path, *extra: str, home: Path | None = None, env: dict[str, str] | None = None
) -> VaultProcess:
    return wait_ready(spawn_vault(tmp, *extra, home=home, env=env))


def stop_vault(running: VaultProcess) -> None:
    running.process.terminate()
    try:
        running.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()


@dataclass
class VaultPool:
    """Fresh vault services, one per test, with the next one started while a test runs."""

    factory: pytest.TempPathFactory
    spare: VaultProcess | None = None

    def _spawn(self) -> VaultProcess:
        return spawn_vault(self.factory.mktemp("vault"))

    def take(self) -> VaultProcess:
        running = self.spare or self._spawn()
        self.spare = self._spawn()
        return wait_ready(running)

    def close(self) -> None:
        if self.spare is not None:
            stop_vault(self.spare)


@pytest.fixture(scope="session")
def vault_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultPool]:
    pool = VaultPool(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture
def vault_process(vault_pool: VaultPool) -> Iterator[VaultProcess]:
    running = vault_pool.take()
    yield running
    stop_vault(running)


@pytest.fixture(scope="session")
def split() -> Iterator[Split]:
    """One split deployment for the trust-boundary tests (see ``split.py``), built in a
    clean ``CLINVAULT_`` environment and stopped at the end of the session."""
    from .split import build_split

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        root = Path(tempfile.mkdtemp(prefix="clinvault-split-"))
        try:
            deployment = build_split(root)
            try:
                yield deployment
            finally:
                stop_vault(deployment.service)
        finally:
            shutil.rmtree(root, ignore_errors=True)
