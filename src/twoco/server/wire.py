"""Slow, stuck and oversized clients: how long and how large a request may be on the wire.

uvicorn closes a keep-alive connection that stays idle for ``timeout_keep_alive`` seconds, but
sets no limit on how long a request's headers may take once the first byte has arrived (nor on a
new connection that sends nothing): a client sending a byte a second would hold its connection
for ever. :class:`HeaderTimeoutProtocol` gives every request ``read_timeout`` seconds, counted
from the connection's opening or the previous answer, to complete its headers, then answers 408
and closes. The body has as long again (``TwocoApp`` enforces that, it reads the body).

uvicorn's httptools protocol has no limit on the size of the headers either: the protocol counts
the bytes of a request's line and headers as they arrive and answers 431 past ``MAX_HEADER_BYTES``.

A connection closed while the client is still sending (a refused body, say) would be reset by the
kernel, and a client that writes its whole request before reading (Python's urllib, suds) would
lose the answer. So, as nginx does, such a connection lingers: the answer is written, the sending
side shut, and whatever still arrives is dropped until the client closes, for at most
``LINGER_SECONDS`` and ``LINGER_BYTES``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from twoco.core.errors import ApiError
from twoco.protocols import error_response

READ_TIMEOUT = 20  # seconds for a request's headers, and again for its body
MAX_HEADER_BYTES = 64 * 1024  # a request line and headers larger than this are answered 431
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)
GRACEFUL_SHUTDOWN = (
    30  # seconds in-flight requests get to finish after SIGTERM; longer than a request can take to arrive
)
LINGER_SECONDS = 5  # how long a connection closed mid-request goes on reading what the client still sends
LINGER_BYTES = 32 * 1024 * 1024  # and how much of it


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline and a size limit for each request's headers,
    and a lingering close.

    The deadline is the ``read_timeout`` attribute of the uvicorn Config (``READ_TIMEOUT`` without one).
    """

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.read_timeout: float = getattr(config, "read_timeout", READ_TIMEOUT)
        self._headers_deadline: asyncio.TimerHandle | None = None
        self._header_bytes: int | None = 0  # of the request whose headers are arriving; None in a body
        self._message_complete = True  # whether the current request has been read to its end
        self._linger_left: int | None = None  # bytes still to drop while lingering; None otherwise
        self._linger_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_headers_deadline()

    def data_received(self, data: bytes) -> None:
        if self._linger_left is not None:
            self._drop(len(data))
            return
        if self._header_bytes is not None:
            room = MAX_HEADER_BYTES - self._header_bytes
            if len(data) > room:  # feed what fits: the headers may end there, and a body follow
                head, data = data[:room], data[room:]
                self._header_bytes = MAX_HEADER_BYTES
                super().data_received(head)
                if self.transport.is_closing() or self._linger_left is not None:
                    return
                if self._header_bytes == MAX_HEADER_BYTES:  # still the same request's headers
                    self._headers_too_large()
                    return
            else:
                self._header_bytes += len(data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._message_complete = False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._cancel_headers_deadline()
        self._header_bytes = None
        super().on_headers_complete()
        if self.cycle is not None:  # the request's view of the connection: closing it lingers
            self.cycle.transport = _LingeringClose(self)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        self._message_complete = True
        self._header_bytes = 0  # the next request's headers (counted from the next chunk on)
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if self._linger_left is not None:  # closing: no pipelined request, no keep-alive
            self.server_state.total_requests += 1
            return
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # now waiting for the next request's headers
            self._start_headers_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_deadline()
        if self._linger_deadline is not None:
            self._linger_deadline.cancel()
        super().connection_lost(exc)

    def close_after_answer(self) -> None:
        """Close, lingering if the client may still be sending the request."""
        if self._message_complete or self.transport.is_closing():
            self.transport.close()
        else:
            self._linger()

    def _linger(self) -> None:
        self._cancel_headers_deadline()
        self._unset_keepalive_if_required()
        self._linger_left = LINGER_BYTES
        self._linger_deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        if self.transport.can_write_eof():  # the answer is all there is: the client may read to the end
            self.transport.write_eof()
        self.flow.resume_reading()  # reading may have paused on a body nobody read

    def _drop(self, size: int) -> None:
        self._linger_left = (self._linger_left or 0) - size
        if self._linger_left < 0:
            self.transport.close()

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
        self._write_refusal(ApiError("REQUEST_TIMEOUT", timeout=_seconds(self.read_timeout)))
        self.transport.close()

    def _headers_too_large(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined request while one is answered: no answer can go in between
            return
        self._write_refusal(ApiError("REQUEST_HEADER_TOO_LARGE", limit=MAX_HEADER_BYTES))
        self._linger()

    def _write_refusal(self, error: ApiError) -> None:
        answer = error_response(error)
        head = [
            STATUS_LINE[answer.status],
            f"content-type: {answer.content_type}\r\ncontent-length: {len(answer.body)}\r\n".encode(),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + answer.body)


class _LingeringClose:
    """The connection's transport, but for ``close``, which waits for the client to stop sending."""

    def __init__(self, protocol: HeaderTimeoutProtocol) -> None:
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._protocol.transport, name)

    def close(self) -> None:
        self._protocol.close_after_answer()


def _seconds(value: float) -> str:
    return f"{value:g}"
