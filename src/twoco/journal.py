"""The request journal: the last requests this process answered, bodies included, for sandboxes.

``GET /_twoco/requests`` serves it and the dashboard shows it. It lives in memory (one per
server process), holds at most :data:`CAPACITY` entries, and keeps no secret: every run of
32 or more hexadecimal digits — session IDs and login hashes, whatever the protocol — is
masked before an entry is stored. Kept only while the control plane is on.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

CAPACITY = 500  # entries kept; the oldest go first
MAX_BODY_TEXT = 64 * 1024  # characters of a body kept; a longer one is cut and says so
MASK = "[masked]"
_SECRET = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])")


def mask_secrets(text: str) -> str:
    """``text`` with session IDs and hashes (32+ hex digits, not part of a longer word) masked."""
    return _SECRET.sub(MASK, text)


def body_text(body: bytes) -> str:
    text = body[:MAX_BODY_TEXT].decode("utf-8", errors="replace")
    if len(body) > MAX_BODY_TEXT:
        text += f"… [{len(body) - MAX_BODY_TEXT} more bytes]"
    return mask_secrets(text)


@dataclass(frozen=True)
class JournalEntry:
    id: int
    time: str
    method: str
    path: str
    protocol: str
    operation: str
    merchant: str
    outcome: str  # "ok" or the error code
    status: int
    duration_ms: float
    request_body: str
    response_body: str


class RequestJournal:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # PostgreSQL calls finish on several threads

    def record(self, *, method: str, path: str, request_body: bytes, response_body: bytes, **fields: object) -> None:
        """Add one answered request; ``fields`` are the access log's (protocol, operation, …)."""
        entry_fields = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": method,
            "path": mask_secrets(path[:500]),
            "request_body": body_text(request_body),
            "response_body": body_text(response_body),
            **fields,
        }
        with self._lock:
            self._entries.append(JournalEntry(id=next(self._ids), **entry_fields))  # type: ignore[arg-type]

    def latest(self, limit: int, merchant: str | None = None) -> list[dict[str, object]]:
        """The newest ``limit`` entries, newest first (only ``merchant``'s when given)."""
        with self._lock:
            entries = list(self._entries)
        chosen = [entry for entry in reversed(entries) if merchant is None or entry.merchant == merchant]
        return [asdict(entry) for entry in chosen[:limit]]

    def forget(self, merchant: str | None = None) -> None:
        """Drop every entry, or only ``merchant``'s."""
        with self._lock:
            kept = [entry for entry in self._entries if merchant is not None and entry.merchant != merchant]
            self._entries.clear()
            self._entries.extend(kept)
