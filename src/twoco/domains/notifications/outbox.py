"""Notifications written as the changes that cause them are: the outbox.

The domains announce their changes (``twoco.core.events``); :func:`on_change` hears them in the
change's own transaction and writes the notification 2Checkout would send: an IPN when an order
takes a status it sends one for, an LCN when a subscription changes. So a change is never
acknowledged without its notification, and a change that fails leaves none. The fields are
built and signed now, with the state just written; the server's deliveries send them later
(``twoco.server.deliveries``). A merchant without a URL for the kind still gets its notification
recorded, never sent (state ``unsent``), so that a test can read what would have gone.
"""

from __future__ import annotations

from typing import Any

from twoco.core.context import Context
from twoco.core.events import OrderStatusChanged, SubscriptionChanged
from twoco.domains.notifications.endpoints import endpoints_of
from twoco.domains.notifications.ipn import EVENTS, ipn_fields
from twoco.domains.notifications.lcn import lcn_fields
from twoco.domains.notifications.port import NotificationStore
from twoco.domains.notifications.records import IPN, LCN, PENDING, UNSENT, Notification
from twoco.domains.notifications.signatures import Fields, sign
from twoco.domains.orders.records import StoredOrder

Notifications = Context[NotificationStore]


def on_change(context: Context[Any], event: object) -> None:
    """The listener the domains' changes reach (``twoco.domains.LISTENERS``)."""
    if isinstance(event, SubscriptionChanged):
        emit_lcn(context, event.merchant_id, event.reference, event.reason, event.changed_by, event.order)
    elif isinstance(event, OrderStatusChanged) and event.status in EVENTS:
        emit_ipn(context, event.merchant_id, event.order, event.status)


def emit_ipn(context: Notifications, merchant_id: int, order: StoredOrder, status: str) -> int:
    """Write the IPN of ``order`` for ``status``; its id."""
    sender = context.store.notification_sender(merchant_id)
    references = [
        made["SubscriptionReference"]
        for item in order.document["Items"]
        for made in item["ProductDetails"].get("Subscriptions") or ()
    ]
    found = context.store.subscriptions_by_reference(merchant_id, references) if references else {}
    fields = ipn_fields(order, status, sender[0], context.references.message_id(), context.clock.now_datetime(), found)
    return _write(context, merchant_id, sender, IPN, str(order.ref_no), EVENTS[status][0], order.test, fields)


def emit_lcn(
    context: Notifications,
    merchant_id: int,
    reference: str,
    reason: str,
    changed_by: str,
    order: StoredOrder | None = None,
) -> int | None:
    """Write the LCN of subscription ``reference`` as it is now (``order``: the one making it, as
    it is now); its id (None: no such subscription)."""
    subscription = context.store.subscription(merchant_id, reference)
    if subscription is None:
        return None
    latest = subscription["LatestSubscriptionOrder"]
    if order is None and latest is not None:
        order = context.store.order(merchant_id, int(latest["RefNo"]))
    payment = order.document.get("PaymentDetails") or {} if order else {}
    purchased = _purchase_date(order, reference) if order else None
    fields = lcn_fields(subscription, reason, changed_by, context.clock.now_datetime(), payment, purchased)
    sender = context.store.notification_sender(merchant_id)
    return _write(context, merchant_id, sender, LCN, reference, reason, subscription["TestSubscription"], fields)


def _purchase_date(order: StoredOrder, reference: str) -> str | None:
    """When ``order`` bought the subscription ``reference``: its item's PurchaseDate, or, while the
    order completes (the item does not name it yet), its FinishDate."""
    for item in order.document["Items"]:
        for made in item["ProductDetails"].get("Subscriptions") or ():
            if made["SubscriptionReference"] == reference:
                return str(made["PurchaseDate"])
    return order.document.get("FinishDate")


def _write(
    context: Notifications,
    merchant_id: int,
    sender: tuple[str, str, dict[str, Any]],
    kind: str,
    reference: str,
    event: str,
    test: bool,
    fields: Fields,
) -> int:
    """Sign the fields and write the notification; its id. ``sender``: the merchant's
    ``notification_sender()`` (code, secret key, settings)."""
    _, secret_key, settings = sender
    endpoints = endpoints_of(settings)
    url = endpoints["ipn_url" if kind == IPN else "lcn_url"]
    algorithms = endpoints["algorithms"]
    now = context.clock.now()
    notification = Notification(
        0, merchant_id, kind, reference, event, test, now, url, algorithms, sign(fields, secret_key, algorithms),
        state=PENDING if url else UNSENT, due_at=now if url else None, ladder_at=now,
    )  # fmt: skip
    return context.store.insert_notification(notification)
