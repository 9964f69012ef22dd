"""Signed checkpoints of the audit chain: the head, signed, kept outside the database.

Every ``every_records`` appends, or at the first append ``every_s`` seconds after the last
checkpoint, and when a log that appended closes, the chain head (count, last hash) is signed
with the audit service's Ed25519 key and appended as one JSON line to the checkpoint log
(``CLINVAULT_HOME/audit/checkpoints.jsonl``, mode 0600, append-only by convention: on Linux
make it ``chattr +a``), and pushed to each configured sink: a file on another mount (read
back by ``verify``) or an HTTP endpoint (a POST of the same JSON; the receiver keeps it).

The signing key is derived (HKDF) from the audit sub-key of the key ring, so it is never
stored, neither in the database nor beside it; its public key (``clinvault audit
checkpoint --public-key``) lets anyone check the signatures without being able to sign.
``verify`` checks the chain against the signed checkpoint with the highest count from the
local log and every readable sink, so a deleted tail with a reset head, a rewritten chain
or a database restored from an older copy is detected without a manual ``--anchor``.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from clinvault.audit.chain import AuditHead
from clinvault.audit.record import canonical_json
from clinvault.crypto import derive_key, digest, ed25519_public_key, ed25519_sign, ed25519_verify
from clinvault.errors import AuditIntegrityError
from clinvault.private_files import private_file
from clinvault.settings import Settings

SIGNING_KEY_PURPOSE = "clinvault/audit/checkpoint-signing/v1"
CHECKPOINT_VERSION = 1
HTTP_TIMEOUT_S = 5.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed chain head, as written to the checkpoint log (one JSON line)."""

    count: int
    last_hash: str
    time: str
    key_id: str
    """First 16 hex digits of SHA-256 over the signer's raw public key."""
    signature: str
    """Base64 Ed25519 signature over :meth:`signed_bytes`."""

    @property
    def head(self) -> AuditHead:
        return AuditHead(self.count, self.last_hash)

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.count, self.last_hash, self.time, self.key_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": CHECKPOINT_VERSION,
            "count": self.count,
            "last_hash": self.last_hash,
            "time": self.time,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    def to_line(self) -> str:
        return canonical_json(self.to_json()).decode("utf-8") + "\n"

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """Raises :class:`ValueError` on anything that is not a well-formed checkpoint."""
        if not isinstance(data, dict) or data.get("v") != CHECKPOINT_VERSION:
            raise ValueError("not a version-1 checkpoint")
        count, last_hash = data.get("count"), data.get("last_hash")
        fields = (data.get("time"), data.get("key_id"), data.get("signature"))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("checkpoint count must be a non-negative integer")
        if not isinstance(last_hash, str) or not all(isinstance(f, str) for f in fields):
            raise ValueError("checkpoint fields must be strings")
        time, key_id, signature = (str(f) for f in fields)
        return cls(count, last_hash, time, key_id, signature)


def signed_bytes(count: int, last_hash: str, time: str, key_id: str) -> bytes:
    return canonical_json(
        {
            "v": CHECKPOINT_VERSION,
            "purpose": "clinvault audit checkpoint",
            "count": count,
            "last_hash": last_hash,
            "time": time,
            "key_id": key_id,
        }
    )


@dataclass(frozen=True)
class CheckpointSigner:
    """The audit service's Ed25519 key (derived from the audit sub-key, never stored)."""

    seed: bytes

    @classmethod
    def from_audit_key(cls, audit_key: bytes) -> CheckpointSigner:
        return cls(derive_key(audit_key, SIGNING_KEY_PURPOSE))

    @property
    def public_key(self) -> bytes:
        return ed25519_public_key(self.seed)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, head: AuditHead, time: str) -> Checkpoint:
        kid = self.key_id
        signature = ed25519_sign(self.seed, signed_bytes(head.count, head.last_hash, time, kid))
        return Checkpoint(
            head.count, head.last_hash, time, kid, base64.b64encode(signature).decode("ascii")
        )


def key_id(public_key: bytes) -> str:
    return digest(public_key)[:16]


def signature_holds(checkpoint: Checkpoint, public_key: bytes) -> bool:
    if checkpoint.key_id != key_id(public_key):
        return False
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except binascii.Error:
        return False
    return ed25519_verify(public_key, checkpoint.signed_bytes(), signature)


# Where checkpoints go --------------------------------------------------------------------------


class CheckpointSink(Protocol):
    """An external copy of the checkpoints (another mount, a collector over HTTP)."""

    @property
    def name(self) -> str:
        """Says where, without credentials (shown in warnings and errors)."""

    def push(self, checkpoint: Checkpoint) -> None:
        """Raise :class:`OSError` or :class:`httpx.HTTPError` when the copy failed."""

    def read(self) -> list[str] | None:
        """The lines kept so far, or ``None`` when this sink cannot be read back."""


@dataclass(frozen=True)
class CheckpointFile:
    """An append-only JSON-lines file of checkpoints (mode 0600; writers take ``flock``)."""

    path: Path

    @property
    def name(self) -> str:
        return f"file {self.path}"

    def push(self, checkpoint: Checkpoint) -> None:
        private_file(self.path)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            os.write(descriptor, checkpoint.to_line().encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[str] | None:
        if not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()

    def last_count(self, tail_bytes: int = 4096) -> int:
        """The count of the last line, read from the file's end (for the cadence only: nothing
        is trusted from it; ``verify`` checks every signature). 0 without a readable line."""
        if not self.path.exists():
            return 0
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail_bytes))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()
        for line in reversed(lines):
            try:
                return Checkpoint.from_json(json.loads(line)).count
            except ValueError:
                continue
        return 0


@dataclass(frozen=True)
class HttpSink:
    """POSTs each checkpoint as JSON; the receiver keeps them (it is not read back)."""

    url: str

    @property
    def name(self) -> str:
        return f"http sink {httpx.URL(self.url).host}"

    def push(self, checkpoint: Checkpoint) -> None:
        response = httpx.post(self.url, json=checkpoint.to_json(), timeout=HTTP_TIMEOUT_S)
        response.raise_for_status()

    def read(self) -> list[str] | None:
        return None


def sink_for(target: str) -> CheckpointSink:
    """``http(s)://…`` is an HTTP sink; anything else a file path."""
    if target.startswith(("http://", "https://")):
        return HttpSink(target)
    return CheckpointFile(Path(target).expanduser())


@dataclass(frozen=True)
class CheckpointConfig:
    """Where and how often checkpoints are written (see ``AuditSettings``)."""

    log: CheckpointFile
    every_records: int = 100
    every_s: float = 300.0
    sinks: tuple[CheckpointSink, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckpointConfig:
        audit = settings.audit
        path = audit.checkpoint_file or settings.home / "audit" / "checkpoints.jsonl"
        return cls(
            CheckpointFile(path),
            audit.checkpoint_every_records,
            audit.checkpoint_every_s,
            tuple(sink_for(target) for target in audit.checkpoint_sinks),
        )

    def readable(self) -> list[CheckpointSink]:
        return [self.log, *self.sinks]


@dataclass(frozen=True, slots=True)
class LatestCheckpoint:
    """The highest signed checkpoint found, or why the checkpoints cannot be trusted."""

    checkpoint: Checkpoint | None
    problem: str | None = None
    """``checkpoint-forged`` (a line that does not parse or whose signature fails)."""
    where: str | None = None


def latest_checkpoint(sources: Sequence[CheckpointSink], public_key: bytes) -> LatestCheckpoint:
    """The valid checkpoint with the highest count over every readable source; any bad line
    makes the whole answer ``checkpoint-forged`` (fail closed), naming the source and line."""
    best: Checkpoint | None = None
    for source in sources:
        lines = source.read()
        for number, line in enumerate(lines or (), start=1):
            if not line.strip():
                continue
            try:
                checkpoint = Checkpoint.from_json(json.loads(line))
            except ValueError:
                return LatestCheckpoint(None, "checkpoint-forged", f"{source.name} line {number}")
            if not signature_holds(checkpoint, public_key):
                return LatestCheckpoint(None, "checkpoint-forged", f"{source.name} line {number}")
            if best is None or checkpoint.count > best.count:
                best = checkpoint
    return LatestCheckpoint(best)


class Checkpointer:
    """Decides when to checkpoint and writes checkpoints (one per log, per process)."""

    def __init__(self, config: CheckpointConfig, signer: CheckpointSigner) -> None:
        self.config = config
        self.signer = signer
        self._last: tuple[int, float] | None = None
        """(count, POSIX time) of the last checkpoint this process wrote or read."""
        self.failed_pushes = 0

    def due(self, head: AuditHead, now: float) -> bool:
        if self._last is None:
            self._last = (self.config.log.last_count(), now)
        count, at = self._last
        if head.count <= count:
            return False
        return head.count - count >= self.config.every_records or now - at >= self.config.every_s

    def pending(self, head: AuditHead) -> bool:
        """Records appended since the last checkpoint this process knows of."""
        return self._last is not None and head.count > self._last[0]

    def write(self, head: AuditHead, time: str, now: float) -> Checkpoint:
        """Sign and append locally (failure raises: the local log is the one that matters),
        then push to each sink (a failed push is logged and counted; the next checkpoint carries a newer head)."""
        checkpoint = self.signer.sign(head, time)
        try:
            self.config.log.push(checkpoint)
        except OSError as exc:
            raise AuditIntegrityError(
                f"cannot write the audit checkpoint log {self.config.log.path}: {exc.strerror}"
            ) from None
        self._last = (head.count, now)
        for sink in self.config.sinks:
            try:
                sink.push(checkpoint)
            except (OSError, httpx.HTTPError) as exc:
                self.failed_pushes += 1
                logger.warning(
                    "audit checkpoint %d not pushed to %s: %s",
                    head.count,
                    sink.name,
                    type(exc).__name__,
                )
        return checkpoint
