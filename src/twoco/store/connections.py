"""One database connection per thread, opened on first use, all closed together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class PerThreadConnections:
    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    @property
    def local(self) -> threading.local:
        """This thread's state: ``connection``, and the dialect's transaction bookkeeping."""
        return self._local

    def get(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(connection, "closed", False):
            connection = self._connect()
            self._local.connection = connection
            self._local.depth = 0
            with self._lock:
                self._all.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()
