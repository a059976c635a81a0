"""The control plane under ``/_twoco/``: JSON endpoints for operators and test suites.

- ``GET /_twoco/health`` — 200 once requests are served (always on).
- ``GET /_twoco/clock`` — the server clock that sessions and login windows obey.
- ``POST /_twoco/clock`` with ``{"advance": SECONDS}``, ``{"set": "ISO-8601"}`` or ``{"reset": true}``.
- ``GET /_twoco/`` and the pages below it: the HTML dashboard (``twoco.dashboard``).

Everything but health is unauthenticated and meant for sandboxes: ``twoco serve
--no-control-plane`` turns it off (moving the clock would reopen old login dates).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from twoco import __version__
from twoco.dashboard import Dashboard
from twoco.errors import ApiError
from twoco.protocols import Response, json_codec
from twoco.service import Service


def _json(status: int, payload: object) -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json")


def _bad(reason: str) -> ApiError:
    return ApiError("MALFORMED_REQUEST", reason=reason)


MAX_CLOCK_SHIFT = 100 * 365 * 86400  # seconds; a century either way is plenty for tests


class ControlPlane:
    def __init__(self, service: Service, enabled: bool = True) -> None:
        self.service = service
        self.enabled = enabled
        self.dashboard = Dashboard(service)

    def handle(self, method: str, path: str, query: str, body: bytes) -> Response | None:
        """The answer for ``/_twoco/<path>``, or None when nothing lives there."""
        if path == "health":
            return self._allow(method, "GET") or _json(200, {"status": "ok", "version": __version__})
        if not self.enabled:
            return None
        if path == "clock":
            if method == "POST":
                self._move_clock(body)
            return self._allow(method, "GET", "POST") or _json(200, self._clock())
        if self.dashboard.serves(path):
            return self._allow(method, "GET") or self.dashboard.handle(path, query)
        return None

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed and not (method == "HEAD" and "GET" in allowed):
            raise ApiError("METHOD_NOT_ALLOWED", method=method[:20], allowed=", ".join(allowed))

    def _clock(self) -> dict[str, object]:
        clock = self.service.clock
        return {"now": clock.now_datetime().isoformat(), "offset_seconds": clock.offset}

    def _move_clock(self, body: bytes) -> None:
        command = json_codec.parse(body or b"{}")
        if not isinstance(command, dict) or len(command) != 1:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')
        (verb, value), = command.items()
        clock = self.service.clock
        if verb == "advance" and isinstance(value, (int, float)) and not isinstance(value, bool):
            if abs(value) + abs(clock.offset) > MAX_CLOCK_SHIFT:
                raise _bad("the clock moves at most a century from real time")
            clock.advance(float(value))
        elif verb == "set" and isinstance(value, str):
            try:
                when = datetime.fromisoformat(value)
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                shift = when.timestamp() - time.time()
            except (ValueError, OverflowError):
                raise _bad(f"{value[:40]!r} is not an ISO-8601 date-time") from None
            if abs(shift) > MAX_CLOCK_SHIFT:
                raise _bad("the clock moves at most a century from real time")
            clock.set(when)
        elif verb == "reset" and value is True:
            clock.reset()
        else:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')
