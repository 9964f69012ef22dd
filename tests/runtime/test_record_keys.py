"""Record keys (issue 15): the audit log's and access store's keys, apart from the master key.

Embedded (no records key configured) they are the master key's sub-keys, exactly as before,
so existing homes keep verifying. With a records key they derive from it, with the same
labels, and nothing of the vault's key ring is loaded for them. Remote mode needs one.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from clinvault import crypto
from clinvault.audit import AuditEvent
from clinvault.errors import ConfigError
from clinvault.keys import KeyRing, RecordKeys, write_records_key
from clinvault.runtime import Runtime
from clinvault.settings import Settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CLINVAULT_MASTER_KEY", "CLINVAULT_RECORDS_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


def test_embedded_record_keys_are_the_master_keys_sub_keys(home: Path) -> None:
    master = bytes(range(32))
    ring = KeyRing.from_master(master)
    assert ring.records == RecordKeys(ring.audit, ring.access, ring.blind)
    assert RecordKeys.from_secret(master) == ring.records  # same labels
    with Runtime.open(Settings.load(home=home)) as runtime:
        assert runtime.record_keys == runtime.keys.records


def test_a_records_key_replaces_them_without_the_key_ring(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = home.parent / "records.key"
    write_records_key(key_file)
    settings = Settings.load(home=home, vault={"records_key_file": key_file})
    with Runtime.open(settings) as runtime:
        records = runtime.record_keys
        assert records == RecordKeys.from_secret(key_file.read_bytes())
        assert records != runtime.keys.records
        runtime.audit_log.append(
            AuditEvent(kind="admin", principal="ops", outcome="allowed", reason="test")
        )
        assert runtime.audit_log.verify().ok
    secret = base64.b64encode(crypto.new_key(lambda n: b"\x07" * n)).decode()
    monkeypatch.setenv("CLINVAULT_RECORDS_KEY", secret)
    assert RecordKeys.load(settings) == RecordKeys.from_secret(b"\x07" * 32)  # env wins


def test_remote_mode_holds_no_key_ring_and_needs_a_records_key(home: Path) -> None:
    vault = {"url": "https://vault.invalid:8443"}
    with pytest.raises(ConfigError, match="records_key_file"):
        Runtime.open(Settings.load(home=home, vault=vault))
    key_file = home.parent / "records.key"
    write_records_key(key_file)
    settings = Settings.load(home=home, vault={**vault, "records_key_file": key_file})
    with Runtime.open(settings) as runtime:
        with pytest.raises(ConfigError, match="no master key"):
            runtime.keys  # noqa: B018
        assert runtime.record_keys == RecordKeys.from_secret(key_file.read_bytes())
    assert not (home / "keys").exists()


def test_a_missing_or_open_records_key_file_is_a_clear_error(home: Path) -> None:
    missing = Settings.load(home=home, vault={"records_key_file": home.parent / "nope.key"})
    with pytest.raises(ConfigError, match=r"vault.records_key_file: no file at .*nope.key"):
        RecordKeys.load(missing)
    open_file = home.parent / "open.key"
    open_file.write_bytes(bytes(32))
    open_file.chmod(0o644)
    with pytest.raises(ConfigError, match=r"records key file .* \(chmod 600\)"):
        RecordKeys.load(Settings.load(home=home, vault={"records_key_file": open_file}))
