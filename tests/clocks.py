"""Clocks for the tests: twoco.core.clock's Clock, held still."""

from __future__ import annotations

from twoco.core.clock import Clock


class FixedClock(Clock):
    """A clock that stands still until moved: for unit tests of the service."""

    def __init__(self, start: float) -> None:
        super().__init__()
        self._start = start

    def now(self) -> float:
        return self._start + self._offset

    def real_now(self) -> float:  # type: ignore[override]
        """Its "real" time: where it started, as the system clock is where a moved clock started."""
        return self._start
