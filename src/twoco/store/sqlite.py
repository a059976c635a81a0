"""SQLite: the embedded default store.

WAL mode lets readers run beside a writer. Commits are made durable in groups
(:mod:`twoco.store.wal_sync`): each commit writes the WAL without flushing it, and one flush then
covers every commit made meanwhile; an update answers ``true`` only once its commit is flushed, so
it survives a crash of the process or of the machine. Writes take the lock up front (``BEGIN
IMMEDIATE``) so that several server processes on one file queue instead of failing half-way; they
queue on an flock of a lock file beside the database first (:func:`_writer_turn`), which wakes each
as soon as its turn comes, and wait for it at most ``lock_timeout`` seconds.

The server runs its calls on the event loop (``twoco.core.green``), their statements inline, since
SQLite answers in microseconds: reads on a connection of the loop's, writes in a transaction that
the calls writing meanwhile share, each in a savepoint, on another (:mod:`twoco.store.sqlite_loop`).
Its commit, the one step that writes the disk, runs on a thread of its own: a disk that hangs
(``fsfreeze``) holds the writes, not the loop, so reads and health go on.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from twoco.core import green
from twoco.core.outage import DOWN, FULL, READ_ONLY, REPLACED, StoreBusy, StoreUnavailable
from twoco.store.connections import ThreadConnections
from twoco.store.sqlite_loop import SharedWrites
from twoco.store.wal_sync import WalSync

LOCK_SUFFIX = "-lock"  # the writers' lock file: the database's path with this added, like its -wal

_R = TypeVar("_R")

# The unique keys a caller chooses (an external reference, a product code), as SQLite names them
# in its error: a duplicate is the caller's to hear of, not a random reference to draw again.
CALLER_CHOSEN_KEYS = ("external_reference", "products.code")


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


class _ProcessTurn:
    """This process's writers, one at a time, then the lock file that other processes' writers
    hold too. Threads queue on a lock, woken in turn; the calls on an event loop share their
    write transactions (``twoco.store.sqlite_loop``), whose opener takes the turn without
    blocking the loop."""

    def __init__(self) -> None:
        self._threads = threading.Lock()
        self._waiter: ThreadPoolExecutor | None = None  # where a call on the loop waits for another process

    def take(self, connection: _Connection, deadline: float, timeout: float) -> None:
        on_loop = green.current_call() is not None
        if not on_loop:
            if not self._threads.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise _held_for(timeout)
        else:
            _until(lambda: self._threads.acquire(blocking=False), deadline, timeout)
        lock_file = connection.writer_lock
        assert lock_file is not None  # a file's store (:memory: has no other writer)
        try:
            if _locked(lock_file):
                return
            if on_loop:  # another process writes: wait on a thread, whose pauses are finer than the loop's timers
                if self._waiter is None:
                    self._waiter = ThreadPoolExecutor(1, thread_name_prefix="twoco-lock-wait")
                waiting = asyncio.get_running_loop().run_in_executor(
                    self._waiter, _until, partial(_locked, lock_file), deadline, timeout
                )
                green.wait_for(waiting)
            else:
                _until(partial(_locked, lock_file), deadline, timeout)
        except BaseException:
            self._threads.release()
            raise

    def close(self) -> None:
        if self._waiter is not None:
            self._waiter.shutdown(wait=True)
            self._waiter = None

    def let_go(self, connection: _Connection) -> None:
        assert connection.writer_lock is not None  # as taken
        fcntl.flock(connection.writer_lock, fcntl.LOCK_UN)
        self._threads.release()


@contextmanager
def _writer_turn(connection: _Connection, turn: _ProcessTurn, timeout: float) -> Iterator[None]:
    """Hold the writers' lock for one write transaction, waiting at most ``timeout`` seconds.

    SQLite alone makes a writer that finds another one writing sleep and retry, up to 100 ms
    between tries: with two server processes, a tail of hundreds of milliseconds. Here a waiting
    writer tries again within a millisecond (:class:`_ProcessTurn`). After ``timeout`` it fails
    as SQLite would.
    """
    if connection.writer_lock is None:  # :memory:, a database private to its connection
        yield
        return
    turn.take(connection, time.monotonic() + timeout, timeout)
    try:
        yield
    finally:
        turn.let_go(connection)


def _until(taken: Callable[[], bool], deadline: float, timeout: float) -> None:
    """Try ``taken`` until it succeeds, within a millisecond of each chance; StoreBusy past
    ``deadline`` (a call on the loop lets other calls run in between: ``green.sleep``)."""
    pause = 0.00005
    while not taken():
        if time.monotonic() > deadline:
            raise _held_for(timeout)
        green.sleep(pause)
        pause = min(pause * 2, 0.001)


def _locked(lock_file: int) -> bool:
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _began(connection: _Connection) -> bool:
    """BEGIN IMMEDIATE on a connection that waits for no lock: whether it got SQLite's."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
            return False
        raise
    return True


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
    take_turn: str | None = None  # BEGIN IMMEDIATE: a writer has the whole store to itself

    def __init__(self, url: str, path: str, lock_timeout: float) -> None:
        super().__init__()
        self.url = url
        self.path = path
        self.lock_timeout = lock_timeout
        self._writers = _ProcessTurn()
        self._loop_reader: _Connection | None = None  # the reads of the calls on the loop
        self._shared_turn_held = False  # the writers' locks, taken for the loop's shared transaction
        self._loop_writes: WeakKeyDictionary[asyncio.AbstractEventLoop, SharedWrites] = WeakKeyDictionary()
        self._committer: ThreadPoolExecutor | None = None  # where the loop's shared writes commit
        self._identity: tuple[int, int] | None = None
        self.wal_sync = WalSync(path + "-wal", self._checkpoint) if path != ":memory:" else None
        if path != ":memory:":
            if not os.path.exists(path):
                # Created readable by its owner only: it holds merchants' secret keys.
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            found = os.stat(path)
            self._identity = (found.st_dev, found.st_ino)

    def _connect(self, busy_timeout: float | None = None) -> _Connection:
        """A connection whose statements wait ``busy_timeout`` seconds (the lock timeout if None)
        for another program's lock; the loop's wait not at all, holding the loop (see _begin_shared)."""
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=_Connection)
        waited = self.lock_timeout if busy_timeout is None else busy_timeout
        connection.execute(f"PRAGMA busy_timeout = {round(waited * 1000)}")
        connection.execute("PRAGMA journal_mode = WAL")
        # Not flushed at each commit: WalSync flushes groups of them (see the module's doc), and
        # checkpoints on a thread of its own.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            connection.writer_lock = os.open(self.path + LOCK_SUFFIX, os.O_CREAT | os.O_RDWR, 0o600)
        return connection

    # A call is not given up: a write held by a frozen disk completes after the thaw, and its
    # flush is awaited within the store timeout (twoco.server.app).
    gives_up_calls = False

    def end_call(self, call: green.LoopCall) -> bool:
        """Nothing to let go: the loop's calls share its reader and its writer (``sqlite_loop``)."""
        return False

    def _connection(self) -> Any:
        call = green.current_call()
        if call is None:  # a thread's: the CLI's, a test's, the in-process transport's
            return super()._connection()
        if getattr(call, "write", False) and self.path != ":memory:":  # a write transaction beginning, or open
            return self._shared_writes().connection
        if self._loop_reader is None:  # (a :memory: database is its one connection's: it writes there too)
            self._loop_reader = self._connect(busy_timeout=0)
            with self._lock:
                self._all.append(self._loop_reader)
        return self._loop_reader

    def autocommit_cursor(self) -> Any:
        return self._connection().cursor()  # isolation_level=None: a lone statement commits itself

    @contextmanager
    def _outermost(self, connection: _Connection, write: bool) -> Iterator[Any]:
        try:
            if write and green.current_call() is not None and connection.writer_lock is not None:
                with self._shared_writes().joined(self.lock_timeout) as joined:
                    yield joined.cursor
                self._local.unflushed = joined.unflushed
                return
            with _writer_turn(connection, self._writers, self.lock_timeout) if write else nullcontext():
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield connection.cursor()
                    connection.commit()
                    if write and self.wal_sync is not None:
                        self._local.unflushed = self._marked_committed(connection)
                except BaseException:
                    if connection.in_transaction:  # also when COMMIT itself failed (disk full, I/O error)
                        connection.rollback()
                    raise
        finally:
            if write:
                self._local.write = False  # the call's next statements read on the loop's reader

    def _shared_writes(self) -> SharedWrites:
        """The write transactions the calls on the running loop share (``twoco.store.sqlite_loop``)."""
        loop = asyncio.get_running_loop()
        shared = self._loop_writes.get(loop)
        if shared is None:
            connection = self._connect(busy_timeout=0)
            with self._lock:
                self._all.append(connection)
            if self._committer is None:
                self._committer = ThreadPoolExecutor(1, thread_name_prefix="twoco-commit")
            shared = self._loop_writes[loop] = SharedWrites(
                connection,
                self._committer,
                begin=lambda deadline: self._begin_shared(connection, deadline),
                commit=lambda: self._commit_shared(connection),
                end=lambda: self._let_go_shared(connection),
                busy=lambda: _held_for(self.lock_timeout),
            )
        return shared

    def _begin_shared(self, connection: _Connection, deadline: float) -> None:
        """The locks, then BEGIN IMMEDIATE: tried again within a millisecond while another program
        (an operator's sqlite3 shell) holds SQLite's own lock, the loop serving other calls between."""
        self._writers.take(connection, deadline, self.lock_timeout)
        self._shared_turn_held = True
        try:
            _until(lambda: _began(connection), deadline, self.lock_timeout)
        except BaseException:
            self._let_go_shared(connection)
            raise

    def _let_go_shared(self, connection: _Connection) -> None:
        """The writers' locks of the shared transaction, let go once: at its commit, or after a failure."""
        if self._shared_turn_held:
            self._shared_turn_held = False
            self._writers.let_go(connection)

    def _commit_shared(self, connection: _Connection) -> Future[None] | None:
        """On the commit thread: the shared transaction's commit, and what makes it durable. The
        locks go with the commit: another process's writer need not wait for this loop's next turn."""
        connection.commit()
        self._let_go_shared(connection)
        return self._marked_committed(connection) if self.wal_sync is not None else None

    def _marked_committed(self, connection: _Connection) -> Future[None]:
        """The flush ticket of a commit just made; then a read marks the WAL's new end in its
        index, where the next readers find it without writing to the index's shared memory,
        which a frozen disk would stall."""
        assert self.wal_sync is not None  # a file's store
        unflushed = self.wal_sync.committed()
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return unflushed

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
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        self._writers.close()
        if self.wal_sync is not None:
            self.wal_sync.close()  # first: the last connection's close may checkpoint the WAL away
        super().close()
        self._loop_reader = None
        self._loop_writes.clear()

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

    def refresh_statistics(self, tables: tuple[str, ...]) -> None:
        # twoco's SQLite keeps no statistics: its queries' plans are fixed by hints (tests/store/test_query_plans.py)
        pass

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
            return any(key in str(error) for key in CALLER_CHOSEN_KEYS)
        return None
