"""Issue 19 item 6 (files): the attack run found the home and ``index/`` 0755 and the
``*.db`` files 0644. What clinvault creates is now its user's alone (directories 0700 at
every level it creates, database and key files 0600), ``serve`` refuses a home its group or
others may enter, and warns when the master key file sits inside the home."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinvault.private_files import (
    home_problems,
    home_warnings,
    loose_data_files,
    private_dir,
    private_file,
)
from clinvault.runtime import Runtime
from clinvault.settings import Settings


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which plain mkdir/open give 0755/0644."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_is_private(
    tmp_path: Path, usual_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("CLINVAULT_")]:
        monkeypatch.delenv(name)
    home = tmp_path / "deployments" / "clinvault"
    settings = Settings.load(home=home, index={"embedder": {"backend": "hashing"}})
    with Runtime.open(settings) as runtime:
        runtime.vault.counts()
        runtime.audit_log.head()
        runtime.access_store.users()
        runtime.index.count()
    assert _mode(tmp_path / "deployments") == 0o700  # a parent clinvault created
    directories = [home, *(p for p in home.rglob("*") if p.is_dir())]
    assert {home / "index", home / "vault", home / "audit", home / "keys"} <= set(directories)
    for directory in directories:
        if directory == home or directory.parent == home:
            assert _mode(directory) == 0o700, directory
    data = [p for p in home.rglob("*") if p.name.endswith((".db", ".db-wal", ".db-shm", ".key"))]
    assert {p.name for p in data} >= {"vault.db", "audit.db", "access.db", "master.key"}
    for path in data:
        assert _mode(path) == 0o600, path
    assert home_problems(home) == []
    assert loose_data_files(home) == []


def test_private_dir_and_file_set_every_level(tmp_path: Path, usual_umask: None) -> None:
    made = private_dir(tmp_path / "a" / "b" / "c")
    assert [_mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", made)] == [0o700] * 3
    existing = tmp_path / "kept"
    existing.mkdir(mode=0o755)
    private_file(existing / "x.db")
    assert _mode(existing) == 0o755  # an existing directory is the operator's: left alone
    assert _mode(existing / "x.db") == 0o600


def test_a_home_others_may_read_is_a_problem(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o750)
    assert home_problems(home) == [
        f"the home {home} has mode 0750: its group or others may read it; run: chmod 700 {home}"
    ]
    home.chmod(0o700)
    assert home_problems(home) == []
    loose = home / "vault" / "vault.db"
    loose.parent.mkdir()
    loose.write_bytes(b"")
    loose.chmod(0o644)
    assert loose_data_files(home) == [loose]


def test_a_master_key_inside_the_home_is_warned_about(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    inside = home / "keys" / "master.key"
    outside = tmp_path / "secrets" / "master.key"
    warned = home_warnings(home, inside, key_from_env=False)
    assert len(warned) == 1
    assert "inside the home" in warned[0]
    assert "vault.master_key_file" in warned[0]
    assert home_warnings(home, outside, key_from_env=False) == []
    assert home_warnings(home, inside, key_from_env=True) == []  # the env key wins over the file
