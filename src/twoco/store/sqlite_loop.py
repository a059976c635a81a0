"""SQLite's writes for the calls on an event loop: one transaction shared by the calls that write
meanwhile, committed on a thread.

The commit is the one step of a write that waits for the disk; on the loop, a disk that hangs
(``fsfreeze``) would hold every call of the process. So the commit runs on a thread, and while it
runs the loop serves other calls. The write connection is busy meanwhile: the calls that write
queue, and once the commit is done they all go into the next transaction, each inside a
savepoint of its own (a call that fails rolls back its own changes only), and share its commit.
A call's statements run inline: SQLite answers in microseconds, and no call yields between its
first statement and its last, so the calls' changes never interleave.

    idle ── a call writes: the locks, BEGIN IMMEDIATE ──▶ open ── the calls of this loop turn
      ▲                                                     │     join, each in a savepoint
      └──────────── COMMIT done on the commit thread ◀── committing (calls that come now wait)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from twoco.core import green

IDLE, OPENING, OPEN, COMMITTING = "idle", "opening", "open", "committing"


@dataclass
class Joined:
    """One call's part of a shared transaction: its cursor, then what makes the commit durable."""

    cursor: Any
    unflushed: Future[None] | None = None


class SharedWrites:
    """The shared write transactions of one event loop's calls, on one connection.

    ``begin(deadline)`` takes the writers' locks and begins the transaction (StoreBusy past the
    deadline); ``commit()`` commits it, on ``committer``'s thread, and returns what makes it
    durable (letting the locks go); ``end()`` lets them go if that did not (a failure); ``busy()``
    is the error of a call that could not join within its timeout."""

    def __init__(
        self,
        connection: Any,
        committer: Executor,
        begin: Callable[[float], None],
        commit: Callable[[], Future[None] | None],
        end: Callable[[], None],
        busy: Callable[[], BaseException],
    ) -> None:
        self.connection = connection
        self._committer = committer
        self._begin, self._commit, self._end, self._busy = begin, commit, end, busy
        self._state = IDLE
        self._changed: asyncio.Future[None] | None = None  # done at the next change of state
        self._committed: asyncio.Future[Future[None] | None] | None = None  # the open transaction's
        self._lost: BaseException | None = None  # what ended the open transaction under its calls
        self._inside = False  # a call between its first statement and its last (none may yield there)
        self._committing: asyncio.Task[None] | None = None  # kept: the loop holds its tasks weakly

    @contextmanager
    def joined(self, timeout: float) -> Iterator[Joined]:
        """One call's writes, in the open transaction. On leaving, the call waits for the commit
        (the loop serving other calls meanwhile); a call that failed leaves at once, its own
        changes rolled back."""
        deadline = time.monotonic() + timeout
        self._wait_to_join(deadline)
        committed = self._committed
        assert committed is not None  # open: a transaction to join
        connection = self.connection
        if self._lost is not None:  # ended under an earlier call: this one changes nothing
            raise self._lost
        connection.execute("SAVEPOINT twoco_call")
        joined = Joined(connection.cursor())
        assert not self._inside, "a call yielded inside its writes"
        self._inside = True
        try:
            yield joined
        except BaseException as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK TO twoco_call")
                connection.execute("RELEASE twoco_call")
            else:  # SQLite ended the whole transaction over it (a full disk, an I/O error)
                self._lost = error
            raise
        finally:
            self._inside = False
        connection.execute("RELEASE twoco_call")
        # Shielded: a call cancelled while it waits must not cancel the commit the others wait for.
        joined.unflushed = committed.result() if committed.done() else green.wait_for(asyncio.shield(committed))

    def _wait_to_join(self, deadline: float) -> None:
        while self._state != OPEN:
            if self._state == IDLE:
                self._open(deadline)
                continue
            if self._changed is None:
                self._changed = asyncio.get_running_loop().create_future()
            try:
                green.wait_for(_within(asyncio.shield(self._changed), deadline))
            except TimeoutError:
                raise self._busy() from None

    def _open(self, deadline: float) -> None:
        self._state = OPENING
        try:
            self._begin(deadline)
        except BaseException:
            self._become(IDLE)
            raise
        loop = asyncio.get_running_loop()
        self._committed, self._lost = loop.create_future(), None
        self._become(OPEN)
        # The task's first step comes after what the loop has already scheduled: the calls about
        # to write join first.
        self._committing = loop.create_task(self._commit_shared())

    async def _commit_shared(self) -> None:
        committed = self._committed
        assert committed is not None and not self._inside  # opened, not yet committed; no call midway
        self._state = COMMITTING
        outcome: BaseException | Future[None] | None = None
        try:
            if self._lost is not None:
                raise self._lost
            outcome = await asyncio.get_running_loop().run_in_executor(self._committer, self._commit)
        except BaseException as error:
            outcome = error
            if self.connection.in_transaction:
                self.connection.rollback()
        finally:
            # Whatever happened, the calls that wait hear of it.
            if isinstance(outcome, BaseException):
                committed.set_exception(outcome)
                committed.exception()  # retrieved, even when no call waits for it (they all failed)
            else:
                committed.set_result(outcome)
            self._committed = None
            self._end()
            self._become(IDLE)

    def _become(self, state: str) -> None:
        self._state = state
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set_result(None)


async def _within(awaitable: Any, deadline: float) -> None:
    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
        await awaitable
