"""Blocking store code, run on the event loop: each call in a greenlet of its own.

The service and the store are plain, blocking code. On PostgreSQL a call waits on the network
several times; on threads, each of those waits costs a thread switch and a turn at the GIL
against the loop. Instead the server runs the call in a :class:`LoopCall` greenlet on the loop's
thread, and the store's driver, at each wait, hands an awaitable to the loop with
:func:`wait_for` and sleeps until it is done, while the loop serves other calls. (SQLAlchemy's
asyncio extension runs its blocking core over async drivers the same way.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import greenlet

_R = TypeVar("_R")


class LoopCall(greenlet.greenlet):
    """A call running on the event loop. A store keeps the call's connection and transaction
    on it, as it keeps a thread's on a ``threading.local``."""

    def __init__(self, function: Callable[..., Any]) -> None:
        super().__init__(function)
        self.connection: Any = None


def current_call() -> LoopCall | None:
    """The call running on the loop that asks, or None on any other greenlet or thread."""
    current = greenlet.getcurrent()
    return current if isinstance(current, LoopCall) else None


def wait_for(awaitable: Awaitable[_R]) -> _R:
    """``await awaitable`` from a :class:`LoopCall`: its result, or its exception raised here."""
    call = current_call()
    if call is None or call.parent is None:
        raise RuntimeError("wait_for outside a call running on the loop")
    result: _R = call.parent.switch(awaitable)
    return result


def sleep(seconds: float) -> None:
    """Wait ``seconds``: a call on the loop lets the loop serve other calls meanwhile; a thread just sleeps."""
    if current_call() is None:
        time.sleep(seconds)
    else:
        wait_for(asyncio.sleep(seconds))


async def run(function: Callable[..., _R], *args: Any, ended: Callable[[LoopCall], None] | None = None) -> _R:
    """``function(*args)`` as a :class:`LoopCall`, awaiting on its behalf what it waits for;
    ``ended`` hears of the call once it has ended, however it did.

    A cancellation (a timeout) is raised inside the call where it waits, so that it unwinds
    as from any error of its store."""
    call = LoopCall(function)
    try:
        step = call.switch(*args)
        while not call.dead:
            try:
                value = await step
            except BaseException as error:  # handed to the call, which raises it on
                step = call.throw(error)
            else:
                step = call.switch(value)
    finally:
        if ended is not None:
            ended(call)
    result: _R = step
    return result
