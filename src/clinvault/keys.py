"""The deployment's master key and the sub-keys derived from it (the key ring).

A neutral module: the vault, the audit log and the access store each take their sub-key
from one :class:`KeyRing`, and none of them imports another for it.

The master key comes from the env var named by ``settings.vault.master_key_env`` (base64,
32 bytes) or from the key file (created on first use with mode 0600). Sub-keys are
derived with HKDF (see :mod:`clinvault.crypto`) and never stored.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from clinvault import crypto
from clinvault.clock import RandomBytes, system_random
from clinvault.errors import ConfigError
from clinvault.private_files import private_dir
from clinvault.settings import Settings


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"master key file {path} must not be readable by group or others (chmod 600)"
        )
    raw = path.read_bytes()
    if len(raw) != crypto.KEY_BYTES:
        raise ConfigError(f"master key file {path} must hold exactly {crypto.KEY_BYTES} bytes")
    return raw


def _create_key_file(path: Path, random: RandomBytes) -> bytes:
    private_dir(path.parent)
    key = crypto.new_key(random)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def load_master_key(
    settings: Settings, random: RandomBytes | None = None, *, create: bool = True
) -> bytes:
    encoded = os.environ.get(settings.vault.master_key_env)
    if encoded:
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ConfigError(f"{settings.vault.master_key_env} is not valid base64") from None
        if len(key) != crypto.KEY_BYTES:
            raise ConfigError(
                f"{settings.vault.master_key_env} must decode to {crypto.KEY_BYTES} bytes"
            )
        return key
    path = settings.master_key_file
    if path.exists():
        return _read_key_file(path)
    if not create:
        raise ConfigError(
            f"no master key: {path} does not exist and {settings.vault.master_key_env} is unset"
        )
    return _create_key_file(path, random or system_random())


@dataclass(frozen=True)
class KeyRing:
    """The sub-keys of one deployment, derived from its master key."""

    kek: bytes
    token: bytes
    blind: bytes
    audit: bytes
    access: bytes

    @classmethod
    def from_master(cls, master: bytes) -> KeyRing:
        return cls(
            kek=crypto.derive_key(master, "clinvault/kek/v1"),
            token=crypto.derive_key(master, "clinvault/token/v1"),
            blind=crypto.derive_key(master, "clinvault/blind/v1"),
            audit=crypto.derive_key(master, "clinvault/audit/v1"),
            access=crypto.derive_key(master, "clinvault/access/v1"),
        )

    @classmethod
    def load(cls, settings: Settings, random: RandomBytes | None = None) -> KeyRing:
        return cls.from_master(load_master_key(settings, random))

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash for look-ups by identifier (source ids, MRNs, user names)."""
        return crypto.keyed_hash(self.blind, f"{kind}\x1f{value}")
