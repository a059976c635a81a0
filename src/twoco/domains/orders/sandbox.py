"""What the sandbox does to orders beyond the API: each merchant's choice of how its test orders
complete, the completions that fall due on the sandbox clock, and the actions the control plane,
the dashboard and the command line take on an order (approve, complete, fail, reverse, cancel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.context import Context
from twoco.core.errors import ApiError
from twoco.core.registry import Caller
from twoco.domains.orders import lifecycle
from twoco.domains.orders.lifecycle import AUTHRECEIVED, COMPLETE, COMPLETIONS, PENDING
from twoco.domains.orders.payments import CARD_PAYMENT_ERROR, THREE_D_SECURE_FAILED
from twoco.domains.orders.port import OrderStore
from twoco.domains.orders.records import StoredOrder

Orders = Context[OrderStore]
DUE_BATCH = 100  # due orders read at a time
MAX_DELAY = 86400.0  # seconds: a day


def order_settings(context: Orders, merchant_id: int) -> dict[str, Any]:
    """How the merchant's authorised orders complete: {"completion": immediate|time|manual, "delay": seconds}."""
    with context.store.transaction(write=False):
        return lifecycle.completion_of(context.store.merchant_settings(merchant_id))


def set_order_settings(context: Orders, merchant_id: int, given: Mapping[str, Any]) -> dict[str, Any]:
    """Change how the merchant's orders complete (the fields given); answers the settings now."""
    unknown = sorted(set(given) - {"completion", "delay"})
    if unknown:
        raise ApiError("INVALID_FIELD_VALUE", field=unknown[0][:40], reason="the settings are completion and delay")
    completion = given.get("completion")
    if completion is not None and completion not in COMPLETIONS:
        raise ApiError("INVALID_FIELD_VALUE", field="completion", reason=f"must be one of {', '.join(COMPLETIONS)}")
    delay = given.get("delay")
    if delay is not None and (
        not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY
    ):
        raise ApiError(
            "INVALID_FIELD_VALUE", field="delay", reason=f"must be a number of seconds from 0 to {MAX_DELAY:g}"
        )
    with context.store.transaction():
        settings = context.store.merchant_settings(merchant_id)
        orders = {**lifecycle.completion_of(settings), **{k: v for k, v in given.items() if v is not None}}
        orders["delay"] = float(orders["delay"])
        context.store.set_merchant_settings(merchant_id, {**settings, "orders": orders})
    return orders


def sandbox_caller(merchant_id: int, ref_no: int, action: str) -> Caller:
    """Who acts when the sandbox changes an order (its clock, the control plane, a payment page):
    named in the change history of what it makes."""
    return Caller("", "sandbox", merchant_id, operation=f"order {ref_no} {action}")


def complete_due(context: Orders, merchant_id: int, stored: StoredOrder) -> bool:
    """Complete a locked order whose time has come; whether it did (another process may have
    completed it, or an action changed its status since: then it is due no more)."""
    if not stored.is_due(context.clock.now()):
        return False
    if stored.status != AUTHRECEIVED:
        stored.due_at = None
        context.store.save_order(merchant_id, stored)
        return False
    lifecycle.complete(context, sandbox_caller(merchant_id, stored.ref_no, "completed"), stored, "sandbox clock")
    context.store.save_order(merchant_id, stored)
    return True


def settle_due(context: Orders, merchant_id: int | None) -> int:
    """Complete the orders due by now on the sandbox clock (of one merchant, or all), soonest
    first, each in a transaction of its own; how many completed."""
    done = 0
    while True:
        with context.store.transaction(write=False):
            due = context.store.due_orders(merchant_id, context.clock.now(), DUE_BATCH)
        for owner, ref_no in due:
            with context.store.transaction():
                stored = context.store.order(owner, ref_no, lock=True)
                done += stored is not None and complete_due(context, owner, stored)
        if len(due) < DUE_BATCH:
            return done


def act_on_order(context: Orders, merchant_id: int, ref_no: int, action: str) -> StoredOrder:
    """A sandbox action on an order (``lifecycle.ACTIONS``): approve, complete, fail, reverse, cancel."""
    if action not in lifecycle.ACTIONS:
        raise ApiError("INVALID_FIELD_VALUE", field="action", reason=f"must be one of {', '.join(lifecycle.ACTIONS)}")
    with context.store.transaction():
        stored = context.store.order(merchant_id, ref_no, lock=True)
        if stored is None:
            raise ApiError("ORDER_NOT_FOUND", ref_no=str(ref_no))
        caller = sandbox_caller(merchant_id, stored.ref_no, lifecycle.DONE[action])
        lifecycle.act(context, caller, stored, action, "control plane")
        context.store.save_order(merchant_id, stored)
        return stored


def answer_payment_page(context: Orders, token: str, approved: bool) -> tuple[int, StoredOrder, bool] | None:
    """The shopper's answer on a 3-D Secure or PayPal page (the link's ``token``): an approved
    payment authorises the PENDING order, a refused one leaves it PENDING with 2Checkout's payment
    error; an order an action moved on meanwhile stays as it is. The link works once, even then,
    so that the shopper goes back to the merchant. (merchant id, order, whether the shopper
    approved an order now paid), or None when the token names no order."""
    with context.store.transaction():
        found = context.store.order_by_token(token, lock=True)
        if found is None:
            return None
        merchant_id, stored = found
        stored.payment_token = None
        page = "PayPal page" if stored.document["PaymentDetails"]["Type"].startswith("PAYPAL") else "3-D Secure page"
        authorised = stored.status == PENDING and approved
        if authorised:
            lifecycle.change_status(context, merchant_id, stored, AUTHRECEIVED, "WAITING", page)
            caller = sandbox_caller(merchant_id, stored.ref_no, "authorised")
            lifecycle.authorised(context, caller, stored, context.store.merchant_settings(merchant_id), page)
        elif stored.status == PENDING:
            reason = THREE_D_SECURE_FAILED if page.startswith("3-D") else CARD_PAYMENT_ERROR
            stored.document["Errors"] = {"CARD_PAYMENT_ERROR": reason}
            lifecycle.note(stored, context.clock.now_datetime(), page + " (refused)")
        context.store.save_order(merchant_id, stored)
        return merchant_id, stored, approved and stored.status in (AUTHRECEIVED, COMPLETE)
