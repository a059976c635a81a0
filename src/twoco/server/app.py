"""The HTTP layer: an ASGI application that routes to the protocol adapters.

Routing and answering are synchronous and I/O-free (:meth:`TwocoApp.handle` takes a
:class:`Request` and returns a :class:`Response`); the ASGI wrapper only reads the body
(refusing oversized ones before reading them) and writes the answer.

On a store reached over the network, calls run on threads. A call whose row lock did not come
within the store's short lock timeout (``STORE_BUSY``) rolled back whole: it waits here, on the
event loop, and runs again on a lane of its own, for up to ``lock_wait`` seconds. So calls waiting
for a lock hold no thread that other customers' calls need, however many wait, and what needs no
store (health, the WSDL, the OpenAPI document) answers on the loop even while every thread waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from twoco.core.errors import ApiError
from twoco.core.registry import BARE_REST_VERSIONS, REST_VERSIONS, VERSIONS
from twoco.core.service import CURRENT_MERCHANT, Service
from twoco.core.sso import BASE_URL
from twoco.core.validation import ascii_integer
from twoco.protocols import CURRENT_OUTCOME, Outcome, Response, error_response, new_outcome
from twoco.protocols.jsonrpc import JsonRpcAdapter
from twoco.protocols.openapi import openapi_document
from twoco.protocols.rest import RestAdapter
from twoco.protocols.soap.adapter import SoapAdapter
from twoco.protocols.soap.wsdl import SCHEMA_PATH, SOAP_ENCODING_SCHEMA
from twoco.sandbox.control import ControlPlane
from twoco.sandbox.faults import PENDING_DELAY
from twoco.sandbox.journal import RequestJournal
from twoco.server.access_log import AccessLog
from twoco.server.sso_pages import SsoPages
from twoco.server.wire import READ_TIMEOUT

log = logging.getLogger("twoco.server.app")

DEFAULT_MAX_BODY = 1024 * 1024
LOCK_WAIT = 5.0  # seconds a call may keep retrying a row lock another call holds, then STORE_BUSY
WAITING_THREADS = 4  # threads for the retries of calls that found their row locked


@dataclass
class Request:
    method: str
    path: str  # as sent: percent-encoded
    query: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    client: str = ""
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.headers.get('host', 'localhost')}"


@dataclass
class _Attempt:
    """One run of a request through :meth:`TwocoApp.handle`, with what the log needs of it."""

    response: Response
    outcome: Outcome | None
    merchant_id: int | None

    @property
    def busy(self) -> bool:
        """Whether it met a row held by another call: it changed nothing and may run again
        (not a batch, whose other calls went through)."""
        return (
            self.outcome is not None and self.outcome.error_code == "STORE_BUSY" and self.outcome.operation != "batch"
        )


class TwocoApp:
    def __init__(
        self,
        service: Service,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        control_plane: bool = True,
        access_log: AccessLog | None = None,
        read_timeout: float = READ_TIMEOUT,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.service = service
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.lock_wait = lock_wait
        self.access_log = access_log
        # A store reached over the network (PostgreSQL) spends most of a call waiting: calls then
        # run on a few threads, one connection each. SQLite answers in microseconds: calls run inline.
        threads = service.store.dialect.call_threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="twoco-call") if threads else None
        self._waiting = ThreadPoolExecutor(WAITING_THREADS, thread_name_prefix="twoco-wait") if threads else None
        self.soap = {version: SoapAdapter(service, version) for version in VERSIONS}
        self.jsonrpc = {version: JsonRpcAdapter(service, version) for version in VERSIONS}
        self.rest = {version: RestAdapter(service, version) for version in REST_VERSIONS}
        # The journal keeps request bodies: a sandbox tool, off with the control plane.
        self.journal = RequestJournal() if control_plane else None
        self.control = ControlPlane(service, control_plane, self.journal)
        self.sso_pages = SsoPages(service)  # where single sign-on links lead: part of the API, always on

    def close(self) -> None:
        """Finish the calls in flight and close the store."""
        for executor in (self._executor, self._waiting):
            if executor is not None:
                executor.shutdown(wait=True)
        self.service.store.close()

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        BASE_URL.set(request.base_url)  # SSO links point back at the host the call came in on
        try:
            if path == SCHEMA_PATH:
                return Response(200, SOAP_ENCODING_SCHEMA, "text/xml; charset=utf-8")
            protocol, _, rest = path[1:].partition("/")
            version, _, subpath = rest.partition("/")
            if protocol == "soap" and version in self.soap and not subpath:
                return self._soap(self.soap[version], request)
            if protocol == "rpc" and version in self.jsonrpc and not subpath:
                return self._jsonrpc(self.jsonrpc[version], request)
            if protocol == "rest" and version in self.rest:
                return self._rest(self.rest[version], subpath, request)
            if protocol in BARE_REST_VERSIONS:  # /3.0/customers/…: the legacy REST base
                return self._rest(self.rest[protocol], rest, request, f"/{protocol}")
            if path == "/_twoco" or path.startswith("/_twoco/"):  # /_twoco/ itself is the dashboard
                answer = self.control.handle(request.method, path[len("/_twoco/") :], request.query, request.body)
                if answer is not None:
                    return answer
            sso_kind = self.sso_pages.kind_of(path)
            if sso_kind is not None:
                return self.sso_pages.handle(request.method, sso_kind, request.query, request.client)
            raise ApiError("ENDPOINT_NOT_FOUND", path=request.path[:200])
        except ApiError as error:
            (CURRENT_OUTCOME.get() or new_outcome("http")).error_code = error.code
            return error_response(error)
        except Exception:
            log.exception("internal error on %s %s", request.method, request.path[:200])
            (CURRENT_OUTCOME.get() or new_outcome("http")).error_code = "INTERNAL_ERROR"
            return error_response(ApiError("INTERNAL_ERROR"))

    def answer(self, request: Request) -> Response:
        """``handle``, then the access-log line, the journal entry and any injected delay."""
        started = time.perf_counter()
        return self._finish(request, self._attempt(request), started)

    def _attempt(self, request: Request) -> _Attempt:
        CURRENT_OUTCOME.set(None)
        CURRENT_MERCHANT.set(None)
        PENDING_DELAY.set(0.0)
        response = self.handle(request)
        response.delay = PENDING_DELAY.get()
        return _Attempt(response, CURRENT_OUTCOME.get(), CURRENT_MERCHANT.get())

    async def _answer_on_threads(self, request: Request) -> Response:
        """``answer`` on the call threads, retrying a call that found its row locked (see the module's doc)."""
        assert self._executor is not None and self._waiting is not None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        deadline = time.monotonic() + self.lock_wait
        attempt = await loop.run_in_executor(self._executor, self._attempt, request)
        pause = 0.01
        while attempt.busy and time.monotonic() + pause < deadline:
            await asyncio.sleep(random.uniform(pause / 2, pause))  # jittered: waiters come back apart
            pause = min(pause * 2, 0.25)
            attempt = await loop.run_in_executor(self._waiting, self._attempt_before, deadline, request) or attempt
        return self._finish(request, attempt, started)

    def _attempt_before(self, deadline: float, request: Request) -> _Attempt | None:
        """Another attempt, unless the deadline passed while it queued for a waiting thread."""
        return self._attempt(request) if time.monotonic() < deadline else None

    def _finish(self, request: Request, attempt: _Attempt, started: float) -> Response:
        response = attempt.response
        if self.access_log is None and self.journal is None:
            return response
        outcome = attempt.outcome or Outcome("http", request.path.split("?")[0][:100])
        merchant_id = attempt.merchant_id
        error = outcome.error_code or ("" if response.status < 400 else f"HTTP_{response.status}")
        fields = {
            "protocol": outcome.protocol,
            "operation": outcome.operation,
            "merchant": self.service.merchant_code(merchant_id) if merchant_id is not None else "",
            "outcome": error or "ok",
            "status": response.status,
        }
        duration = time.perf_counter() - started
        if self.access_log is not None:
            self.access_log.write(client=request.client, duration=duration, **fields)
        if self.journal is not None and not request.path.startswith("/_twoco/"):
            self.journal.record(
                method=request.method,
                path=request.path + (f"?{request.query}" if request.query else ""),
                request_body=request.body,
                response_body=response.body,
                duration_ms=round(duration * 1000, 3),
                ignored_fields=outcome.ignored_fields,  # what production would silently drop
                **fields,
            )
        return response

    def _jsonrpc(self, adapter: JsonRpcAdapter, request: Request) -> Response:
        if request.method != "POST":
            raise ApiError("METHOD_NOT_ALLOWED", method=request.method[:20], allowed="POST")
        return adapter.handle(request.body, request.client, request.headers.get("content-type", ""))

    def _rest(self, adapter: RestAdapter, subpath: str, request: Request, base: str = "") -> Response:
        if subpath == "openapi.json" and request.method in ("GET", "HEAD"):
            return Response(200, openapi_document(adapter.version), "application/json")
        return adapter.handle(
            request.method, subpath, request.query, request.headers, request.body, request.client, base
        )

    def _soap(self, adapter: SoapAdapter, request: Request) -> Response:
        if request.method == "POST":
            headers = request.headers
            return adapter.handle(
                request.body, request.client, headers.get("content-type", ""), headers.get("soapaction")
            )
        query = parse_qs(request.query, keep_blank_values=True)
        if request.method in ("GET", "HEAD") and any(key.lower() == "wsdl" for key in query):
            return adapter.wsdl(request.base_url)
        if request.method in ("GET", "HEAD"):
            raise ApiError("MALFORMED_REQUEST", reason="GET serves the WSDL only with ?wsdl; SOAP calls are POSTed")
        raise ApiError("METHOD_NOT_ALLOWED", method=request.method[:20], allowed="GET, HEAD, POST")

    @staticmethod
    def _needs_no_store(request: Request) -> bool:
        """Whether the answer is made without the store: health, schemas, the WSDL, OpenAPI."""
        path = request.path.rstrip("/")
        if path in (SCHEMA_PATH, "/_twoco/health"):
            return True
        protocol, _, rest = path[1:].partition("/")
        return request.method in ("GET", "HEAD") and (protocol == "soap" or rest.endswith("/openapi.json"))

    # --- ASGI -----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        body = await self._body_or_refusal(headers, receive)
        if isinstance(body, Response):
            response = body
        else:
            client = scope.get("client")
            request = Request(
                scope["method"],
                scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                scope.get("query_string", b"").decode("latin-1"),
                body,
                headers,
                client[0] if client else "",
                scope.get("scheme", "http"),
            )
            if self._executor is None or self._needs_no_store(request):
                response = self.answer(request)
            else:
                response = await self._answer_on_threads(request)
            if response.delay:
                await asyncio.sleep(response.delay)
        raw_headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *((name.encode(), value.encode()) for name, value in response.headers),
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else response.body})

    async def _body_or_refusal(self, headers: dict[str, str], receive: Any) -> bytes | Response:
        """The body, or the answer refusing it: too large, or not all there within ``read_timeout`` seconds
        (a body trickled in slowly holds no connection for long)."""
        try:
            async with asyncio.timeout(self.read_timeout):
                body = await self._read_body(headers, receive)
        except TimeoutError:
            refusal = error_response(ApiError("REQUEST_TIMEOUT", timeout=f"{self.read_timeout:g}"))
            refusal.headers.append(("connection", "close"))  # the rest of the body is not worth waiting for
            return refusal
        if body is not None:
            return body
        refusal = error_response(ApiError("REQUEST_TOO_LARGE", limit=self.max_body))
        refusal.headers.append(("connection", "close"))  # the rest is dropped as it arrives (twoco.server.wire)
        return refusal

    async def _read_body(self, headers: dict[str, str], receive: Any) -> bytes | None:
        """The whole body, or None when it is over the limit (judged by Content-Length first)."""
        declared = ascii_integer(headers.get("content-length", ""), 20)
        if declared is not None and declared > self.max_body:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
