"""Verifying the hash chain: a pure walk over records in ``seq`` order.

What is detected, and how:

* an altered field (including a ciphertext)  -> ``hash-mismatch`` at that record
* a deleted record in the middle             -> ``missing-record`` at the missing seq
* reordered records (swapped seq or rows)    -> ``broken-link`` / ``hash-mismatch``
* a deleted tail                             -> ``truncated``: the head row still counts it
* rows added or head edited by hand          -> ``head-mismatch`` / ``unanchored-records``
* a chain rewritten *together with* its head -> only caught against an external anchor
  (``anchor-mismatch`` / ``truncated``): see :class:`AuditHead`.

Residual risk: someone with write access to the database who rewrites records *and*
recomputes every later hash *and* the head leaves a chain that verifies on its own. Copy
the head (``clinvault audit head``) to a store they cannot write (WORM bucket, ticket,
signed timestamp, another team's log) and verify against it (``--anchor COUNT:HASH``).
On PostgreSQL, also give the application role only ``SELECT, INSERT`` on ``audit_records``
and ``SELECT, UPDATE`` on ``audit_head``, so the application itself cannot rewrite history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinvault.audit.record import GENESIS_HASH, AuditRecord
from clinvault.crypto import constant_time_equal


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The chain's length and last hash: what to anchor externally."""

    count: int
    last_hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.last_hash}"

    @classmethod
    def parse(cls, text: str) -> AuditHead:
        count, sep, last_hash = text.strip().partition(":")
        if not sep or not count.isdigit() or len(last_hash) != 64:
            raise ValueError("an audit anchor looks like COUNT:SHA256HEX")
        return cls(int(count), last_hash.lower())


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None
    reason: str | None
    """Stable code (see the module docstring); ``None`` when ``ok``."""
    checked: int
    """Records walked."""


def verify_chain(
    records: Iterable[AuditRecord], head: AuditHead | None, anchor: AuditHead | None = None
) -> VerifyResult:
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for record in records:
        bad = _check_record(record, expected_seq, prev_hash, anchor)
        if bad is not None:
            return VerifyResult(False, bad[0], bad[1], expected_seq - 1)
        prev_hash = record.hash
        expected_seq += 1
    walked = expected_seq - 1
    problem = _check_end(walked, prev_hash, head, anchor)
    if problem is not None:
        return VerifyResult(False, problem[0], problem[1], walked)
    return VerifyResult(True, None, None, walked)


def _check_record(
    record: AuditRecord, expected_seq: int, prev_hash: str, anchor: AuditHead | None
) -> tuple[int, str] | None:
    if record.seq != expected_seq:
        return expected_seq, "missing-record" if record.seq > expected_seq else "out-of-order"
    if not constant_time_equal(record.prev_hash, prev_hash):
        return record.seq, "broken-link"
    if not constant_time_equal(record.computed_hash(), record.hash):
        return record.seq, "hash-mismatch"
    if (
        anchor is not None
        and record.seq == anchor.count
        and not constant_time_equal(record.hash, anchor.last_hash)
    ):
        return record.seq, "anchor-mismatch"
    return None


def _check_end(
    walked: int, last_hash: str, head: AuditHead | None, anchor: AuditHead | None
) -> tuple[int | None, str] | None:
    if anchor is not None and anchor.count > walked:
        return walked + 1, "truncated"
    if head is None:
        return (1 if walked else None), "head-missing"
    if head.count > walked:
        return walked + 1, "truncated"
    if head.count < walked:
        return head.count + 1, "unanchored-records"
    if not constant_time_equal(head.last_hash, last_hash):
        return (walked or None), "head-mismatch"
    return None
