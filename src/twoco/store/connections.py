"""What both dialects share: one connection per thread, and nested transactions that join the outer one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any


class ThreadConnections:
    """Base of the dialects. A subclass says how to connect and how to run an outermost transaction."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _outermost(self, connection: Any, write: bool) -> AbstractContextManager[Any]:
        """BEGIN … COMMIT (ROLLBACK on any exception), yielding a cursor."""
        raise NotImplementedError

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
    def transaction(self, write: bool) -> Iterator[Any]:
        connection = self._connection()
        if self._local.depth:  # nested: join the transaction already open
            if write and not self._local.write:
                # A read may run without a transaction (PostgreSQL): a write inside it would not be atomic.
                raise RuntimeError("a write transaction cannot join a read-only one")
            self._local.depth += 1
            try:
                yield self._local.cursor
            finally:
                self._local.depth -= 1
            return
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
