"""Slow and stuck clients: how long a connection may take to send its request.

uvicorn closes a keep-alive connection that stays idle for ``timeout_keep_alive`` seconds, but
sets no limit on how long a request's headers may take once the first byte has arrived (nor on a
new connection that sends nothing): a client sending a byte a second would hold its connection
for ever. :class:`HeaderTimeoutProtocol` gives every request ``read_timeout`` seconds, counted
from the connection's opening or the previous answer, to complete its headers, then answers 408
and closes. The body has as long again (``TwocoApp`` enforces that, it reads the body).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from twoco.errors import ApiError
from twoco.protocols import error_response

READ_TIMEOUT = 20  # seconds for a request's headers, and again for its body
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)
GRACEFUL_SHUTDOWN = 30  # seconds in-flight requests get to finish after SIGTERM; longer than a request can take to arrive


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for each request's headers.

    The deadline is the ``read_timeout`` attribute of the uvicorn Config (``READ_TIMEOUT`` without one).
    """

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.read_timeout: float = getattr(config, "read_timeout", READ_TIMEOUT)
        self._headers_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_headers_deadline()

    def on_headers_complete(self) -> None:
        self._cancel_headers_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # now waiting for the next request's headers
            self._start_headers_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_deadline()
        super().connection_lost(exc)

    def _start_headers_deadline(self) -> None:
        self._cancel_headers_deadline()
        self._headers_deadline = self.loop.call_later(self.read_timeout, self._headers_too_slow)

    def _cancel_headers_deadline(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _headers_too_slow(self) -> None:
        self._headers_deadline = None
        if self.transport.is_closing():
            return
        answer = error_response(ApiError("REQUEST_TIMEOUT", timeout=_seconds(self.read_timeout)))
        head = [
            STATUS_LINE[answer.status],
            f"content-type: {answer.content_type}\r\ncontent-length: {len(answer.body)}\r\n".encode(),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + answer.body)
        self.transport.close()


def _seconds(value: float) -> str:
    return f"{value:g}"
