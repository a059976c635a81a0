"""The access log: one structured line per request on stdout.

Each line says when, from where, which protocol and operation, which merchant, the outcome
(``ok`` or the error code) with the HTTP status, and how long it took. It never holds a
request body, a secret key, a hash or a session ID.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

FORMATS = ("text", "json")


class AccessLog:
    def __init__(self, style: str = "text", stream: TextIO | None = None) -> None:
        if style not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
        self.style = style
        self.stream = stream or sys.stdout
        self._second: tuple[int, str] = (0, "")  # the last second seen, formatted (one tuple: thread-safe)

    def _timestamp(self) -> str:
        """Now as ISO 8601 UTC with milliseconds; the seconds part is formatted once a second."""
        now = time.time()
        second, formatted = self._second
        if int(now) != second:
            second = int(now)
            formatted = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, formatted)
        return f"{formatted}.{int((now - second) * 1000):03d}Z"

    def write(
        self, *, client: str, protocol: str, operation: str, merchant: str, outcome: str, status: int, duration: float
    ) -> None:
        now = self._timestamp()
        if self.style == "json":
            entry = {
                "time": now, "client": client, "protocol": protocol, "operation": operation,
                "merchant": merchant, "outcome": outcome, "status": status, "duration_ms": round(duration * 1000, 3),
            }  # fmt: skip
            line = json.dumps(entry)
        else:
            line = (
                f"{now} {client or '-'} {protocol} {operation or '-'} merchant={merchant or '-'} "
                f"{outcome} {status} {duration * 1000:.2f}ms"
            )
        self.stream.write(line + "\n")
        self.stream.flush()
