"""What the sandbox does with notifications beyond sending them: each merchant's endpoints, the
inbox (every notification with its attempts), a resend, and a notification triggered by hand
(an LCN for a subscription with any DISPATCH_REASON, an IPN for an order), as 2Checkout's old
sandbox could fire each kind of notification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.events import SYSTEM, VENDOR
from twoco.domains.notifications.endpoints import checked, endpoints_of
from twoco.domains.notifications.ipn import EVENTS
from twoco.domains.notifications.lcn import DISPATCH_REASONS
from twoco.domains.notifications.outbox import Notifications, emit_ipn, emit_lcn
from twoco.domains.notifications.records import IPN, KINDS, LCN, PENDING, STATES, UNSENT, Notification

PAGE = 50
MAX_PAGE = 500
# What 2Checkout's clock causes (CHANGED_BY SYSTEM); the other reasons are the merchant's doing.
BY_THE_CLOCK = frozenset({"LICENCE_EXPIRATION", "LICENCE_PASTDUE", "LICENCE_GP_CHANGE"})


def notification_settings(context: Notifications, merchant_id: int) -> dict[str, Any]:
    with context.store.transaction(write=False):
        return endpoints_of(context.store.merchant_settings(merchant_id))


def set_notification_settings(context: Notifications, merchant_id: int, given: Mapping[str, Any]) -> dict[str, Any]:
    """Change the settings given (checked: ``endpoints.checked``); answers them all. The caller
    probes a new URL first (``twoco.server.deliveries.probe``)."""
    changes = checked(given)
    with context.store.transaction():
        settings = context.store.merchant_settings(merchant_id)
        endpoints = {**endpoints_of(settings), **changes}
        context.store.set_merchant_settings(merchant_id, {**settings, "notifications": endpoints})
    return endpoints


def inbox(
    context: Notifications, filters: Mapping[str, Any], limit: int = PAGE, offset: int = 0
) -> tuple[list[Notification], int]:
    """The notifications ``filters`` match (merchant_id, kind, reference, state, event), newest first."""
    if filters.get("kind") is not None and filters["kind"] not in KINDS:
        raise ApiError("INVALID_FIELD_VALUE", field="kind", reason="must be IPN or LCN")
    if filters.get("state") is not None and filters["state"] not in STATES:
        raise ApiError("INVALID_FIELD_VALUE", field="state", reason=f"must be one of {', '.join(STATES)}")
    with context.store.transaction(write=False):
        return context.store.notifications(filters, min(limit, MAX_PAGE), offset)


def notification(context: Notifications, notification_id: int, merchant_id: int | None = None) -> Notification:
    """One notification with its attempts; NOTIFICATION_NOT_FOUND (of another merchant's too)."""
    with context.store.transaction(write=False):
        found = context.store.notification(notification_id)
        if found is None or (merchant_id is not None and found.merchant_id != merchant_id):
            raise ApiError("NOTIFICATION_NOT_FOUND", id=str(notification_id))
        found.history = context.store.notification_attempts(notification_id)
        return found


def resend(context: Notifications, notification_id: int) -> Notification:
    """Send a notification again, now, to its merchant's URL for its kind as set now: the same
    fields, on a schedule of its own from now (an unsent one stays unsent without a URL)."""
    with context.store.transaction():
        found = context.store.notification(notification_id, lock=True)
        if found is None:
            raise ApiError("NOTIFICATION_NOT_FOUND", id=str(notification_id))
        endpoints = endpoints_of(context.store.merchant_settings(found.merchant_id))
        found.url = endpoints["ipn_url" if found.kind == IPN else "lcn_url"]
        now = context.clock.now()
        found.state, found.due_at = (PENDING, now) if found.url else (UNSENT, None)
        found.ladder_at, found.ladder_base = now, found.attempts
        context.store.save_notification(found)
        return found


def trigger(context: Notifications, merchant_id: int, kind: str, reference: str, event: str | None) -> int:
    """Send a notification of the object as it is now: an LCN of subscription ``reference`` with
    DISPATCH_REASON ``event`` (LICENCE_CHANGE by default; CHANGED_BY SYSTEM for what the clock
    causes, VENDOR otherwise), or an IPN of order ``reference`` for
    the status ``event`` names (its own by default; the API's or the IPN's spelling)."""
    with context.store.transaction():
        if kind == LCN:
            reason = event or "LICENCE_CHANGE"
            if reason not in DISPATCH_REASONS:
                raise ApiError(
                    "INVALID_FIELD_VALUE", field="event", reason=f"must be one of {', '.join(DISPATCH_REASONS)}"
                )
            made = emit_lcn(context, merchant_id, reference, reason, SYSTEM if reason in BY_THE_CLOCK else VENDOR)
            if made is None:
                raise ApiError("SUBSCRIPTION_NOT_FOUND", reference=reference[:64])
            return made
        if kind != IPN:
            raise ApiError("INVALID_FIELD_VALUE", field="kind", reason="must be IPN or LCN")
        ref_no = int(reference) if reference.isascii() and reference.isdigit() and len(reference) <= 12 else None
        order = context.store.order(merchant_id, ref_no) if ref_no is not None else None
        if order is None:
            raise ApiError("ORDER_NOT_FOUND", ref_no=reference[:40])
        status = _order_status(event or order.status)
        return emit_ipn(context, merchant_id, order, status)


def _order_status(name: str) -> str:
    """An order status named as the API or as an IPN's ORDERSTATUS does."""
    for status, (order_status, _) in EVENTS.items():
        if name in (status, order_status):
            return status
    spelled = sorted({name for status, (order_status, _) in EVENTS.items() for name in (status, order_status)})
    raise ApiError("INVALID_FIELD_VALUE", field="event", reason=f"must be one of {', '.join(spelled)}")
