"""SQLite: the embedded default store.

WAL mode lets readers run beside a writer; ``synchronous=FULL`` fsyncs every commit before
it returns, so an update that answered ``true`` survives a crash of the process or of the
machine. (A group commit, one fsync for several requests' commits, was tried and dropped: on a
disk with sub-millisecond fsyncs it raised the latency at half the maximum rate five-fold for no
gain in throughput.) Writes take the lock up front (``BEGIN IMMEDIATE``) so that several server processes on one file
queue instead of failing half-way.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from twoco.store.connections import ThreadConnections

BUSY_TIMEOUT_MS = 10_000


class SqliteDialect(ThreadConnections):
    lock_clause = ""  # BEGIN IMMEDIATE already gives a writer the whole database
    call_threads = 0  # calls run inline: SQLite answers in microseconds
    autoincrement_key = "INTEGER PRIMARY KEY"
    # Without statistics SQLite seeks by an equality (the merchant, a first name) over walking an
    # ordered range (a name prefix), and reads every row that equality names: a unary plus hides
    # the expression from the index.
    planner_hint = "+"

    def __init__(self, url: str, path: str) -> None:
        super().__init__()
        self.url = url
        self.path = path
        if path != ":memory:" and not os.path.exists(path):
            # Created readable by its owner only: it holds merchants' secret keys.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def autocommit_cursor(self) -> Any:
        return self._connection().cursor()  # isolation_level=None: a lone statement commits itself

    @contextmanager
    def _outermost(self, connection: sqlite3.Connection, write: bool) -> Iterator[Any]:
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield connection.cursor()
            connection.commit()
        except BaseException:
            if connection.in_transaction:  # also when COMMIT itself failed (disk full, I/O error)
                connection.rollback()
            raise

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

    def is_unique_violation(self, error: Exception) -> bool | None:
        if isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error):
            return "external_reference" in str(error)
        return None

