"""The service: runs one decoded call of any operation, for any protocol.

Nothing here knows HTTP, XML or JSON, nor any domain: an operation's handler (``twoco.domains``)
carries it out, given the :class:`~twoco.core.context.Context` and the caller. Every handler
runs in one store transaction and returns the result or raises an :class:`ApiError`; a call
that raises changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from twoco.core.clock import Clock
from twoco.core.context import Context, Listener, S
from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.ids import ReferenceGenerator
from twoco.core.registry import Caller, LoginCaller, Operation, check_required
from twoco.core.sessions import Sessions
from twoco.core.settings import Settings
from twoco.core.validation import MERCHANT_CODE


class Service(Generic[S]):
    def __init__(
        self,
        store: S,
        clock: Clock | None = None,
        references: ReferenceGenerator | None = None,
        settings: Settings | None = None,
        listeners: tuple[Listener, ...] = (),
    ) -> None:
        clock = clock or Clock()
        settings = settings or Settings()
        self.sessions = Sessions(store, clock, settings)
        self.context = Context(store, clock, references or ReferenceGenerator(), settings, self.sessions, listeners)

    @property
    def store(self) -> S:
        return self.context.store

    @property
    def clock(self) -> Clock:
        return self.context.clock

    def call(
        self,
        operation: Operation,
        args: Sequence[object],
        protocol: str,
        version: str,
        exchange: Exchange | None = None,
    ) -> Any:
        """Carry out one decoded call whose arguments were counted (an adapter counts what its
        request sent before decoding it: ``twoco.protocols.arguments``): pad the optional ones left
        out, refuse a required one that is None, resolve its session, run its handler; the
        merchant it acts for is noted in ``exchange``."""
        args = check_required(operation, args)
        exchange = exchange or Exchange()
        client = exchange.client
        if not operation.needs_session:
            return self.invoke(operation, args, LoginCaller(version, protocol, client, operation.name, exchange))
        merchant_id, exchange.merchant_code = self.sessions.merchant_for_session(args[0], version)
        exchange.merchant_id = merchant_id
        caller = Caller(version, protocol, merchant_id, client, operation.name, exchange)
        return self.invoke(operation, args[1:], caller)

    def invoke(self, operation: Operation, args: Sequence[object], caller: Caller | LoginCaller) -> Any:
        """Run an operation's handler for an already authenticated caller (or one logging in)."""
        return operation.handler(self.context, caller, *args)

    def reset(self, merchant_code: str | None = None, seed: int | None = None) -> dict[str, int]:
        """Delete customers, subscriptions, sessions, change history, SSO tokens and failed-login counts
        (of one merchant, or all); keep merchants.

        ``seed`` restarts the reference generator, so the references that follow repeat.
        """
        merchant_id = None
        if merchant_code is not None:
            merchant = self.store.merchant(merchant_code) if MERCHANT_CODE.fullmatch(merchant_code) else None
            if merchant is None:
                raise ApiError("MERCHANT_NOT_FOUND", merchant=merchant_code[:64])
            merchant_id = merchant.id
        deleted = self.store.reset(merchant_id)
        self.forget(merchant_code)
        if seed is not None:
            self.context.references.restart(seed)
        return deleted

    def forget(self, merchant_code: str | None = None) -> None:
        """Clear what a reset clears outside the store (see ``Sessions.forget``)."""
        self.sessions.forget(merchant_code)
