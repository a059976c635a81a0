"""twoco without a socket: an ``httpx`` transport that hands each request to a TwocoApp in this process.

    from twoco.testing import in_process

    with in_process() as twoco:                      # a temporary SQLite store, the merchant TEST
        client = twoco.client("jsonrpc")             # a twoco.client.Client over the transport
        reference = client.create_customer({...})
        twoco.http.get("/_twoco/health")             # an httpx.Client over it, for raw requests

Each request becomes the :class:`twoco.server.request.Request` the ASGI wrapper builds (method, raw
path, query, body, lower-cased headers, client address, scheme) and goes through
:meth:`TwocoApp.answer` on the calling thread: routing, the protocols, the store, the access
log and the journal are the server's own, built by ``twoco serve``'s ``build_app``. What only a
socket has is not there: uvicorn's HTTP parsing, the header deadline and size limit (408, 431),
the body deadline, lingering close, the event loop's retries of a call which found its row
locked (STORE_BUSY is answered at once), and what runs beside the requests: notifications are
written to the inbox, not delivered.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from tempfile import TemporaryDirectory
from typing import Any, TextIO, cast

import httpx

from twoco.client import Client
from twoco.core.errors import ApiError
from twoco.core.settings import Settings
from twoco.core.validation import ascii_integer
from twoco.protocols import Response, error_response
from twoco.server.app import DEFAULT_MAX_BODY, TwocoApp
from twoco.server.process import ServeOptions, build_app, prepare_store
from twoco.server.request import Request
from twoco.testing import DEFAULT_MERCHANT, TwocoServer, _ensure_merchant

DEFAULT_URL = "http://twoco.test"  # the host requests name; nothing listens there
OPERATOR_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as twoco serve logs


class InProcessTransport(httpx.BaseTransport):
    """An ``httpx`` transport answering every request with ``app`` (a TwocoApp), in this process.

    ``client`` is the address the app sees requests come from (login throttling, SSO pages and
    the access log use it). Requests run on the calling thread, each in a copy of its context.
    """

    def __init__(self, app: TwocoApp, *, client: str = "127.0.0.1") -> None:
        self.app = app
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # As the ASGI wrapper (TwocoApp.__call__): names lower-cased, the last of a repeated header wins.
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in request.headers.raw}
        body = self._body_or_refusal(headers, request)
        if isinstance(body, Response):
            response = body
        else:
            path, _, query = request.url.raw_path.decode("latin-1").partition("?")
            twoco_request = Request(request.method, path, query, body, headers, self.client, request.url.scheme)
            response = contextvars.copy_context().run(self.app.answer, twoco_request)
            if response.delay:  # an injected delay, slept as the server sleeps it
                time.sleep(response.delay)
        raw_headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *((name.encode(), value.encode()) for name, value in response.headers),
        ]
        content = b"" if request.method == "HEAD" else response.body
        return httpx.Response(response.status, headers=raw_headers, content=content, request=request)

    def _body_or_refusal(self, headers: dict[str, str], request: httpx.Request) -> bytes | Response:
        """The body, or the 413 the server answers past its ``max_body`` (judged by Content-Length first)."""
        limit = self.app.max_body
        declared = ascii_integer(headers.get("content-length", ""), 20)
        chunks: list[bytes] = []
        size = 0
        if declared is None or declared <= limit:
            for chunk in cast(httpx.SyncByteStream, request.stream):  # a sync client's request: a sync stream
                size += len(chunk)
                if size > limit:
                    break
                chunks.append(chunk)
        if (declared is not None and declared > limit) or size > limit:
            refusal = error_response(ApiError("REQUEST_TOO_LARGE", limit=limit))
            refusal.headers.append(("connection", "close"))
            return refusal
        return b"".join(chunks)


@dataclass
class InProcessTwoco(TwocoServer):
    """A :class:`twoco.testing.TwocoServer` answered in this process: ``url`` names no socket;
    ``http`` is an ``httpx.Client`` over ``transport`` with ``url`` as its base, and
    :meth:`client` makes clients that use it."""

    transport: InProcessTransport = field(repr=False, kw_only=True)
    http: httpx.Client = field(repr=False, kw_only=True)

    def client(self, protocol: str = "soap", version: str = "6.0", **options: Any) -> Client:
        options.setdefault("http", self.http)
        return super().client(protocol, version, **options)

    def _control(self, path: str, command: dict[str, object]) -> None:
        answer = self.http.post(f"/_twoco/{path}", json=command)
        if answer.status_code != 200:
            raise RuntimeError(f"POST /_twoco/{path} answered {answer.status_code}: {answer.text[:200]}")


@contextmanager
def in_process(
    merchant_code: str | None = DEFAULT_MERCHANT,
    secret_key: str | None = None,
    *,
    db: str | None = None,
    settings: Settings | None = None,
    seed: int | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    control_plane: bool = True,
    log: TextIO | None = None,
    log_format: str = "text",
    url: str = DEFAULT_URL,
    client: str = "127.0.0.1",
) -> Iterator[InProcessTwoco]:
    """A TwocoApp built as ``twoco serve`` builds it, answering over an in-process transport until the block ends.

    The store is a new SQLite file in a temporary directory, removed afterwards, unless ``db``
    names one (its schema is brought up to date). The merchant ``merchant_code`` is added with
    ``secret_key`` (generated unless given), as by :func:`twoco.testing.run_twoco`; ``None``
    adds none (``secret_key`` is then ``""``). ``settings``, ``seed``, ``max_body`` and
    ``control_plane`` are as for ``twoco serve``. With ``log``, a text stream, the access log
    (``log_format``) and the operator messages (WARNING and up, tracebacks of internal errors)
    are written there. ``client`` is the address requests come from.
    """
    with TemporaryDirectory(prefix="twoco-") as directory:
        db_url = db or f"sqlite:///{directory}/twoco.sqlite3"
        if merchant_code is None:
            prepare_store(db_url).close()  # the schema, as twoco serve brings it up to date
            key = ""
        else:
            key = _ensure_merchant(db_url, merchant_code, secret_key)
        options = ServeOptions(
            db=db_url,
            settings=settings or Settings(),
            seed=seed,
            max_body=max_body,
            control_plane=control_plane,
            log_format=log_format if log is not None else None,
        )
        app = build_app(options)
        handler = None
        if log is not None:
            assert app.access_log is not None
            app.access_log.stream = log
            handler = logging.StreamHandler(log)
            handler.setFormatter(logging.Formatter(OPERATOR_FORMAT))
            handler.setLevel(logging.WARNING)
            logging.getLogger("twoco").addHandler(handler)
        transport = InProcessTransport(app, client=client)
        http = httpx.Client(transport=transport, base_url=url)
        try:
            yield InProcessTwoco(url, merchant_code or "", key, db_url, app, transport=transport, http=http)
        finally:
            http.close()
            if handler is not None:
                logging.getLogger("twoco").removeHandler(handler)
            app.close()
