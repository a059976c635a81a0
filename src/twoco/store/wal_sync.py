"""Group commit for SQLite: one fsync of the write-ahead log for several acknowledged commits.

SQLite runs with ``synchronous=NORMAL`` (a commit is written to the WAL but not fsynced) and
twoco fsyncs the WAL itself before acknowledging a write. A caller that can wait (the HTTP
layer, on the event loop) defers that fsync: every commit written before an fsync starts is
made durable by it, so under concurrency one fsync covers many requests. Everyone else
(the CLI, the seeder, threads) fsyncs right after committing, as ``synchronous=FULL`` would.

Commits are visible to readers as soon as they are written, a few hundred microseconds before
they are durable; no write is acknowledged before it is.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Set while a request whose caller will await durability runs: its commits' sequence numbers.
_DEFERRED: ContextVar[PendingSync | None] = ContextVar("twoco_deferred_sync", default=None)


@dataclass
class PendingSync:
    """The last commit a request made whose fsync it left for later (0: none)."""

    through: int = 0


@contextmanager
def deferred_sync() -> Iterator[PendingSync]:
    """Within this block, write commits do not fsync; await ``durable(pending.through)`` after it."""
    pending = PendingSync()
    token = _DEFERRED.set(pending)
    try:
        yield pending
    finally:
        _DEFERRED.reset(token)


class WalSync:
    """Counts commits written to one database's WAL and fsyncs it, several commits at a time."""

    def __init__(self, wal_path: str) -> None:
        self.path = wal_path
        self.written = 0  # commits this process wrote to the WAL
        self.synced = 0  # of those, how many are known to be on disk
        self._count_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self._flushing: asyncio.Future[None] | None = None

    def committed(self) -> None:
        """Called after each write commit: fsync now, or leave it to the waiting caller."""
        with self._count_lock:
            self.written += 1
            number = self.written
        pending = _DEFERRED.get()
        if pending is None:
            self.sync(number)
        else:
            pending.through = number

    def sync(self, through: int) -> None:
        """Block until commit ``through`` is on disk; one fsync serves every commit written before it."""
        with self._sync_lock:
            if self.synced >= through:
                return
            target = self.written
            self._fdatasync()
            self.synced = max(self.synced, target)

    async def durable(self, through: int) -> None:
        """Wait until commit ``through`` is on disk, without blocking the event loop.

        The fsync runs on a thread while the loop goes on serving: the commits made meanwhile
        are covered by the next fsync, so batches grow with the load.
        """
        while self.synced < through:
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.ensure_future(asyncio.to_thread(self.sync, self.written))
            await asyncio.shield(self._flushing)

    def _fdatasync(self) -> None:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            return  # no WAL: the last connection checkpointed it into the database and synced that
        if self._fd is None or os.fstat(self._fd).st_ino != inode:
            if self._fd is not None:
                os.close(self._fd)
            self._fd = os.open(self.path, os.O_RDONLY)
        os.fdatasync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
