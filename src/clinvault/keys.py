"""The deployment's master key and the sub-keys derived from it (the key ring).

A neutral module: the vault, the audit log and the access store each take their sub-key
from one :class:`KeyRing`, and none of them imports another for it.

The master key comes from a :class:`MasterKeyProvider` chosen by
``settings.vault.master_key_provider``: ``env`` (the variable named by
``settings.vault.master_key_env``, base64, 32 bytes), ``file`` (the key file, created on first
use with mode 0600), or ``auto`` (the env var when set, else the file). A hardware or cloud
key service (PKCS#11, a cloud KMS) is an extension point: a class with ``load(create=...)``
registered in ``MASTER_KEY_PROVIDERS``; none ships here. Sub-keys are derived with HKDF
(see :mod:`clinvault.crypto`) and never stored.

Key-encryption-key versions (:mod:`clinvault.vault.keks`): version 1 is ``kek`` below;
later versions are random keys stored wrapped by ``kek_wrap``. Rotating the KEK changes
neither the master key nor the token, blind-index, audit or access sub-keys, so tokens,
look-ups, the audit chain and its signed checkpoints stay verifiable across a rotation.

Record keys (issue 15, the split deployment): the audit log and the access store need only
the ``audit``, ``access`` and ``blind`` sub-keys (:class:`RecordKeys`). Embedded, they are the
master key's sub-keys, as above. When a *records key* is configured
(``settings.vault.records_key_env``, else ``settings.vault.records_key_file``), they are
derived from it instead, with the same labels; that is how the API process of a split
deployment (``vault.url`` ``https://…``) opens its audit log and reads the access store while
holding no master key: the vault service, which opens the same access store for its own
re-identification check, is given the same records key. No key derived from one of the two
secrets can be computed from the other.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clinvault import crypto
from clinvault.clock import RandomBytes, system_random
from clinvault.errors import ConfigError
from clinvault.private_files import private_dir
from clinvault.registry import Registry
from clinvault.settings import Settings


def _read_key_file(path: Path, what: str = "master key file") -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{what} {path} must not be readable by group or others (chmod 600)")
    raw = path.read_bytes()
    if len(raw) != crypto.KEY_BYTES:
        raise ConfigError(f"{what} {path} must hold exactly {crypto.KEY_BYTES} bytes")
    return raw


def _create_key_file(path: Path, random: RandomBytes) -> bytes:
    private_dir(path.parent)
    key = crypto.new_key(random)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class MasterKeyProvider(Protocol):
    """Where the master key comes from. ``load`` returns the 32-byte key or raises
    ``ConfigError`` (naming the setting, never the key)."""

    def load(self, *, create: bool) -> bytes: ...


@dataclass(frozen=True)
class EnvMasterKey:
    """The base64 master key in the environment variable ``name``."""

    name: str

    def available(self) -> bool:
        return bool(os.environ.get(self.name))

    def load(self, *, create: bool) -> bytes:
        encoded = os.environ.get(self.name)
        if not encoded:
            raise ConfigError(f"no master key: {self.name} is unset")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ConfigError(f"{self.name} is not valid base64") from None
        if len(key) != crypto.KEY_BYTES:
            raise ConfigError(f"{self.name} must decode to {crypto.KEY_BYTES} bytes")
        return key


@dataclass(frozen=True)
class FileMasterKey:
    """The master key in a 0600 file, created on first use when ``create`` is set."""

    path: Path
    random: RandomBytes

    def load(self, *, create: bool) -> bytes:
        if self.path.exists():
            return _read_key_file(self.path)
        if not create:
            raise ConfigError(f"no master key: {self.path} does not exist")
        return _create_key_file(self.path, self.random)


@dataclass(frozen=True)
class AutoMasterKey:
    """The env var when it is set, else the key file (the default)."""

    env: EnvMasterKey
    file: FileMasterKey

    def load(self, *, create: bool) -> bytes:
        if self.env.available():
            return self.env.load(create=create)
        if not create and not self.file.path.exists():
            raise ConfigError(
                f"no master key: {self.file.path} does not exist and {self.env.name} is unset"
            )
        return self.file.load(create=create)


def _env_provider(settings: Settings, random: RandomBytes) -> MasterKeyProvider:
    return EnvMasterKey(settings.vault.master_key_env)


def _file_provider(settings: Settings, random: RandomBytes) -> MasterKeyProvider:
    return FileMasterKey(settings.master_key_file, random)


def _auto_provider(settings: Settings, random: RandomBytes) -> MasterKeyProvider:
    return AutoMasterKey(
        EnvMasterKey(settings.vault.master_key_env), FileMasterKey(settings.master_key_file, random)
    )


MASTER_KEY_PROVIDERS: Registry[MasterKeyProvider] = Registry(
    "master key provider",
    {
        "auto": "clinvault.keys:_auto_provider",
        "env": "clinvault.keys:_env_provider",
        "file": "clinvault.keys:_file_provider",
    },
)
"""``settings.vault.master_key_provider`` -> a factory ``(settings, random) -> provider``."""


def master_key_provider(settings: Settings, random: RandomBytes | None = None) -> MasterKeyProvider:
    return MASTER_KEY_PROVIDERS.create(
        settings.vault.master_key_provider, settings, random or system_random()
    )


def load_master_key(
    settings: Settings, random: RandomBytes | None = None, *, create: bool = True
) -> bytes:
    return master_key_provider(settings, random).load(create=create)


RECORD_KEY_LABELS = {
    "audit": "clinvault/audit/v1",
    "access": "clinvault/access/v1",
    "blind": "clinvault/blind/v1",
}
"""HKDF labels of the record keys (the same from the master key and from a records key)."""


class RecordKeySource(Protocol):
    """What the audit log and the access store take: :class:`RecordKeys` or a whole
    :class:`KeyRing` (which holds the same three keys when derived from the master key)."""

    @property
    def audit(self) -> bytes: ...

    @property
    def access(self) -> bytes: ...

    def blind_index(self, kind: str, value: str) -> str: ...


@dataclass(frozen=True)
class RecordKeys:
    """The sub-keys of the audit log and the access store, and nothing of the vault's."""

    audit: bytes
    access: bytes
    blind: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> RecordKeys:
        derived = {
            name: crypto.derive_key(secret, label) for name, label in RECORD_KEY_LABELS.items()
        }
        return cls(**derived)

    @classmethod
    def load(cls, settings: Settings) -> RecordKeys:
        """From the configured records key (never created here: every process of the
        deployment must be given the same one); ``ConfigError`` when none is configured."""
        env = EnvMasterKey(settings.vault.records_key_env)
        if env.available():
            return cls.from_secret(env.load(create=False))
        path = settings.vault.records_key_file
        if path is None:
            raise ConfigError(
                "no records key: set vault.records_key_file or "
                f"{settings.vault.records_key_env} (the key of the audit log and access store)"
            )
        if not path.exists():
            raise ConfigError(f"vault.records_key_file: no file at {path}")
        return cls.from_secret(_read_key_file(path, "records key file"))

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash for look-ups in the access store (user names, references)."""
        return crypto.keyed_hash(self.blind, f"{kind}\x1f{value}")


def records_key_configured(settings: Settings) -> bool:
    """Whether a records key (env var or file) is configured, apart from the master key."""
    return (
        settings.vault.records_key_file is not None
        or EnvMasterKey(settings.vault.records_key_env).available()
    )


def write_records_key(path: Path, random: RandomBytes | None = None) -> None:
    """Write a new records key (0600, refused if ``path`` exists)."""
    _create_key_file(path, random or system_random())


def load_record_keys(settings: Settings, random: RandomBytes | None = None) -> RecordKeys:
    """The records key's sub-keys when one is configured, else the master key's."""
    if records_key_configured(settings):
        return RecordKeys.load(settings)
    return KeyRing.load(settings, random).records


@dataclass(frozen=True)
class KeyRing:
    """The sub-keys of one deployment, derived from its master key."""

    kek: bytes
    """KEK version 1 (see :mod:`clinvault.vault.keks`) and the quarantine key's root."""
    kek_wrap: bytes
    """Wraps the random KEK versions 2, 3, ... stored in the vault."""
    token: bytes
    blind: bytes
    audit: bytes
    access: bytes

    @classmethod
    def from_master(cls, master: bytes) -> KeyRing:
        return cls(
            kek=crypto.derive_key(master, "clinvault/kek/v1"),
            kek_wrap=crypto.derive_key(master, "clinvault/kek-wrap/v1"),
            token=crypto.derive_key(master, "clinvault/token/v1"),
            blind=crypto.derive_key(master, "clinvault/blind/v1"),
            audit=crypto.derive_key(master, "clinvault/audit/v1"),
            access=crypto.derive_key(master, "clinvault/access/v1"),
        )

    @classmethod
    def load(cls, settings: Settings, random: RandomBytes | None = None) -> KeyRing:
        return cls.from_master(load_master_key(settings, random))

    @property
    def records(self) -> RecordKeys:
        """The audit, access and blind sub-keys (what :class:`RecordKeys` holds)."""
        return RecordKeys(audit=self.audit, access=self.access, blind=self.blind)

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash for look-ups by identifier (source ids, MRNs, user names)."""
        return crypto.keyed_hash(self.blind, f"{kind}\x1f{value}")
