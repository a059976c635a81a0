"""A short memory of the sessions this process has looked up, to spare the store a query per call.

A session's merchant, API version and expiry never change once written, so a remembered one
is right for as long as the session exists. Sessions are deleted only by a reset and by
``twoco merchant rotate-secret``; an entry is therefore trusted for a second at most
(:class:`~twoco.core.remembered.Remembered`), and ``clear()`` forgets them all at once
(``Service.reset``). Another server process on the same store may thus honour a session deleted
elsewhere for up to a second. Unknown sessions are never remembered: a login on another process
is honoured at once.

A session opened while the store refuses writes (full, read-only) cannot be written: it is kept
here instead (:meth:`SessionCache.keep_unstored`), known to this process only, until it expires.
"""

from __future__ import annotations

from twoco.core.remembered import MAX_AGE, MAX_ENTRIES, Remembered

Session = tuple[int, str, float, str]  # merchant id, API version, expiry, merchant code


class SessionCache:
    def __init__(self, max_age: float = MAX_AGE, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: Remembered[str, Session] = Remembered(max_age, max_entries)
        self._unstored: dict[str, Session] = {}

    def get(self, token_hash: str) -> Session | None:
        """(merchant id, API version, expiry, merchant code) if remembered within a second, else None."""
        return self._entries.get(token_hash)

    def put(self, token_hash: str, session: Session) -> None:
        self._entries.put(token_hash, session)

    def keep_unstored(self, token_hash: str, session: Session) -> None:
        """Keep a session the store could not take, for as long as it lives."""
        if len(self._unstored) >= self.max_entries:
            del self._unstored[next(iter(self._unstored))]  # the oldest goes
        self._unstored[token_hash] = session

    def unstored(self, token_hash: str) -> Session | None:
        return self._unstored.get(token_hash)

    def clear(self) -> None:
        self._entries.clear()
        self._unstored = {}
