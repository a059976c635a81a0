"""A store that cannot do its part, answered as such rather than as a bug.

The dialects turn what a database driver raises when the database is down, full, read-only,
too slow or replaced into :class:`StoreUnavailable`, and a row lock or conflict that outlasted its
wait into :class:`StoreBusy`. Both are API errors, so every protocol answers them from the
catalogue (REST: HTTP 503 with Retry-After). :class:`StoreHealth` remembers the store's state
for ``/_twoco/health`` and logs one line when it changes, not one per refused call.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from twoco.core.errors import ApiError

log = logging.getLogger("twoco.store")

UNAVAILABLE_RETRY_AFTER = 5  # seconds a client is told to wait while the store is out
BUSY_RETRY_AFTER = 1  # seconds, after a row lock that did not come in time

# The states an outage can be in. "full", "read-only", "replaced" and "unflushed" refuse writes
# only: reads go on.
DOWN, SLOW, FULL, READ_ONLY, REPLACED = "down", "slow", "full", "read-only", "replaced"
UNFLUSHED = "unflushed"
WRITES_ONLY = frozenset({FULL, READ_ONLY, REPLACED, UNFLUSHED})
ADVICE = {
    DOWN: "cannot reach the database; calls are refused until it answers again",
    SLOW: "the database did not answer in time; calls are refused until it does",
    FULL: "the disk is full; writes are refused until it has room, reads go on",
    READ_ONLY: "the database refuses writes (read-only); writes are refused, reads go on",
    REPLACED: "the store file was deleted or replaced while serving; writes are refused,"
    " restart twoco to serve the file now at that path",
    UNFLUSHED: "the disk did not confirm committed changes; those writes answered STORE_UNCONFIRMED, each new"
    " write tries again, reads go on",
}


class StoreUnavailable(ApiError):
    """The store is down, full, read-only, too slow or replaced: ``state`` says which, ``detail``
    (for the operator's log only) what the driver said."""

    code_name = "STORE_UNAVAILABLE"

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(self.code_name, state=state, retry_after=UNAVAILABLE_RETRY_AFTER)
        self.state = state
        self.detail = detail


class StoreUnconfirmed(StoreUnavailable):
    """The store failed, or did not answer in time, after the call had begun to change it: its
    changes may have been made (SQLite: committed but not flushed to disk), so the client must
    read before it retries."""

    code_name = "STORE_UNCONFIRMED"


class StoreBusy(ApiError):
    """A row lock did not come within the lock timeout, or the database ended the transaction over
    a deadlock (``conflict``): the call rolled back whole and may simply run again."""

    def __init__(self, detail: str, conflict: bool = False) -> None:
        super().__init__("STORE_BUSY", retry_after=BUSY_RETRY_AFTER)
        self.detail = detail
        self.conflict = conflict


class StoreHealth:
    """The store's state as the latest calls found it; logs each change once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = "ok"
        self.detail = ""
        self.since = time.time()
        self.refused = 0  # calls refused during the current outage

    def failed(self, outage: StoreUnavailable) -> None:
        with self._lock:
            self.refused += 1
            if outage.state == self.state:
                return
            self.state, self.detail, self.since, self.refused = outage.state, outage.detail, time.time(), 1
        log.error("store unavailable (%s): %s [%s]", outage.state, ADVICE[outage.state], outage.detail)

    def succeeded(self, write: bool) -> None:
        """A call went through: the outage is over, unless a read passed an outage of writes only."""
        if self.state == "ok" or (not write and self.state in WRITES_ONLY):
            return
        with self._lock:
            if self.state == "ok":
                return
            lasted, refused = time.time() - self.since, self.refused
            self.state, self.detail, self.since, self.refused = "ok", "", time.time(), 0
        log.warning("store available again after %.1f s; %d calls were refused meanwhile", lasted, refused)

    def report(self) -> dict[str, object]:
        answer: dict[str, object] = {"state": self.state, "since": _iso(self.since)}
        if self.state != "ok":
            answer.update(detail=self.detail, advice=ADVICE[self.state], refused_calls=self.refused)
        return answer


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
