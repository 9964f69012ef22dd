"""A cohort ingested once per test module (hashing embedder, index on tmpfs), its users, and
the ask service over it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinvault.ask import AskService
from clinvault.llm import LLMClient
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.ask.ask_factories import OTHER_ID, PATIENT_ID, write_bundle

CLINICIAN = "dr-grey"
CARE_TEAM_LESS = "dr-stranger"
RESEARCHER = "res-lee"
AUDITOR = "aud-kim"
SHM = Path("/dev/shm")


@dataclass(frozen=True)
class Cohort:
    home: Path
    env: dict[str, str]
    """The ``CLINVAULT_`` environment that selects this cohort (for CLI runs)."""
    patient_token: str
    embedder_backend: str = "hashing"

    def settings(self, **overrides: object) -> Settings:
        return Settings.load(**self.env_overrides(), **overrides)

    def env_overrides(self) -> dict[str, object]:
        return {
            "home": self.home,
            "index": {
                "embedder": {"backend": self.embedder_backend},
                "path": str(self.home / "index"),
            },
        }


def build_cohort(root: Path, embedder_backend: str = "hashing") -> Cohort:
    home = root / "home"
    home.mkdir(parents=True)
    index = {"embedder": {"backend": embedder_backend}, "path": str(home / "index")}
    settings = Settings.load(home=home, index=index)
    with Runtime.open(settings) as runtime:
        report = runtime.ingest_pipeline().run([write_bundle(root / "input")])
        assert report.patients == 2
        assert not report.rejected
        token = runtime.vault.patient_token(f"Patient/{PATIENT_ID}")
        store = runtime.access_store
        store.add_user(CLINICIAN, "clinician")
        store.grant(CLINICIAN, f"Patient/{PATIENT_ID}")
        store.grant(CLINICIAN, f"Patient/{OTHER_ID}")
        store.add_user(CARE_TEAM_LESS, "clinician")
        store.add_user(RESEARCHER, "researcher")
        store.add_user(AUDITOR, "auditor")
    env = {
        "CLINVAULT_HOME": str(home),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": embedder_backend,
        "CLINVAULT_INDEX__PATH": str(home / "index"),
    }
    return Cohort(home=home, env=env, patient_token=token, embedder_backend=embedder_backend)


@pytest.fixture(scope="module")
def clean_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        yield


@pytest.fixture(scope="module")
def cohort(clean_env: None) -> Iterator[Cohort]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-ask-", dir=SHM if SHM.is_dir() else None))
    try:
        yield build_cohort(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Services:
    """Opens ask services over the cohort, one at a time: an Edge shard has one opener, so
    asking for a service with another model closes the open one first."""

    def __init__(self, cohort: Cohort) -> None:
        self._cohort = cohort
        self._open: tuple[LLMClient | None, Runtime, AskService] | None = None

    def get(self, llm: LLMClient | None = None) -> AskService:
        if self._open is not None and self._open[0] is llm:
            return self._open[2]
        self.close()
        runtime = Runtime.open(self._cohort.settings(), llm=llm)
        self._open = (llm, runtime, runtime.ask_service())
        return self._open[2]

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None


@pytest.fixture(scope="module")
def services(cohort: Cohort) -> Iterator[Services]:
    pool = Services(cohort)
    yield pool
    pool.close()


@pytest.fixture
def service(services: Services) -> AskService:
    """The service with the offline evidence model (the default route)."""
    return services.get()
