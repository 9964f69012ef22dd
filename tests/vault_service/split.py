"""A split deployment on loopback (issue 15), for the trust-boundary tests.

- the vault side: ``vault-home`` (master key under ``keys/``, the vault database, the vault's
  own audit chain), where a small synthetic cohort is ingested in process (ingest reads raw
  records, so it runs on the vault's side) and ``clinvault vault serve`` then serves it in a
  subprocess with mutual TLS;
- the shared stores, outside both homes (in a deployment: PostgreSQL and a Qdrant server):
  the access store and the vector index;
- the records key (``vault.records_key_file``), outside both homes, given to both sides: the
  audit log's and access store's keys derive from it, not from the master key;
- the API side: ``api-home``, holding only its certificates (the CA and its client pair,
  copied there) and, once used, its own audit log. Its settings name no master key.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinvault.keys import write_records_key
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth.generator import SynthConfig
from clinvault.synth.writer import TRUTH_FILE, write_cohort

from .conftest import VaultProcess, start_vault

CLINICIAN = "dr-grey"
"""Holds a grant for the first patient only."""
OUTSIDER = "dr-stranger"
"""A clinician with no relationship to any patient."""
RESEARCHER = "res-lee"
NEEDLE_TYPES = frozenset({"NAME", "RELATIVE_NAME", "MRN", "SSN", "PHONE", "EMAIL", "ADDRESS"})
"""Identifying values the vault knows (``known_to_record``), searched for in the API process.
Left out, because libraries hold them as ordinary text and a hit would say nothing about
patient data: name parts alone (the generator picks given and family names that are also
English words, "Hope", "Brown"; a tokenizer vocabulary holds "Wilkinson"), dates, cities
(``America/Detroit`` is in the time zone data), postcodes and facilities."""
NAME_TYPES = frozenset({"NAME", "RELATIVE_NAME"})
"""Searched for only as a whole name of two words or more (a relative named "Hope" alone is
a name part in effect)."""


@dataclass
class Split:
    root: Path
    vault_home: Path
    api_home: Path
    records_key: Path
    access_url: str
    index_path: Path
    service: VaultProcess
    patients: list[str]
    """``Patient/<id>`` of the cohort, in truth.jsonl order."""
    truth: Path

    def vault_side_settings(self) -> Settings:
        """The settings of a process on the vault's side (ingest, the in-process baseline)."""
        return _settings(self.vault_home, self.records_key, self.access_url, self.index_path)

    def api_settings(self) -> Settings:
        """The API process's settings: the vault is the service; no master key anywhere."""
        certs = self.api_home / "certs"
        vault = {
            "url": self.service.url,
            "tls_ca": certs / "ca.crt",
            "tls_cert": certs / "client-api.crt",
            "tls_key": certs / "client-api.key",
        }
        return _settings(
            self.api_home, self.records_key, self.access_url, self.index_path, vault=vault
        )

    def needles(self) -> list[str]:
        """The cohort's identifying values the vault knows (see :data:`NEEDLE_TYPES`)."""
        values = set()
        for line in self.truth.read_text().splitlines():
            for phi in json.loads(line)["phi"]:
                known = phi["type"] in NEEDLE_TYPES and phi.get("known_to_record")
                whole = phi["type"] not in NAME_TYPES or " " in phi["value"].strip()
                if known and whole and len(phi["value"]) >= 4:
                    values.add(phi["value"])
        return sorted(values)


def _settings(
    home: Path, records_key: Path, access_url: str, index_path: Path, **overrides: Any
) -> Settings:
    vault = {"records_key_file": records_key, **overrides.pop("vault", {})}
    return Settings.load(
        home=home,
        vault=vault,
        access={"url": access_url},
        index={"embedder": {"backend": "hashing"}, "path": str(index_path)},
        **overrides,
    )


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    path.chmod(0o700)
    return path


def build_split(root: Path, patients: int = 3, seed: int = 5) -> Split:
    vault_home = _private_dir(root / "vault-home")
    api_home = _private_dir(root / "api-home")
    shared = _private_dir(root / "shared")
    records_key = shared / "records.key"
    write_records_key(records_key)
    access_url = f"sqlite:///{(shared / 'access.db').resolve()}"
    index_path = shared / "index"
    cohort = root / "cohort"
    write_cohort(SynthConfig(patients=patients, seed=seed), cohort, force=True)
    truth = cohort / TRUTH_FILE
    refs = [f"Patient/{json.loads(line)['patient_id']}" for line in truth.read_text().splitlines()]

    vault_settings = _settings(vault_home, records_key, access_url, index_path)
    with Runtime.open(vault_settings) as runtime:
        report = runtime.ingest_pipeline().run(sorted(cohort.glob("*.json")))
        assert report.patients == patients, report
        assert not report.rejected
        store = runtime.access_store
        store.add_user(CLINICIAN, "clinician")
        store.grant(CLINICIAN, refs[0])
        store.add_user(OUTSIDER, "clinician")
        store.add_user(RESEARCHER, "researcher")

    env = {"CLINVAULT_VAULT__RECORDS_KEY_FILE": str(records_key)}
    env["CLINVAULT_ACCESS__URL"] = access_url
    service = start_vault(root, home=vault_home, env=env)
    certs = _private_dir(api_home / "certs")
    client = service.pki.clients["api"]
    for source, name in (
        (service.pki.ca.cert, "ca.crt"),
        (client.cert, "client-api.crt"),
        (client.key, "client-api.key"),
    ):
        shutil.copyfile(source, certs / name)
        os.chmod(certs / name, stat.S_IRUSR | stat.S_IWUSR)
    return Split(
        root, vault_home, api_home, records_key, access_url, index_path, service, refs, truth
    )
