"""The notifications' deliveries, beside the requests: each due notification POSTed to its URL,
its answer judged, the attempt kept (``twoco.domains.notifications.deliveries``).

:class:`Deliveries` runs from the ASGI lifespan's startup to its shutdown. Every ``INTERVAL``
seconds (or at once when poked: a clock moved) it asks the store which URLs have a notification
due and none under way, and starts a lane per URL, up to ``LANES`` at a time: a lane delivers the
URL's due notifications one after another, oldest first, until none is due. So a URL that hangs
holds its own lane only, for at most ``timeout`` seconds an attempt, and no API call waits on a
delivery: the store calls run on the loop as a request's do (``twoco.core.green``), the POSTs with
``httpx``'s asynchronous client. An answer is read up to ``READ_LIMIT`` bytes; redirects are not
followed (2Checkout's are not documented; a handler answers where it is).

Several processes or instances may run it on one store: a notification is leased before its
attempt (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so each attempt is made by one of them. An
attempt made is kept even when its record meets a lock another call holds (STORE_BUSY): the
record is tried again, as a request's call is, while the lease lasts, since an attempt left
unrecorded is made again once its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from twoco.core import green, retry
from twoco.core.outage import StoreBusy, StoreUnavailable
from twoco.core.port import ServedStore
from twoco.core.service import Service
from twoco.domains import DomainStore
from twoco.domains.notifications import deliveries
from twoco.domains.notifications.deliveries import Answer, form_body
from twoco.domains.notifications.records import Notification
from twoco.version import __version__

log = logging.getLogger("twoco.server.deliveries")
_R = TypeVar("_R")

INTERVAL = 0.25  # seconds between looks for due notifications
AFTER_FAILURE = 2.0  # seconds to wait after a look the store refused
LEASE_MARGIN = 1.0  # seconds before its lease runs out that an attempt's record stops being retried
LANES = 32  # URLs delivered to at once, per process
DUE_URLS = 200  # URLs asked for at a time
READ_LIMIT = 65536  # bytes of an answer read: a receipt is short
DEFAULT_TIMEOUT = 10.0  # seconds an attempt may take, answer included (2Checkout's is not documented)
USER_AGENT = f"twoco/{__version__} (2Checkout notifications)"
HEADERS = {"content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT}


class Deliveries:
    def __init__(self, service: Service[DomainStore], store: ServedStore, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.service = service
        self.store = store
        self.timeout = timeout
        self.lease = 2 * timeout + 5.0  # real seconds: outlives an attempt and its record
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._poked = asyncio.Event()

    def poke(self) -> None:
        """Look for due notifications now (the clock moved, a notification was resent)."""
        self._poked.set()

    async def run_forever(self) -> None:
        """Runs until cancelled (the server's shutdown), its lanes with it."""
        async with httpx.AsyncClient(follow_redirects=False, headers=HEADERS) as client:
            try:
                while True:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(INTERVAL):
                            await self._poked.wait()
                    self._poked.clear()
                    try:
                        await self._start_lanes(client)
                    except StoreUnavailable as outage:  # the store's health says so already
                        log.debug("due notifications not read: %s", outage)
                        await asyncio.sleep(AFTER_FAILURE)
                    except Exception:
                        log.exception("reading the due notifications failed")
                        await asyncio.sleep(AFTER_FAILURE)
            finally:
                for lane in self._lanes.values():
                    lane.cancel()
                await asyncio.gather(*self._lanes.values(), return_exceptions=True)

    async def _start_lanes(self, client: httpx.AsyncClient) -> None:
        if len(self._lanes) >= LANES:
            return
        urls = await self._on_loop(deliveries.due_urls, self.service.context, DUE_URLS)
        for url in urls:
            if url not in self._lanes and len(self._lanes) < LANES:
                self._lanes[url] = asyncio.create_task(self._lane(client, url))

    async def _lane(self, client: httpx.AsyncClient, url: str) -> None:
        try:
            while True:
                leased_until = time.monotonic() + self.lease - LEASE_MARGIN
                claimed = await self._on_loop(deliveries.claim, self.service.context, url, self.lease)
                if claimed is None:
                    return
                made_at = self.service.clock.now()
                try:
                    answer = await self.post(client, claimed)
                except asyncio.CancelledError:  # the server stops: the next start tries it at once
                    await self._on_loop(deliveries.release, self.service.context, claimed)
                    raise
                await self._settle(claimed, made_at, answer, leased_until)
        except StoreUnavailable as outage:  # its lease runs out; a later lane tries again
            log.debug("a delivery to %s was not recorded: %s", url, outage)
        except StoreBusy as busy:  # a row locked for the whole lease: the same, noted
            log.warning("a delivery to %s was not recorded, the store busy: %s", url, busy.detail)
        except Exception:
            log.exception("delivering to %s failed", url)
        finally:
            del self._lanes[url]

    async def _settle(self, claimed: Notification, made_at: float, answer: Answer, leased_until: float) -> None:
        """Keep the attempt; a record that met a lock (STORE_BUSY, rolled back whole) runs again
        after retry's pauses, until ``leased_until`` (monotonic)."""
        for pause in retry.pauses():
            try:
                await self._on_loop(deliveries.settle, self.service.context, claimed, made_at, answer)
                return
            except StoreBusy:
                if time.monotonic() + pause >= leased_until:
                    raise
            await asyncio.sleep(pause)

    async def post(self, client: httpx.AsyncClient, notification: Notification) -> Answer:
        """One attempt: the notification POSTed, its answer read (up to READ_LIMIT bytes)."""
        assert notification.url is not None  # for mypy: only notifications with a URL fall due
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                async with client.stream(
                    "POST", notification.url, content=form_body(notification.fields), timeout=self.timeout
                ) as response:
                    body = await _read(response)
                    return Answer(response.status_code, body, None, time.perf_counter() - started)
        except (TimeoutError, httpx.TimeoutException):
            failure = f"timed out after {self.timeout:g} s"
        except httpx.HTTPError as error:
            failure = _failure(error)
        return Answer(None, b"", failure, time.perf_counter() - started)

    async def _on_loop(self, function: Callable[..., _R], *args: Any) -> _R:
        """``function(*args)``, a store's work, run on the loop as a request's is."""
        store = self.store

        def call() -> _R:
            with store.deferred_durability():  # nobody waits for its answer: its flush comes with the next
                return function(*args)

        return await green.run(call, ended=lambda loop_call: None if store.end_call(loop_call) else None)


async def _read(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) >= READ_LIMIT:
            break
    return bytes(body[:READ_LIMIT])


def _failure(error: httpx.HTTPError) -> str:
    """Why an attempt got no answer, in a few words."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, httpx.ConnectError):
        return f"could not connect: {error}"[:200] if str(error) else "could not connect"
    return f"{type(error).__name__}: {error}"[:200]


async def probe(url: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """A GET of ``url``, as 2Checkout makes of a notification URL being saved: None when it answers
    200, else what it answered instead."""
    try:
        async with httpx.AsyncClient(follow_redirects=False, headers={"user-agent": USER_AGENT}) as client:
            async with asyncio.timeout(timeout):
                response = await client.get(url, timeout=timeout)
    except (TimeoutError, httpx.TimeoutException):
        return f"nothing within {timeout:g} s"
    except httpx.HTTPError as error:
        return _failure(error)
    return None if response.status_code == 200 else f"HTTP {response.status_code}"


def probe_from_call(url: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """:func:`probe` from blocking code: a call on the loop (the control plane's) waits for it
    without holding the loop; elsewhere (the command line) it runs a loop of its own."""
    if green.current_call() is not None:
        return green.wait_for(probe(url, timeout))
    return asyncio.run(probe(url, timeout))
