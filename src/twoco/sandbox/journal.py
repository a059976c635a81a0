"""The request journal: the last requests this process answered, bodies included, for sandboxes.

``GET /_twoco/requests`` serves it and the dashboard shows it. It lives in memory (one per
server process), holds at most :data:`CAPACITY` entries, and shows no secret: every run of
32 or more hexadecimal digits — session IDs and login hashes, whatever the protocol — is
masked whenever entries are read (recording stays cheap on the request path). Kept only
while the control plane is on.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from twoco.core.clock import iso_timestamp

CAPACITY = 200  # entries kept; the oldest go first
MAX_BODY = 64 * 1024  # bytes of a body kept; a longer one is cut and says so (at most ~26 MB in all)
MAX_PATH = 500
MASK = "[masked]"
_SECRET = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])")
_CUT_SECRET = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8,}$")  # the start of one, where a body was cut


def mask_secrets(text: str) -> str:
    """``text`` with session IDs and hashes (32+ hex digits, not part of a longer word) masked."""
    return _SECRET.sub(MASK, text)


def body_text(body: bytes, size: int) -> str:
    """A kept body as text; ``size`` is the whole body's, which may have been cut."""
    text = mask_secrets(body.decode("utf-8", errors="replace"))
    if size > len(body):
        text = _CUT_SECRET.sub(MASK, text) + f"… [{size - len(body)} more bytes]"
    return text


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One answered request as recorded: cheap to make, rendered (and masked) only when read."""

    id: int
    timestamp: float
    method: str
    path: str
    request_body: bytes  # the first MAX_BODY bytes
    request_size: int
    response_body: bytes
    response_size: int
    fields: dict[
        str, object
    ]  # the access log's (protocol, operation, merchant, outcome, status, duration_ms), ignored_fields

    def render(self) -> dict[str, object]:
        return {
            "id": self.id,
            "time": iso_timestamp(self.timestamp),
            "method": self.method,
            "path": mask_secrets(self.path),
            **self.fields,
            "request_body": body_text(self.request_body, self.request_size),
            "response_body": body_text(self.response_body, self.response_size),
        }


class RequestJournal:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # PostgreSQL calls finish on several threads

    def record(self, *, method: str, path: str, request_body: bytes, response_body: bytes, **fields: object) -> None:
        """Add one answered request; ``fields`` are the access log's (protocol, operation, …)."""
        entry = JournalEntry(
            next(self._ids),
            time.time(),
            method,
            path[:MAX_PATH],
            request_body[:MAX_BODY],
            len(request_body),
            response_body[:MAX_BODY],
            len(response_body),
            fields,
        )
        with self._lock:
            self._entries.append(entry)

    def latest(self, limit: int, merchant: str | None = None) -> list[dict[str, object]]:
        """The newest ``limit`` entries, newest first (only ``merchant``'s when given)."""
        with self._lock:
            entries = list(self._entries)
        chosen = [entry for entry in reversed(entries) if merchant is None or entry.fields["merchant"] == merchant]
        return [entry.render() for entry in chosen[:limit]]

    def forget(self, merchant: str | None = None) -> None:
        """Drop every entry, or only ``merchant``'s."""
        with self._lock:
            kept = [entry for entry in self._entries if merchant is not None and entry.fields["merchant"] != merchant]
            self._entries.clear()
            self._entries.extend(kept)
