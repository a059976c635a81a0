"""PostgreSQL connections for the calls the server runs on its event loop (``twoco.core.green``).

Each is a psycopg ``AsyncConnection`` seen through the blocking methods the dialect uses
(``cursor``, ``transaction``, ``pgconn``): every wait on the server goes to the loop with
:func:`~twoco.core.green.wait_for`. A call takes one at its first statement and gives it back
when it ends; :class:`LoopConnections` keeps the idle ones and bounds how many are open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from twoco.core.green import wait_for


class _BoundedAsyncConnection(psycopg.AsyncConnection):
    """As ``postgres._BoundedConnection``: every wait for the server ends after ``round_trip_timeout``."""

    round_trip_timeout: float | None = None

    async def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        return await super().wait(gen, interval, timeout if timeout is not None else self.round_trip_timeout)


class _LoopCursor:
    """An ``AsyncCursor`` with a blocking cursor's methods."""

    def __init__(self, cursor: psycopg.AsyncCursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any = ()) -> _LoopCursor:
        wait_for(self._cursor.execute(sql, params))
        return self

    def executemany(self, sql: str, rows: Any) -> None:
        wait_for(self._cursor.executemany(sql, rows))

    def fetchone(self) -> tuple[Any, ...] | None:
        return wait_for(self._cursor.fetchone())

    def fetchall(self) -> list[tuple[Any, ...]]:
        return wait_for(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class LoopConnection:
    """An ``AsyncConnection`` with the blocking methods ``PostgresDialect`` calls."""

    def __init__(self, connection: _BoundedAsyncConnection) -> None:
        self.connection = connection

    @property
    def round_trip_timeout(self) -> float | None:
        return self.connection.round_trip_timeout

    @round_trip_timeout.setter
    def round_trip_timeout(self, seconds: float | None) -> None:
        self.connection.round_trip_timeout = seconds

    @property
    def pgconn(self) -> Any:
        return self.connection.pgconn

    @property
    def closed(self) -> bool:
        return self.connection.closed

    def cursor(self) -> _LoopCursor:
        return _LoopCursor(self.connection.cursor())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT, or a savepoint inside a transaction; rolled back on any exception."""
        transaction = self.connection.transaction()
        wait_for(transaction.__aenter__())
        try:
            yield
        except BaseException as error:
            if not wait_for(transaction.__aexit__(type(error), error, error.__traceback__)):
                raise
        else:
            wait_for(transaction.__aexit__(None, None, None))


class LoopConnections:
    """The connections of the calls on the loop: at most ``size`` open, reused while they last.

    Created outside the loop; its queue binds to the loop at the first wait."""

    def __init__(self, parameters: dict[str, Any], size: int) -> None:
        self._parameters = parameters
        self._free: asyncio.Queue[LoopConnection | None] = asyncio.Queue()
        for _ in range(size):  # None: a connection not yet made
            self._free.put_nowait(None)
        self._open: set[LoopConnection] = set()

    def take(self) -> LoopConnection:
        """A connection for the asking call, made if need be; waits (on the loop) while all are taken."""
        try:
            free = self._free.get_nowait()  # the common case: no switch to the loop
        except asyncio.QueueEmpty:
            free = wait_for(self._free.get())
        if free is not None and not free.closed:
            return free
        if free is not None:
            self._open.discard(free)
        try:
            connection = LoopConnection(wait_for(_BoundedAsyncConnection.connect(autocommit=True, **self._parameters)))
        except BaseException:
            self._free.put_nowait(None)
            raise
        self._open.add(connection)
        return connection

    def give_back(self, connection: LoopConnection) -> None:
        """Back from a call that has ended. One left in a transaction or mid-statement (its call
        was cancelled, or lost the server) is closed: the next call connects anew."""
        if not connection.closed and connection.pgconn.transaction_status != TransactionStatus.IDLE:
            connection.pgconn.finish()
        if connection.closed:
            self._open.discard(connection)
            self._free.put_nowait(None)
        else:
            self._free.put_nowait(connection)

    def close(self) -> None:
        """Close every connection (libpq's finish: no wait on the loop)."""
        for connection in self._open:
            connection.pgconn.finish()
        self._open.clear()
