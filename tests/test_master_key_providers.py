"""The master key providers that ship (issue 16): ``env`` and ``file`` chosen explicitly by
``vault.master_key_provider``, ``auto`` preferring the env var; a KMS-style provider is a
registry entry (an extension point, none shipped)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from clinvault.errors import ConfigError
from clinvault.keys import (
    MASTER_KEY_PROVIDERS,
    EnvMasterKey,
    FileMasterKey,
    load_master_key,
    master_key_provider,
)
from clinvault.settings import Settings

ENV_KEY = bytes(range(32))
ENV_NAME = "CLINVAULT_TEST_MASTER_KEY"


def _settings(tmp_path: Path, provider: str) -> Settings:
    return Settings.load(
        home=tmp_path / "home",
        vault={"master_key_provider": provider, "master_key_env": ENV_NAME},
    )


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)


def test_env_provider_reads_the_variable_and_never_creates_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, "env")
    assert isinstance(master_key_provider(settings), EnvMasterKey)
    with pytest.raises(ConfigError, match=f"{ENV_NAME} is unset"):
        load_master_key(settings)
    monkeypatch.setenv(ENV_NAME, base64.b64encode(ENV_KEY).decode())
    assert load_master_key(settings) == ENV_KEY
    assert not settings.master_key_file.exists()
    monkeypatch.setenv(ENV_NAME, base64.b64encode(b"short").decode())
    with pytest.raises(ConfigError, match="32 bytes") as raised:
        load_master_key(settings)
    assert "short" not in str(raised.value)


def test_file_provider_creates_a_private_key_once_and_ignores_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_NAME, base64.b64encode(ENV_KEY).decode())
    settings = _settings(tmp_path, "file")
    assert isinstance(master_key_provider(settings), FileMasterKey)
    with pytest.raises(ConfigError, match="does not exist"):
        load_master_key(settings, create=False)
    created = load_master_key(settings)
    assert created != ENV_KEY
    assert settings.master_key_file.stat().st_mode & 0o777 == 0o600
    assert load_master_key(settings, create=False) == created
    settings.master_key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_master_key(settings)


def test_auto_prefers_the_env_var_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, "auto")
    from_file = load_master_key(settings)
    monkeypatch.setenv(ENV_NAME, base64.b64encode(ENV_KEY).decode())
    assert load_master_key(settings) == ENV_KEY
    monkeypatch.delenv(ENV_NAME)
    assert load_master_key(settings) == from_file


def test_an_unknown_provider_is_refused_by_name(tmp_path: Path) -> None:
    assert {"auto", "env", "file"} <= set(MASTER_KEY_PROVIDERS.names())
    with pytest.raises(ConfigError, match="pkcs11"):
        master_key_provider(_settings(tmp_path, "pkcs11"))
