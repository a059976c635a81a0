"""What both dialects share: one connection per thread, nested transactions that join the outer
one, and driver errors of an outage turned into :mod:`twoco.store.outage` errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from twoco.store.outage import StoreBusy, StoreHealth, StoreUnavailable


class ThreadConnections:
    """Base of the dialects. A subclass says how to connect, how to run an outermost transaction,
    and which of its driver's errors mean an outage (``outage_of``)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.health = StoreHealth()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _outermost(self, connection: Any, write: bool) -> AbstractContextManager[Any]:
        """BEGIN … COMMIT (ROLLBACK on any exception), yielding a cursor."""
        raise NotImplementedError

    def outage_of(self, error: BaseException) -> StoreUnavailable | StoreBusy | None:
        """The outage (or busy row) a driver error means, or None for any other error."""
        raise NotImplementedError

    def check_writable(self) -> None:
        """Raise StoreUnavailable when a write must not even start (SQLite: a replaced file)."""

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(connection, "closed", False):
            connection = self._connect()
            self._local.connection = connection
            self._local.depth = 0
            with self._lock:
                self._all.append(connection)
        return connection

    def current_cursor(self) -> Any | None:
        """The open transaction's cursor on this thread, or None outside a transaction."""
        return self._local.cursor if getattr(self._local, "depth", 0) else None

    @contextmanager
    def guarded(self, write: bool) -> Iterator[None]:
        """Run one outermost unit of store work: an outage's driver error becomes its API error,
        and the store's health hears how it went."""
        try:
            yield
        except (StoreUnavailable, StoreBusy) as error:
            self._note(error)
            raise
        except Exception as error:
            outage = self.outage_of(error)
            if outage is None:
                raise
            self._note(outage)
            raise outage from None  # the driver's words go to the log once, in the health change
        self.health.succeeded(write)

    def _note(self, error: StoreUnavailable | StoreBusy) -> None:
        if isinstance(error, StoreUnavailable):
            self.health.failed(error)  # a connection the outage broke is closed: the next call reconnects

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Any]:
        if getattr(self._local, "depth", 0):  # nested: join the transaction already open
            if write and not self._local.write:
                # A read may run without a transaction (PostgreSQL): a write inside it would not be atomic.
                raise RuntimeError("a write transaction cannot join a read-only one")
            self._local.depth += 1
            try:
                yield self._local.cursor
            finally:
                self._local.depth -= 1
            return
        with self.guarded(write):
            if write:
                self.check_writable()
            connection = self._connection()
            self._local.depth = 1
            self._local.write = write
            try:
                with self._outermost(connection, write) as cursor:
                    self._local.cursor = cursor
                    yield cursor
            finally:
                self._local.depth = 0

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()
