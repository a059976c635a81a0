"""The HTTP layer: an ASGI application that routes to the protocol adapters.

Routing and answering are synchronous and I/O-free (:meth:`TwocoApp.handle` takes a :class:`Request`
and returns a :class:`Response`); the ASGI wrapper only reads the body (refusing oversized ones
before reading them) and writes the answer. Every step reads where the request goes from its
:class:`~twoco.server.request.Target`, made once with the request.

The app runs every call on the event loop itself, in a greenlet of its own, whose waits the store
hands to the loop, which serves other calls meanwhile (``twoco.core.green``): PostgreSQL's round
trips, SQLite's commit on its thread (a thread hop for the whole call would cost more than the
call). A PostgreSQL call whose row lock did not come within the store's short lock timeout
(``STORE_BUSY``) rolled back whole: it waits here, on the event loop, and runs again for up to
``lock_wait`` seconds, after ``twoco.core.retry``'s pauses. So calls waiting for a lock hold nothing
that other customers' calls need, however many wait, and what needs no store (health, the WSDL, the
OpenAPI document) answers at once. A write whose commit is not yet durable (SQLite's group commit)
waits for its flush here too, on the loop: other calls go on meanwhile, and share the next flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from twoco.core import green, retry
from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.outage import SLOW, StoreUnavailable, StoreUnconfirmed
from twoco.core.port import ServedStore
from twoco.core.registry import VERSIONS
from twoco.core.service import Service
from twoco.core.validation import ascii_integer
from twoco.domains import DomainStore
from twoco.protocols import Response, error_response, internal_error
from twoco.protocols.jsonrpc import JsonRpcAdapter
from twoco.protocols.openapi import openapi_document
from twoco.protocols.rest import RestAdapter
from twoco.protocols.soap.adapter import SoapAdapter
from twoco.protocols.soap.wsdl import SOAP_ENCODING_SCHEMA
from twoco.sandbox.control import ControlPlane
from twoco.sandbox.journal import RequestJournal
from twoco.server.access_log import AccessLog
from twoco.server.deliveries import DEFAULT_TIMEOUT as NOTIFY_TIMEOUT
from twoco.server.deliveries import Deliveries, probe_from_call
from twoco.server.due_work import settle_forever
from twoco.server.payment_pages import PaymentPages
from twoco.server.request import Kind, Request
from twoco.server.sso_pages import SsoPages
from twoco.server.wire import READ_TIMEOUT
from twoco.store import STATEMENT_TIMEOUT

log = logging.getLogger("twoco.server.app")

DEFAULT_MAX_BODY = 1024 * 1024
LOCK_WAIT = 5.0  # seconds a call may keep retrying a row lock another call holds, then STORE_BUSY
# Seconds past the store timeout that a call is waited for: more than PostgreSQL's own margin
# for one round trip (twoco.store.postgres), whose answer says more.
CALL_MARGIN = 5.0


@dataclass
class _Attempt:
    """One run of a request through :meth:`TwocoApp.handle`, with what the log needs of it."""

    response: Response
    exchange: Exchange
    unflushed: Future[None] | None = None  # done when its writes are durable

    @property
    def busy(self) -> bool:
        """Whether it met a row held by another call: it changed nothing and may run again
        (not a batch, whose other calls went through)."""
        return self.exchange.error_code == "STORE_BUSY" and self.exchange.operation != "batch"


class TwocoApp:
    def __init__(
        self,
        service: Service[DomainStore],
        store: ServedStore,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        control_plane: bool = True,
        access_log: AccessLog | None = None,
        read_timeout: float = READ_TIMEOUT,
        lock_wait: float = LOCK_WAIT,
        store_timeout: float = STATEMENT_TIMEOUT,
        notify_timeout: float = NOTIFY_TIMEOUT,
    ) -> None:
        self.service = service
        self.store = store  # the service's, as the server sees it: its health, its durability, its close
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.lock_wait = lock_wait
        self.store_timeout = store_timeout  # seconds a commit may take to become durable
        self.access_log = access_log
        self.soap = {version: SoapAdapter(service, version) for version in VERSIONS}
        self.jsonrpc = {version: JsonRpcAdapter(service, version) for version in VERSIONS}
        self.rest = {version: RestAdapter(service, version) for version in VERSIONS}
        # The journal keeps request bodies: a sandbox tool, off with the control plane.
        self.journal = RequestJournal() if control_plane else None
        # The notifications' deliveries (run by the lifespan); the control plane probes URLs being
        # saved, and pokes the deliveries when it moves the clock or resends.
        self.deliveries = Deliveries(service, store, notify_timeout)
        self.control = ControlPlane(
            service,
            store,
            control_plane,
            self.journal,
            lambda url: probe_from_call(url, notify_timeout),
            self.deliveries.poke,
        )
        self.payment_pages = PaymentPages(service)  # where a payment waiting for its shopper leads
        self.sso_pages = SsoPages(service)  # where single sign-on links lead: part of the API, always on

    def close(self) -> None:
        self.store.close()

    def handle(self, request: Request, exchange: Exchange | None = None) -> Response:
        """The answer to ``request``; what happened to it is noted in ``exchange``."""
        exchange = exchange or Exchange(request.client, request.base_url)
        target = request.target
        try:
            if target.kind is Kind.SCHEMA:
                return Response(200, SOAP_ENCODING_SCHEMA, "text/xml; charset=utf-8")
            if target.kind is Kind.SOAP:
                return self._soap(self.soap[target.version], request, exchange)
            if target.kind is Kind.RPC:
                return self._jsonrpc(self.jsonrpc[target.version], request, exchange)
            if target.kind is Kind.REST or target.kind is Kind.BARE_REST:
                return self._rest(self.rest[target.version], request, exchange)
            if target.kind is Kind.CONTROL:
                answer = self.control.handle(
                    request.method, target.subpath, request.query, request.body, request.headers.get("content-type", "")
                )
                if answer is not None:
                    return answer
            if target.kind is Kind.PAYMENT:
                return self.payment_pages.handle(request.method, target.subpath, request.query, request.body, exchange)
            if target.kind is Kind.SSO:
                return self.sso_pages.handle(request.method, target.page, request.query, exchange)
            raise ApiError("ENDPOINT_NOT_FOUND", path=request.path[:200])
        except ApiError as error:
            failure = error
        except Exception:  # REST's too: its adapter answers errors as this does
            failure = internal_error(log, f"{request.method} {request.path[:200]}")
        exchange.error_code = failure.code
        return error_response(failure)

    def answer(self, request: Request) -> Response:
        """``handle`` once its writes are durable, then the access-log line, the journal entry and
        any injected delay: the whole answer on the calling thread (the in-process transport's)."""
        started = time.perf_counter()
        attempt = self._attempt(request, Exchange(request.client, request.base_url))
        if attempt.unflushed is not None:
            try:
                attempt.unflushed.result(self.store_timeout)
            except (StoreUnconfirmed, TimeoutError) as error:
                attempt = self._not_durable(request, attempt.exchange, error)
        return self._finish(request, attempt, started)

    def _attempt(self, request: Request, exchange: Exchange) -> _Attempt:
        with self.store.deferred_durability() as durability:
            response = self.handle(request, exchange)
        response.delay = exchange.delay
        return _Attempt(response, exchange, durability.pending)

    async def _answer_awaiting(self, request: Request) -> Response:
        """``answer``, run by the store on the loop, retrying a call that found its record locked,
        and awaiting the flush that makes its writes durable (see the module's doc)."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.lock_wait
        attempt = await self._run_attempt(request)
        for pause in retry.pauses():
            if not attempt.busy or time.monotonic() + pause >= deadline:
                break
            await asyncio.sleep(pause)
            attempt = await self._run_attempt(request)
        if attempt.unflushed is not None:
            try:
                async with asyncio.timeout(self.store_timeout):
                    await _on_loop(attempt.unflushed)
            except (StoreUnconfirmed, TimeoutError) as error:
                attempt = self._not_durable(request, attempt.exchange, error)
        return self._finish(request, attempt, started)

    async def _run_attempt(self, request: Request) -> _Attempt:
        """An attempt, run on the loop in a greenlet of its own (see the module's doc). A store that
        gives up calls (PostgreSQL) has it given up after the store timeout and CALL_MARGIN, since a
        frozen server must not keep the client waiting for ever: STORE_UNCONFIRMED when it had begun
        (what it changed, if anything, is unknown), else STORE_UNAVAILABLE. (A statement under way is
        first cancelled on the server, which psycopg waits for up to 5 s more.) SQLite's are not given
        up: they wait for their turn to write (``lock_wait``), their commit (a disk that hangs holds
        it) and their flush (below)."""
        exchange = Exchange(request.client, request.base_url)
        began = False

        def ended(call: green.LoopCall) -> None:
            nonlocal began
            began = self.store.end_call(call)

        if not self.store.gives_up_calls:
            return await green.run(self._attempt, request, exchange, ended=ended)
        limit = self.store_timeout + CALL_MARGIN
        try:
            async with asyncio.timeout(limit):
                return await green.run(self._attempt, request, exchange, ended=ended)
        except TimeoutError:
            if began:
                error: StoreUnavailable = StoreUnconfirmed(SLOW, f"a call did not finish within {limit:g} s")
            else:
                error = StoreUnavailable(SLOW, f"no store connection came free within {limit:g} s")
            self.store.health.failed(error)
            return self._refused(request, exchange, error)

    def _not_durable(self, request: Request, exchange: Exchange, error: BaseException) -> _Attempt:
        """The answer to a call whose changes the disk did not confirm (their flush failed, or took
        longer than the store timeout): other calls may see them, but they may not survive a
        crash, so they are not acknowledged."""
        if not isinstance(error, StoreUnconfirmed):
            error = StoreUnconfirmed(SLOW, f"the disk did not confirm a commit within {self.store_timeout:g} s")
            self.store.health.failed(error)  # (a failed flush was noted by the store)
        return self._refused(request, exchange, error)

    def _refused(self, request: Request, exchange: Exchange, error: ApiError) -> _Attempt:
        """``error`` as the call's protocol answers it, for a call the store failed outside ``handle``."""
        exchange.error_code = error.code
        target = request.target
        if target.kind is Kind.SOAP:
            response = self.soap[target.version].fault(error, exchange)
        elif target.kind is Kind.RPC:
            response = self.jsonrpc[target.version].failed_afterwards(request.body, error)
        else:
            response = error_response(error)
        return _Attempt(response, exchange)

    def _finish(self, request: Request, attempt: _Attempt, started: float) -> Response:
        response = attempt.response
        if self.access_log is None and self.journal is None:
            return response
        exchange = attempt.exchange
        operation = exchange.operation
        if exchange.protocol == "http" and not operation and not exchange.error_code:
            operation = request.path.split("?")[0][:100]  # a page or document: its path says what it was
        error = exchange.error_code or ("" if response.status < 400 else f"HTTP_{response.status}")
        fields: dict[str, Any] = {
            "protocol": exchange.protocol,
            "operation": operation,
            "merchant": exchange.merchant_code,
            "outcome": error or "ok",
            "status": response.status,
        }
        duration = time.perf_counter() - started
        if self.access_log is not None:
            self.access_log.write(client=request.client, duration=duration, **fields)
        if self.journal is not None and request.target.journaled:
            self.journal.record(
                method=request.method,
                path=request.path + (f"?{request.query}" if request.query else ""),
                request_body=request.body,
                response_body=response.body,
                duration_ms=round(duration * 1000, 3),
                ignored_fields=exchange.ignored_fields,  # what production would silently drop
                **fields,
            )
        return response

    def _jsonrpc(self, adapter: JsonRpcAdapter, request: Request, exchange: Exchange) -> Response:
        if request.method != "POST":
            raise ApiError("METHOD_NOT_ALLOWED", method=request.method[:20], allowed="POST")
        return adapter.handle(request.body, exchange, request.headers.get("content-type", ""))

    def _rest(self, adapter: RestAdapter, request: Request, exchange: Exchange) -> Response:
        target = request.target
        if target.subpath == "openapi.json" and request.method in ("GET", "HEAD"):
            return Response(200, openapi_document(adapter.version), "application/json")
        headers, body = request.headers, request.body
        return adapter.handle(request.method, target.subpath, request.query, headers, body, exchange, target.base)

    def _soap(self, adapter: SoapAdapter, request: Request, exchange: Exchange) -> Response:
        if request.method == "POST":
            headers = request.headers
            return adapter.handle(request.body, exchange, headers.get("content-type", ""), headers.get("soapaction"))
        query = parse_qs(request.query, keep_blank_values=True)
        if request.method in ("GET", "HEAD") and any(key.lower() == "wsdl" for key in query):
            return adapter.wsdl(request.base_url)
        if request.method in ("GET", "HEAD"):
            raise ApiError("MALFORMED_REQUEST", reason="GET serves the WSDL only with ?wsdl; SOAP calls are POSTed")
        raise ApiError("METHOD_NOT_ALLOWED", method=request.method[:20], allowed="GET, HEAD, POST")

    # --- ASGI -----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
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
            if request.target.needs_no_store(request.method):
                response = self.answer(request)
            else:
                response = await self._answer_awaiting(request)
            if response.delay:
                await asyncio.sleep(response.delay)
        raw_headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *((name.encode(), value.encode()) for name, value in response.headers),
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else response.body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        """From startup to shutdown, what falls due on the sandbox clock is done beside the requests:
        orders complete, notifications go."""
        beside: list[asyncio.Task[None]] = []
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                beside = [
                    asyncio.create_task(settle_forever(self.service, self.store)),
                    asyncio.create_task(self.deliveries.run_forever()),
                ]
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in beside:
                    task.cancel()
                for task in beside:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await send({"type": "lifespan.shutdown.complete"})
                return

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


def _on_loop(done: Future[None]) -> asyncio.Future[None]:
    """A future of the running loop with the outcome of ``done`` (completed on another thread);
    cancelling it leaves ``done`` alone (asyncio.wrap_future would cancel it too)."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def copy(outcome: Future[None]) -> None:
        if waiter.done():  # given up on
            return
        failure = outcome.exception()
        if failure is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(failure)

    done.add_done_callback(lambda outcome: loop.call_soon_threadsafe(copy, outcome))
    return waiter
