"""Group commit for SQLite: one fdatasync of the write-ahead log makes many commits durable.

The connections commit with ``synchronous=NORMAL``: a commit writes its pages to the WAL file and
returns without flushing it. Each commit then takes a ticket, and :class:`WalSync`'s one flusher
thread flushes the WAL (``fdatasync``) for every ticket issued before the flush began, so the
commits that arrive while one flush runs share the next one (leader/follower, no fixed wait: a
lone commit is flushed at once). An update answers only once its commit is flushed. SQLite's
checkpoints flush the WAL before copying it into the database, so a flushed commit survives a
crash of the process or of the machine, as with ``synchronous=FULL``.

Waiting for a ticket is a :class:`concurrent.futures.Future`: the server awaits it on its event
loop, so other calls go on meanwhile; a plain caller blocks on it.

Checkpoints (copying the WAL into the database, and flushing both) run on a thread of their own
too, every :data:`CHECKPOINT_EVERY` commits, instead of inside whichever commit crossed SQLite's
threshold: a commit on the event loop would hold every other call for the milliseconds they take.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future

from twoco.core.outage import UNFLUSHED, StoreUnconfirmed

CHECKPOINT_EVERY = 256  # commits; about SQLite's own threshold of 1,000 pages for twoco's writes


class WalSync:
    def __init__(self, wal_path: str, checkpoint: Callable[[], None]) -> None:
        self.wal_path = wal_path
        self._checkpoint = checkpoint  # run on the checkpointer thread
        self._checkpoint_due = threading.Event()
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed out, one per commit
        self._flushed = 0  # every ticket up to this one was flushed (or its flush failed)
        self._waiting: list[tuple[int, Future[None]]] = []
        self._closing = False
        self._threads: list[threading.Thread] = []  # the flusher and the checkpointer, once started

    def committed(self) -> Future[None]:
        """For a commit that just returned: done once it is on disk, or with the flush's failure."""
        done: Future[None] = Future()
        with self._cond:
            self._issued += 1
            self._waiting.append((self._issued, done))
            if not self._threads:  # the first commit, or the first since close()
                self._closing = False
                self._threads = [
                    threading.Thread(target=self._flush_forever, name="twoco-wal-sync", daemon=True),
                    threading.Thread(target=self._checkpoint_forever, name="twoco-checkpoint", daemon=True),
                ]
                for thread in self._threads:
                    thread.start()
            self._cond.notify()
            if self._issued % CHECKPOINT_EVERY == 0:
                self._checkpoint_due.set()
        return done

    def close(self) -> None:
        """Flush what is pending, then stop the flusher and the checkpointer."""
        with self._cond:
            self._closing = True
            self._cond.notify()
            threads, self._threads = self._threads, []
        self._checkpoint_due.set()
        for thread in threads:
            thread.join()

    def _checkpoint_forever(self) -> None:
        while True:
            self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            if self._closing:
                return
            self._checkpoint()

    def _flush_forever(self) -> None:
        while True:
            with self._cond:
                while self._issued == self._flushed and not self._closing:
                    self._cond.wait()
                if self._issued == self._flushed:
                    return
                covered = self._issued  # every commit that took a ticket has written its pages
            failure = self._flush()
            with self._cond:
                self._flushed = covered  # a failed flush answers its tickets with the failure
                ready = [done for ticket, done in self._waiting if ticket <= covered]
                self._waiting = [(ticket, done) for ticket, done in self._waiting if ticket > covered]
            for done in ready:
                if failure is None:
                    done.set_result(None)
                else:
                    done.set_exception(failure)

    def _flush(self) -> StoreUnconfirmed | None:
        try:
            descriptor = os.open(self.wal_path, os.O_RDONLY)  # by path: SQLite may have made it anew
        except FileNotFoundError:
            return None  # the last connection closed and checkpointed it: already in the database
        except OSError as error:
            return StoreUnconfirmed(UNFLUSHED, f"cannot open {self.wal_path} to flush it: {error.strerror}")
        try:
            os.fdatasync(descriptor)
        except OSError as error:
            return StoreUnconfirmed(
                UNFLUSHED, f"flushing {self.wal_path} failed: {error.strerror}; recent commits may be lost"
            )
        finally:
            os.close(descriptor)
        return None
