"""Every cryptographic primitive clinvault uses, and nothing else.

Only ``cryptography``'s AES-256-GCM, HKDF-SHA256, HMAC-SHA256 and Ed25519 (audit
checkpoint signatures) are used. The rest
of the code calls the small functions here; no other module imports
``cryptography``. Failures raise :class:`VaultError`, which says nothing about data.

Key hierarchy::

    master key (32 bytes, key file 0600 or env var)
    ├── HKDF "clinvault/kek/v1"     -> KEK: wraps each patient's data key (AES-GCM)
    ├── HKDF "clinvault/token/v1"   -> token key: HMAC for readable value tokens
    └── HKDF "clinvault/blind/v1"   -> blind-index key: HMAC for look-ups by identifier
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinvault.clock import RandomBytes
from clinvault.errors import VaultError

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_V1 = b"\x01"


def derive_key(master: bytes, purpose: str) -> bytes:
    """Derive a 32-byte sub-key for ``purpose`` from the master key (HKDF-SHA256)."""
    if len(master) != KEY_BYTES:
        raise VaultError("master key must be 32 bytes")
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()
    ).derive(master)


def keyed_hash(key: bytes, message: str | bytes) -> str:
    """HMAC-SHA256 as lowercase hex."""
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def digest(data: bytes) -> str:
    """Plain SHA-256 hex, for integrity (audit chain, prompt hashes, model pins)."""
    return hashlib.sha256(data).hexdigest()


def ed25519_public_key(seed: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key of the private key with this 32-byte seed."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """Ed25519 signature (64 bytes) by the private key with this 32-byte seed."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Sealer:
    """AES-256-GCM with a random nonce; ciphertext = version || nonce || sealed."""

    key: bytes
    random: RandomBytes

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = self.random(NONCE_BYTES)
        return FORMAT_V1 + nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
            raise VaultError()
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return AESGCM(self.key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise VaultError() from None


def new_key(random: RandomBytes) -> bytes:
    return random(KEY_BYTES)
