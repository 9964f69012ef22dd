"""Group commit: concurrent audit appends share one write transaction (one fsync).

Every answer's audit record must be durable before the answer is sent, and an SQLite commit
in WAL mode with ``synchronous=FULL`` costs an fsync (about 16 ms on this machine's disk):
appended one transaction each, a hundred concurrent answers queue a hundred fsyncs behind the
database's single writer lock. ``GroupCommit`` batches them instead, leader/follower style,
without a background thread:

- a caller enqueues its item; if no batch is being committed it becomes the *leader*, takes
  everything queued (up to ``max_batch``) and commits it in one transaction through the
  ``commit`` function it was built with;
- callers arriving meanwhile wait; when the leader's transaction has committed, every caller
  of the batch gets its result and returns, and the leader hands leadership to the first
  waiter still queued (whose batch is everything that queued during the previous commit);
- if a batch's transaction fails, its items are retried one per transaction, so one bad
  record fails only its own caller (the failed transaction wrote nothing: the chain stays
  gapless).

So ``submit`` returns only after the transaction holding its item has committed: a caller
never sees a result for a record that is not on disk. State lives on the instance, guarded by
one lock; nothing is module level.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

DEFAULT_MAX_BATCH = 256


@dataclass(eq=False)
class _Waiter(Generic[ItemT, ResultT]):
    item: ItemT
    woken: threading.Event = field(default_factory=threading.Event)
    result: ResultT | None = None
    error: BaseException | None = None
    done: bool = False
    lead: bool = False


class GroupCommit(Generic[ItemT, ResultT]):
    def __init__(
        self,
        commit: Callable[[Sequence[ItemT]], list[ResultT]],
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        """``commit(items)`` writes the items in one transaction, commits it and returns one
        result per item, in order; it raises (having written nothing) if the transaction
        fails."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._commit = commit
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter[ItemT, ResultT]] = []
        self._leading = False
        self.batches = 0
        """Transactions committed so far (for tests and metrics)."""

    @property
    def queued(self) -> int:
        """Items waiting for a transaction (not counting the batch being committed)."""
        with self._lock:
            return len(self._queue)

    def submit(self, item: ItemT) -> ResultT:
        """Commit ``item`` (in a group with whatever else is queued); return once committed."""
        waiter: _Waiter[ItemT, ResultT] = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            if not self._leading:
                self._leading = True
                waiter.lead = True
        while not waiter.lead:
            waiter.woken.wait()
            waiter.woken.clear()
            if waiter.done:
                return _outcome(waiter)
        self._lead()
        return _outcome(waiter)

    def _lead(self) -> None:
        """Commit one batch, wake its callers, hand leadership on (or give it up)."""
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        try:
            self._run(batch)
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._leading = False
                else:
                    successor.lead = True
            for waiter in batch:
                waiter.done = True
                waiter.woken.set()
            if successor is not None:
                successor.woken.set()

    def _run(self, batch: list[_Waiter[ItemT, ResultT]]) -> None:
        try:
            results = self._commit([w.item for w in batch])
        except BaseException as exc:  # noqa: BLE001  (raised again in the caller of each item)
            if len(batch) == 1:
                batch[0].error = exc
                return
            for waiter in batch:  # one bad record must not fail the others
                self._run([waiter])
            return
        if len(results) != len(batch):
            error = RuntimeError(f"group commit returned {len(results)} results for {len(batch)}")
            for waiter in batch:
                waiter.error = error
            return
        self.batches += 1
        for waiter, result in zip(batch, results, strict=True):
            waiter.result = result


def _outcome(waiter: _Waiter[ItemT, ResultT]) -> ResultT:
    if waiter.error is not None:
        raise waiter.error
    if waiter.result is None:
        raise RuntimeError("group commit finished without a result")
    return waiter.result
