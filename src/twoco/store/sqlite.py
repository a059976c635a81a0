"""SQLite: the embedded default store.

WAL mode lets readers run beside a writer. Commits are made durable in groups
(:mod:`twoco.store.wal_sync`): each commit writes the WAL without flushing it, and one flush
then covers every commit made meanwhile; an update answers ``true`` only once its commit is
flushed, so it survives a crash of the process or of the machine. Writes take the lock up front
(``BEGIN IMMEDIATE``) so that several server processes on one file queue instead of failing
half-way; they queue on an flock of a lock file beside the database first (:func:`_writer_turn`),
which wakes each as soon as its turn comes, and wait for it at most ``lock_timeout`` seconds.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from typing import Any

from twoco.store.connections import ThreadConnections
from twoco.store.outage import DOWN, FULL, READ_ONLY, REPLACED, StoreBusy, StoreUnavailable
from twoco.store.wal_sync import WalSync

LOCK_SUFFIX = "-lock"  # the writers' lock file: the database's path with this added, like its -wal


_OS_ERRORS = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: READ_ONLY,
    errno.EPERM: READ_ONLY,
}


class _Connection(sqlite3.Connection):
    """A connection with its own open file on the writers' lock: flock locks belong to an open
    file, so each connection (one a thread) opens its own."""

    writer_lock: int | None = None

    def close(self) -> None:
        if self.writer_lock is not None:
            os.close(self.writer_lock)
            self.writer_lock = None
        super().close()


@contextmanager
def _writer_turn(connection: _Connection, in_process: threading.Lock, timeout: float) -> Iterator[None]:
    """Hold the writers' lock for one write transaction, waiting at most ``timeout`` seconds.

    The threads of one process queue on ``in_process`` first, woken in turn; then the process's
    one writer takes the lock file, which other processes' writers hold too. SQLite alone makes a
    writer that finds another one writing sleep and retry, up to 100 ms between tries: with two
    server processes, a tail of hundreds of milliseconds. Here a waiting writer tries again
    within a millisecond. After ``timeout`` it fails as SQLite would.
    """
    if connection.writer_lock is None:  # :memory:, a database private to its connection
        yield
        return
    deadline, pause = time.monotonic() + timeout, 0.00005
    if not in_process.acquire(timeout=timeout):
        raise _held_for(timeout)
    try:
        while True:
            try:
                fcntl.flock(connection.writer_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _held_for(timeout) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
        try:
            yield
        finally:
            fcntl.flock(connection.writer_lock, fcntl.LOCK_UN)
    finally:
        in_process.release()


def _held_for(timeout: float) -> StoreBusy:
    return StoreBusy(f"another writer held the database for {timeout:g} seconds")


class SqliteDialect(ThreadConnections):
    lock_clause = ""  # BEGIN IMMEDIATE already gives a writer the whole database
    autoincrement_key = "INTEGER PRIMARY KEY"
    # Without statistics SQLite seeks by an equality (the merchant, a first name) over walking an
    # ordered range (a name prefix), and reads every row that equality names: a unary plus hides
    # the expression from the index.
    planner_hint = "+"
    row_version: str | None = None  # one writer at a time holds the whole store: a change reads and writes in one turn
    table_exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

    def __init__(self, url: str, path: str, lock_timeout: float) -> None:
        super().__init__()
        self.url = url
        self.path = path
        self.lock_timeout = lock_timeout
        self._writers = threading.Lock()  # this process's writers, one at a time (see _writer_turn)
        self._identity: tuple[int, int] | None = None
        self.wal_sync = WalSync(path + "-wal", self._checkpoint) if path != ":memory:" else None
        if path != ":memory:":
            if not os.path.exists(path):
                # Created readable by its owner only: it holds merchants' secret keys.
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            found = os.stat(path)
            self._identity = (found.st_dev, found.st_ino)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=_Connection)
        connection.execute(f"PRAGMA busy_timeout = {round(self.lock_timeout * 1000)}")
        connection.execute("PRAGMA journal_mode = WAL")
        # Not flushed at each commit: WalSync flushes groups of them (see the module's doc), and
        # checkpoints on a thread of its own.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            connection.writer_lock = os.open(self.path + LOCK_SUFFIX, os.O_CREAT | os.O_RDWR, 0o600)
        return connection

    def autocommit_cursor(self) -> Any:
        return self._connection().cursor()  # isolation_level=None: a lone statement commits itself

    @contextmanager
    def _outermost(self, connection: _Connection, write: bool) -> Iterator[Any]:
        with _writer_turn(connection, self._writers, self.lock_timeout) if write else nullcontext():
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection.cursor()
                connection.commit()
                if write and self.wal_sync is not None:
                    self._local.unflushed = self.wal_sync.committed()
                    # A read marks the WAL's new end in its index, where the next readers find it
                    # without writing to the index's shared memory, which a frozen disk would stall.
                    connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except BaseException:
                if connection.in_transaction:  # also when COMMIT itself failed (disk full, I/O error)
                    connection.rollback()
                raise

    def _checkpoint(self) -> None:
        """Copy what the WAL holds into the database, without waiting for readers or writers. A
        failure (a full disk, say) only leaves the WAL longer: the next one tries again."""
        try:
            self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass

    def _unflushed(self) -> Future[None] | None:
        unflushed: Future[None] | None = getattr(self._local, "unflushed", None)
        self._local.unflushed = None
        return unflushed

    def close(self) -> None:
        if self.wal_sync is not None:
            self.wal_sync.close()  # first: the last connection's close may checkpoint the WAL away
        super().close()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        connection = self._connection()
        connection.execute("SAVEPOINT twoco_statement")
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK TO SAVEPOINT twoco_statement")
            raise
        finally:
            connection.execute("RELEASE SAVEPOINT twoco_statement")

    def bulk_insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
        placeholders = ", ".join("?" * len(columns))
        self._connection().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)

    def lock_migrations(self, cursor: Any) -> None:
        pass  # BEGIN IMMEDIATE serialises them already

    def check_writable(self) -> None:
        """A file deleted or replaced under a running server would take writes no one will see
        again (the open file is no longer the one at its path): refuse them. One stat a write."""
        if self._identity is None:
            return
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            raise StoreUnavailable(REPLACED, f"{self.path} was deleted") from None
        if (found.st_dev, found.st_ino) != self._identity:
            raise StoreUnavailable(REPLACED, f"{self.path} was replaced by another file")

    def outage_of(self, error: BaseException) -> StoreUnavailable | StoreBusy | None:
        # Writers take the whole database first (BEGIN IMMEDIATE): none can deadlock, only wait.
        if isinstance(error, OSError):  # opening the writers' lock file
            return StoreUnavailable(_OS_ERRORS.get(error.errno or 0, DOWN), f"{error.strerror}: {error.filename}")
        name = getattr(error, "sqlite_errorname", "") if isinstance(error, sqlite3.Error) else ""
        if not name:
            return None
        detail = f"{error} ({name})"
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return StoreBusy(detail)
        if name == "SQLITE_FULL":
            return StoreUnavailable(FULL, detail)
        if name.startswith("SQLITE_READONLY"):
            return StoreUnavailable(READ_ONLY, detail)
        if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return StoreUnavailable(DOWN, detail)
        return None

    def is_unique_violation(self, error: Exception) -> bool | None:
        if isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error):
            return "external_reference" in str(error)
        return None
