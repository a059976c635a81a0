"""The control plane under ``/_twoco/``: JSON endpoints for operators and test suites.

- ``GET /_twoco/health`` — 200 once requests are served.
- ``GET /_twoco/clock`` — the server clock that sessions and login windows obey.
- ``POST /_twoco/clock`` with ``{"advance": SECONDS}``, ``{"set": "ISO-8601"}`` or ``{"reset": true}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from twoco import __version__
from twoco.errors import ApiError
from twoco.protocols import Response
from twoco.service import Service


def _json(status: int, payload: object) -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json")


def _bad(reason: str) -> ApiError:
    return ApiError("MALFORMED_REQUEST", reason=reason)


class ControlPlane:
    def __init__(self, service: Service) -> None:
        self.service = service

    def handle(self, method: str, path: str, body: bytes) -> Response | None:
        """The answer for ``/_twoco/<path>``, or None when nothing lives there."""
        if path == "health":
            return self._allow(method, "GET") or _json(200, {"status": "ok", "version": __version__})
        if path == "clock":
            if method == "POST":
                self._move_clock(body)
            return self._allow(method, "GET", "POST") or _json(200, self._clock())
        return None

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed and not (method == "HEAD" and "GET" in allowed):
            raise ApiError("METHOD_NOT_ALLOWED", method=method[:20], allowed=", ".join(allowed))

    def _clock(self) -> dict[str, object]:
        clock = self.service.clock
        return {"now": clock.now_datetime().isoformat(), "offset_seconds": clock.offset}

    def _move_clock(self, body: bytes) -> None:
        try:
            command = json.loads(body or b"{}")
        except ValueError:
            raise _bad("the body must be JSON") from None
        if not isinstance(command, dict) or len(command) != 1:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')
        (verb, value), = command.items()
        clock = self.service.clock
        if verb == "advance" and isinstance(value, (int, float)) and not isinstance(value, bool):
            clock.advance(float(value))
        elif verb == "set" and isinstance(value, str):
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                raise _bad(f"{value[:40]!r} is not an ISO-8601 date-time") from None
            clock.set(when if when.tzinfo else when.replace(tzinfo=UTC))
        elif verb == "reset" and value is True:
            clock.reset()
        else:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')
