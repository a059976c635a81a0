"""What an operation's handler works with: the store, the clock, the reference generator, the
settings and the sessions; and the two things every domain does with them, a transaction run
again after a deadlock and a note in the change history.

Each domain's handlers take a ``Context`` of its own store port (``Context[CustomerStore]``…):
the context is covariant in its store, so one over the whole ``SqlStore`` serves them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from twoco.core import history, retry
from twoco.core.clock import Clock, iso_timestamp
from twoco.core.ids import ReferenceGenerator
from twoco.core.port import HistoryEntry, Store
from twoco.core.registry import Caller
from twoco.core.sessions import Sessions
from twoco.core.settings import Settings

S = TypeVar("S", bound=Store, covariant=True)
_P = ParamSpec("_P")
_R = TypeVar("_R")
_CONFLICT_ATTEMPTS = 5  # runs of a write whose transaction the database gave up over a deadlock
INSERT_ATTEMPTS = 8  # a random reference collides rarely; an insert tries a few
Listener = Callable[["Context[Any]", object], None]  # hears what handlers announce (twoco.core.events)


@dataclass(frozen=True)
class Context(Generic[S]):
    store: S
    clock: Clock
    references: ReferenceGenerator
    settings: Settings
    sessions: Sessions
    listeners: tuple[Listener, ...] = ()

    def announce(self, event: object) -> None:
        """Tell the listening domains of a change just written (``twoco.core.events``), in its transaction."""
        for listener in self.listeners:
            listener(self, event)

    def today(self) -> str:
        return self.clock.now_datetime().date().isoformat()

    def history_entry(
        self, caller: Caller, changes: list[history.Change], subscription: str | None = None
    ) -> HistoryEntry | None:
        """The history's entry for a call's changes; None when nothing changed."""
        if not changes:
            return None
        when = iso_timestamp(self.clock.now())
        protocol = f"{caller.protocol}/{caller.version}" if caller.version else caller.protocol  # "sandbox"
        return HistoryEntry(when, protocol, caller.operation, changes, subscription)

    def record(
        self, caller: Caller, customers: tuple[int, ...], changes: list[history.Change], subscription: str | None = None
    ) -> None:
        """Note a call's changes in the history of ``customers``, in the call's transaction
        (so a call that fails records nothing); nothing when nothing changed."""
        entry = self.history_entry(caller, changes, subscription)
        if entry is not None:
            self.store.add_history(caller.merchant_id, customers, entry)


_C = TypeVar("_C", bound=Context[Store])


def retried_on_conflict(handler: Callable[Concatenate[_C, _P], _R]) -> Callable[Concatenate[_C, _P], _R]:
    """Run the handler again when PostgreSQL ends its transaction over a deadlock or serialization
    failure. The calls take their locks in one order (customers, then subscriptions), so this is a
    safety net: the transaction rolled back whole, and the database picking a victim is no
    fault of the caller's, to answer with INTERNAL_ERROR. A call nested in another's transaction
    leaves the retry to the outermost, whose STORE_BUSY the server runs again."""

    @functools.wraps(handler)
    def retried(context: _C, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        store = context.store
        pauses = retry.pauses()
        attempt = 1
        while True:
            outermost = not store.in_transaction()
            try:
                return handler(context, *args, **kwargs)
            except Exception as error:
                if not outermost or attempt == _CONFLICT_ATTEMPTS or not store.is_conflict(error):
                    raise
            store.pause(next(pauses))
            attempt += 1

    return retried
