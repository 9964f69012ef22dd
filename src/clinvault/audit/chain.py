"""Verifying the keyed chain: one pass over the records in ``seq`` order.

Each record's ``hash`` is an HMAC-SHA256 under a key derived from the audit sub-key (see
:mod:`.record`), so whoever can write the database but does not hold the master key can no
longer recompute the chain after changing it. The head row (count, last hash) catches a
deleted tail; a *signed checkpoint* (see :mod:`.checkpoints`), or a head kept elsewhere by
hand (``--anchor``), catches what the database alone cannot show: a chain cut back together
with its head, or a whole database restored from an older copy.

Every failure has its own stable code (``VerifyResult.reason``):

* ``hash-mismatch``       a record's fields no longer match its MAC (a field was edited)
* ``chain-rewritten``     a record fails its MAC *and* the chain after it was re-linked to a
  signed checkpoint's position with other hashes (edited, then hashes and head recomputed
  without the key: deleting one user's rows, re-attributing rows, rewriting history)
* ``missing-record``      a gap in ``seq`` (a record deleted from the middle)
* ``out-of-order``        ``seq`` going backwards (only reachable with hand-made readers)
* ``broken-link``         a record's ``prev_hash`` is not the previous record's hash (reordered)
* ``undecodable-record``  a row that cannot be read back at all
* ``truncated``           the head counts more records than there are (a deleted tail)
* ``unanchored-records``  records beyond the head's count (added, or head edited back)
* ``head-mismatch``       the head's last hash is not the last record's
* ``head-missing``        the head row is gone
* ``anchor-mismatch``     a correct-looking chain disagrees with the signed checkpoint (or
  ``--anchor``) at its position: rewritten by someone holding the key, or another log
* ``rolled-back``         chain and head agree but end before the latest signed checkpoint:
  the database was restored from an older copy
* ``head-reset``          as ``rolled-back``, but the head row was edited by hand (its time
  is not its last record's): the tail was deleted and the head reset to match
* ``wiped``               no records left although a signed checkpoint counts some

And, from :meth:`AuditLog.verify`, about the checkpoints themselves:

* ``checkpoint-forged``   a checkpoint line that does not parse or verify under the key
* ``checkpoint-missing``  more records than the checkpoint interval, but no checkpoint at all
  (the checkpoint log and sinks were deleted or emptied)

Residual risk: whoever holds the master key can rewrite records with valid MACs; a signed
checkpoint (or a head copied out by hand) taken before the rewrite still shows it
(``anchor-mismatch``), which is why checkpoints should also go to an external sink.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinvault.audit.record import GENESIS_HASH, AuditRecord
from clinvault.crypto import constant_time_equal


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The chain's length and last hash: what a checkpoint signs and an anchor copies."""

    count: int
    last_hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.last_hash}"

    @classmethod
    def parse(cls, text: str) -> AuditHead:
        count, sep, last_hash = text.strip().partition(":")
        if not sep or not count.isdigit() or len(last_hash) != 64:
            raise ValueError("an audit anchor looks like COUNT:HASH (64 hex digits)")
        return cls(int(count), last_hash.lower())


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None
    reason: str | None
    """Stable code (see the module docstring); ``None`` when ``ok``."""
    checked: int
    """Records walked."""
    anchored_at: int | None = None
    """The record count of the signed checkpoint (or anchor) verified against, if any."""


@dataclass(frozen=True, slots=True)
class HeadRow:
    """The head row as stored, with the time of its last update."""

    head: AuditHead
    updated_at: str


class _Walk:
    """State of one pass: the first problem found, and what the end checks need."""

    def __init__(self, key: bytes, anchor: AuditHead | None) -> None:
        self._key = key
        self._anchor = anchor
        self.expected_seq = 1
        self.prev_hash = GENESIS_HASH
        self.problem: tuple[int, str] | None = None
        self.rows = 0
        self.last_seq = 0
        self.last_time: str | None = None
        self.hash_at_anchor: str | None = None

    def visit(self, record: AuditRecord) -> None:
        self.rows += 1
        if self._anchor is not None and record.seq == self._anchor.count:
            self.hash_at_anchor = record.hash
        if self.problem is None:
            self.problem = self._check(record)
        self.expected_seq = record.seq + 1
        self.prev_hash = record.hash
        self.last_seq = record.seq
        self.last_time = record.time

    def _check(self, record: AuditRecord) -> tuple[int, str] | None:
        if record.seq != self.expected_seq:
            kind = "missing-record" if record.seq > self.expected_seq else "out-of-order"
            return self.expected_seq, kind
        if not constant_time_equal(record.prev_hash, self.prev_hash):
            return record.seq, "broken-link"
        if not constant_time_equal(record.computed_hash(self._key), record.hash):
            return record.seq, "hash-mismatch"
        return None


def verify_chain(
    records: Iterable[AuditRecord],
    head: HeadRow | None,
    key: bytes,
    anchor: AuditHead | None = None,
) -> VerifyResult:
    """Walk ``records`` (in ``seq`` order) with the chain key; ``anchor`` is a head known to
    be genuine (the latest signed checkpoint, or one kept by hand)."""
    walk = _Walk(key, anchor)
    for record in records:
        walk.visit(record)
    problem = _classify(walk, head, anchor)
    anchored_at = None if anchor is None else anchor.count
    if problem is None:
        return VerifyResult(True, None, None, walk.rows, anchored_at)
    return VerifyResult(False, problem[0], problem[1], walk.rows, anchored_at)


def _classify(
    walk: _Walk, head: HeadRow | None, anchor: AuditHead | None
) -> tuple[int | None, str] | None:
    rewritten = (
        anchor is not None
        and walk.hash_at_anchor is not None
        and not constant_time_equal(walk.hash_at_anchor, anchor.last_hash)
    )
    behind = anchor is not None and walk.last_seq < anchor.count
    if walk.problem is not None:
        seq, kind = walk.problem
        if kind == "hash-mismatch" and (rewritten or behind):
            kind = "chain-rewritten"
        return seq, kind
    if rewritten and anchor is not None:
        return anchor.count, "anchor-mismatch"
    head_problem = _check_head(walk, head)
    if head_problem is not None:
        return head_problem
    if behind and head is not None:
        if walk.last_seq == 0:
            return 1, "wiped"
        if head.updated_at != walk.last_time:
            return walk.last_seq + 1, "head-reset"
        return walk.last_seq + 1, "rolled-back"
    return None


def _check_head(walk: _Walk, head: HeadRow | None) -> tuple[int | None, str] | None:
    if head is None:
        return (1 if walk.rows else None), "head-missing"
    if head.head.count > walk.last_seq:
        return walk.last_seq + 1, "truncated"
    if head.head.count < walk.last_seq:
        return head.head.count + 1, "unanchored-records"
    if not constant_time_equal(head.head.last_hash, walk.prev_hash):
        return (walk.last_seq or None), "head-mismatch"
    return None
