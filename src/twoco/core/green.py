"""Blocking store code, run on the event loop: each call in a greenlet of its own.

The service and the store are plain, blocking code. On PostgreSQL a call waits on the network
several times; on threads, each of those waits costs a thread switch and a turn at the GIL
against the loop. Instead the server runs the call in a :class:`LoopCall` greenlet on the loop's
thread, and the store, at each wait, hands an awaitable to the loop with :func:`wait_for` and
sleeps until it is done, while the loop serves other calls. (SQLAlchemy's asyncio extension runs
its blocking core over async drivers the same way.)

The greenlets are kept and reused: a new one costs its first frames a fresh Python data stack
(measured: 25 µs more for a SOAP read on SQLite, a third of the call).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import greenlet

_R = TypeVar("_R")
_KEPT = 64  # idle greenlets kept for the next calls


@dataclass
class _Ended:
    """What a LoopCall hands its parent when its call is over: the result, or the error raised."""

    result: Any = None
    error: BaseException | None = None


class LoopCall(greenlet.greenlet):
    """A greenlet that runs calls on the event loop, one at a time. A store keeps the running
    call's connection and transaction on it, as it keeps a thread's on a ``threading.local``;
    they are cleared before each call."""

    def __init__(self) -> None:
        super().__init__(self._serve)
        self.connection: Any = None

    def _serve(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        while True:
            self.__dict__.clear()
            self.connection = None
            try:
                ended = _Ended(result=function(*args))
            except BaseException as error:  # handed to the parent, which raises it
                ended = _Ended(error=error)
            del function, args  # nothing of a call outlives it here
            assert self.parent is not None  # for mypy: a running greenlet has a parent
            function, args = self.parent.switch(ended)


class _Idle(threading.local):
    """The idle LoopCalls of a thread (a greenlet runs on the thread that made it only)."""

    def __init__(self) -> None:
        self.calls: list[LoopCall] = []


_idle = _Idle()


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
    """``function(*args)`` on a :class:`LoopCall`, awaiting on its behalf what it waits for;
    ``ended`` hears of the call once it is over, however it ended.

    A cancellation (a timeout) is raised inside the call where it waits, so that it unwinds
    as from any error of its store."""
    idle = _idle.calls
    call = idle.pop() if idle else LoopCall()
    step: Any = None
    try:
        step = call.switch(function, args)
        while not isinstance(step, _Ended):
            try:
                value = await step
            except BaseException as error:  # handed to the call, which raises it on
                step = call.throw(error)
            else:
                step = call.switch(value)
    finally:
        if ended is not None:
            ended(call)
        if isinstance(step, _Ended) and len(idle) < _KEPT:  # a call given up midway is not reused
            idle.append(call)
    # The idle greenlet's frame still holds this outcome: emptied, it keeps nothing of the call alive.
    failure, result = step.error, step.result
    step.error = step.result = None
    if failure is not None:
        raise failure
    returned: _R = result
    return returned
