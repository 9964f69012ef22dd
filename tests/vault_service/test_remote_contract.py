"""The ``VaultClient`` contract (tests/vault/test_client_contract.py), unchanged, against
:class:`RemoteVaultClient` talking to ``clinvault vault serve`` in a subprocess on loopback
with mutual TLS: one fresh service (its own home, master key and SQLite vault) per test.

The contract's tests are imported here; pytest collects them in this module, where the
``client`` fixture below replaces the in-process vault. It connects with the ``ingest``
certificate: the contract exercises the plain revealing calls (``reidentify``,
``source_record`` ...), which the service serves to ingest only (the API's certificate is
refused them: see test_remote_ask.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinvault.vault import VaultClient
from tests.vault import test_client_contract as contract

from .conftest import VaultProcess

CONTRACT_TESTS = sorted(
    name
    for name in vars(contract)
    if name.startswith("test_")
    and name != "test_the_vault_is_a_vault_client_with_private_parts"  # in-process internals
)
globals().update({name: getattr(contract, name) for name in CONTRACT_TESTS})


@pytest.fixture
def client(vault_process: VaultProcess) -> Iterator[VaultClient]:
    with vault_process.client("ingest") as remote:
        yield remote


def test_the_remote_client_is_a_vault_client_holding_no_key(
    vault_process: VaultProcess,
) -> None:
    with vault_process.client() as remote:
        assert isinstance(remote, VaultClient)
        public = {n for n in dir(remote) if not n.startswith("_")}
        assert not public & {"store", "keys", "policy", "clock", "random", "context"}


def test_every_contract_test_runs_here() -> None:
    assert len(CONTRACT_TESTS) >= 15
