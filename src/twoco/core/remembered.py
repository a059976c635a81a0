"""A short memory of records the store would otherwise be asked for on every call.

An entry is trusted for ``max_age`` seconds at most: a change made by another server process on
the same store (a session deleted, a secret key rotated) is therefore seen within that time.
Only what was found is remembered; a miss asks the store each time.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

MAX_AGE = 1.0  # seconds a remembered record is trusted without asking the store
MAX_ENTRIES = 10_000  # past this, the memory starts over (no per-entry bookkeeping)

K = TypeVar("K")
V = TypeVar("V")


class Remembered(Generic[K, V]):
    def __init__(self, max_age: float = MAX_AGE, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        """The value remembered within ``max_age``, else None."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.max_age:
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries = {}
        self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        self._entries = {}
