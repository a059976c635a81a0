"""What falls due on the sandbox clock, done off the request path: orders whose completion time
has come complete (their customer and subscriptions made) whether or not anyone reads them.

The server runs :func:`settle_forever` beside its requests, from the ASGI lifespan's startup to its
shutdown: every ``INTERVAL`` seconds, a call on the event loop (as a request's: ``twoco.core.green``)
completes the orders due by then, soonest first, each in a transaction of its own. Several
processes or instances may run it on one store: each order is locked as it completes and
completes once (``twoco.domains.orders.sandbox.complete_due``). Reads complete a due order they
meet as well, so an order read just after its time is complete even between two runs.
"""

from __future__ import annotations

import asyncio
import logging

from twoco.core import green
from twoco.core.outage import StoreUnavailable
from twoco.core.port import ServedStore
from twoco.core.service import Service
from twoco.domains import DomainStore
from twoco.domains.orders.sandbox import settle_due

log = logging.getLogger("twoco.server.due_work")

INTERVAL = 0.25  # seconds between runs: a test order's default delay is a second
AFTER_FAILURE = 2.0  # seconds to wait after a run the store refused


def settle(service: Service[DomainStore], store: ServedStore) -> int:
    """One run: the due orders of every merchant completed; how many."""
    with store.deferred_durability():  # nobody waits for this run's answer: its flush comes with the next
        return settle_due(service.context, None)


async def settle_forever(service: Service[DomainStore], store: ServedStore) -> None:
    """Runs until cancelled (the server's shutdown)."""
    while True:
        await asyncio.sleep(INTERVAL)
        try:
            await green.run(settle, service, store, ended=lambda call: None if store.end_call(call) else None)
        except StoreUnavailable as outage:  # the store's health says so already; try again later
            log.debug("due orders not completed: %s", outage)
            await asyncio.sleep(AFTER_FAILURE)
        except Exception:
            log.exception("completing the due orders failed")
            await asyncio.sleep(AFTER_FAILURE)
