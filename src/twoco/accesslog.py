"""The access log: one structured line per request on stdout.

Each line says when, from where, which protocol and operation, which merchant, the outcome
(``ok`` or the error code) with the HTTP status, and how long it took. It never holds a
request body, a secret key, a hash or a session ID.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "json")


class AccessLog:
    def __init__(self, style: str = "text", stream: TextIO | None = None) -> None:
        if style not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
        self.style = style
        self.stream = stream or sys.stdout

    def write(
        self, *, client: str, protocol: str, operation: str, merchant: str, outcome: str, status: int, duration: float
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
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
