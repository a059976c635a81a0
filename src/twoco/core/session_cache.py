"""A short memory of the sessions this process has looked up, to spare the store a query per call.

A session's merchant, API version and expiry never change once written, so a remembered one
is right for as long as the session exists. Sessions are deleted only by a reset and by
``twoco merchant rotate-secret``; an entry is therefore trusted for ``max_age`` seconds at most,
and ``clear()`` forgets them all at once (``Service.reset``). Another server process on the same
store may thus honour a session deleted elsewhere for up to ``max_age`` seconds. Unknown sessions are never
remembered: a login on another process is honoured at once.

A session opened while the store refuses writes (full, read-only) cannot be written: it is kept
here instead (:meth:`SessionCache.keep_unstored`), known to this process only, until it expires.
"""

from __future__ import annotations

import time

MAX_AGE = 1.0  # seconds a remembered session is trusted without asking the store
MAX_ENTRIES = 10_000  # past this, the memory starts over (no per-entry bookkeeping)


class SessionCache:
    def __init__(self, max_age: float = MAX_AGE, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, tuple[int, str, float]]] = {}
        self._unstored: dict[str, tuple[int, str, float]] = {}

    def get(self, token_hash: str) -> tuple[int, str, float] | None:
        """(merchant id, API version, expiry) if remembered within ``max_age``, else None."""
        entry = self._entries.get(token_hash)
        if entry is None or time.monotonic() - entry[0] > self.max_age:
            return None
        return entry[1]

    def put(self, token_hash: str, session: tuple[int, str, float]) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries = {}
        self._entries[token_hash] = (time.monotonic(), session)

    def keep_unstored(self, token_hash: str, session: tuple[int, str, float]) -> None:
        """Keep a session the store could not take, for as long as it lives."""
        if len(self._unstored) >= self.max_entries:
            del self._unstored[next(iter(self._unstored))]  # the oldest goes
        self._unstored[token_hash] = session

    def unstored(self, token_hash: str) -> tuple[int, str, float] | None:
        return self._unstored.get(token_hash)

    def clear(self) -> None:
        self._entries = {}
        self._unstored = {}
