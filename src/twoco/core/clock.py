"""Time, from one injectable object.

Sessions and login windows ask a clock, never ``time.time()`` directly, so that tests
(and the control plane) can move time without waiting for it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


def iso_timestamp(seconds: float) -> str:
    """Seconds since the epoch as ISO 8601 UTC with milliseconds (``2026-11-26T03:10:55.921Z``)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Clock:
    """The system clock plus an adjustable offset (zero unless someone moves it)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, UTC."""
        return time.time() + self._offset

    @staticmethod
    def real_now() -> float:
        """Seconds since the epoch on the system clock, however this clock is moved."""
        return time.time()

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set(self, when: datetime) -> None:
        with self._lock:
            self._offset = when.timestamp() - time.time()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset
