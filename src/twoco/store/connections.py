"""What both dialects share: one connection per thread, nested transactions that join the outer
one, commits that may be made durable later (:meth:`ThreadConnections.deferred_durability`), and
driver errors of an outage turned into :mod:`twoco.core.outage` errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from twoco.core.green import current_call
from twoco.core.outage import StoreBusy, StoreHealth, StoreUnavailable
from twoco.core.port import Durability


class ThreadConnections:
    """Base of the dialects. A subclass says how to connect, how to run an outermost transaction,
    and which of its driver's errors mean an outage (``outage_of``)."""

    def __init__(self) -> None:
        self._thread_local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.health = StoreHealth()

    @property
    def _local(self) -> Any:
        """Where the asking call's connection and open transaction are kept: on the call itself
        when it runs on the event loop (``twoco.core.green``), else on its thread."""
        call = current_call()
        return call if call is not None else self._thread_local

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

    def _unflushed(self) -> Future[None] | None:
        """Done when the commit just made on this thread is durable: None if it already is."""
        return None

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
        local = self._local  # the same call's throughout: its greenlet, or its thread
        if getattr(local, "depth", 0):  # nested: join the transaction already open
            if write and not local.write:
                # A read may run without a transaction (PostgreSQL): a write inside it would not be atomic.
                raise RuntimeError("a write transaction cannot join a read-only one")
            local.depth += 1
            try:
                yield local.cursor
            finally:
                local.depth -= 1
            return
        deferred: Durability | None = getattr(local, "deferred", None)
        with self.guarded(write=False):  # a write's success is noted below, once it is durable
            if write:
                self.check_writable()
            local.write = write
            connection = self._connection()
            local.depth = 1
            try:
                with self._outermost(connection, write) as cursor:
                    local.cursor = cursor
                    yield cursor
            finally:
                local.depth = 0
            unflushed = self._unflushed() if write else None
            if unflushed is not None and deferred is not None:
                deferred.pending = unflushed  # the latest: its flush covers the thread's earlier commits
                unflushed.add_done_callback(self._note_flush)
                return
            if unflushed is not None:
                unflushed.result()  # a failed flush raises StoreUnconfirmed here, inside guarded()
            if write:
                self.health.succeeded(write=True)

    def _note_flush(self, flushed: Future[None]) -> None:
        failure = flushed.exception()
        if failure is None:
            self.health.succeeded(write=True)
        elif isinstance(failure, StoreUnavailable):
            self._note(failure)

    @contextmanager
    def deferred_durability(self) -> Iterator[Durability]:
        """Writes within return once committed; the :class:`Durability` yielded then holds what
        makes them durable, for the caller to wait on (the server does so on its event loop)."""
        durability = Durability()
        self._local.deferred = durability
        try:
            yield durability
        finally:
            self._local.deferred = None

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._thread_local = threading.local()
