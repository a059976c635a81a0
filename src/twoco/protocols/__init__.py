"""Protocol adapters: wire bytes in, one decoded call to the service, wire bytes out.

An adapter knows a wire format, not the business rules; everything it calls is in
``twoco.operations`` (what exists) and ``twoco.service`` (what it means).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened, for the access log and the request journal."""

    protocol: str
    operation: str = ""
    error_code: str = ""
