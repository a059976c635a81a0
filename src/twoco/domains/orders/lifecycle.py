"""An order's life: its statuses and the changes between them, when a test order completes, and
what completion creates (the customer, one subscription per item that generates one).

The statuses and their order are 2Checkout's (reference: "Order flow in 2Checkout API"): an
authorised order is AUTHRECEIVED and WAITING for approval, then COMPLETE; one whose payment is
not (yet) taken is PENDING; REVERSED, CANCELED and REFUND end it. How soon an authorised order
completes is each merchant's choice (docs/orders.md, "The order's life"): at once, after a delay
on the sandbox clock, or only when told (moto's state manager's immediate, time and manual).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.events import OrderStatusChanged
from twoco.core.registry import Caller
from twoco.domains.customers.records import EndUserRecord
from twoco.domains.orders.payments import CARD_PAYMENT_ERROR
from twoco.domains.orders.records import StoredOrder
from twoco.domains.subscriptions.operations import Subscriptions, insert_subscription, subscription_owner
from twoco.domains.subscriptions.records import SubscriptionFields

PENDING, AUTHRECEIVED, COMPLETE, REVERSED, CANCELED, REFUND = (
    "PENDING", "AUTHRECEIVED", "COMPLETE", "REVERSED", "CANCELED", "REFUND",
)  # fmt: skip
IMMEDIATE, TIME, MANUAL = "immediate", "time", "manual"
COMPLETIONS = (IMMEDIATE, TIME, MANUAL)
# By default an authorised order is answered AUTHRECEIVED and is COMPLETE by its next read: 2Checkout's
# PHP SDK refunds its test order (which must be COMPLETE) a few calls after placing it, its Node
# SDK reads the subscriptions 2 s later. A merchant may choose a longer delay, or manual.
DEFAULT_COMPLETION = {"completion": TIME, "delay": 0.0}
LIFETIME_EXPIRATION = "9999-12-31"  # a lifetime licence's (IPN_LICENSE_EXP "9999-12-31 23:59:59")

# What each sandbox action does: the statuses it may start from, and the status and approve
# status it leaves (None: unchanged).
ACTIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "approve": (frozenset({AUTHRECEIVED}), AUTHRECEIVED, "OK"),
    "complete": (frozenset({PENDING, AUTHRECEIVED}), COMPLETE, "OK"),
    "fail": (frozenset({PENDING, AUTHRECEIVED}), PENDING, None),
    "reverse": (frozenset({PENDING, AUTHRECEIVED}), REVERSED, "FRAUD"),
    "cancel": (frozenset({PENDING, AUTHRECEIVED}), CANCELED, None),
}
DONE = {"approve": "approved", "complete": "completed", "fail": "failed", "reverse": "reversed", "cancel": "canceled"}


def timestamp(moment: datetime) -> str:
    """2Checkout's order dates: ``YYYY-MM-DD HH:MM:SS``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def completion_of(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A merchant's order settings (``merchant_settings()["orders"]``) with the defaults filled in."""
    return {**DEFAULT_COMPLETION, **(settings.get("orders") or {})}


def note(order: StoredOrder, when: datetime, by: str) -> None:
    order.history.append(
        {"at": timestamp(when), "status": order.status, "approve_status": order.approve_status, "by": by}
    )


def set_status(order: StoredOrder, status: str, approve: str | None, when: datetime, by: str) -> None:
    order.status = order.document["Status"] = status
    if approve is not None:
        order.approve_status = order.document["ApproveStatus"] = approve
    note(order, when, by)


def change_status(
    context: Subscriptions, merchant_id: int, order: StoredOrder, status: str, approve: str | None, by: str
) -> None:
    """Set the order's status (``set_status``) and announce it (its IPN: ``twoco.domains.notifications``)."""
    set_status(order, status, approve, context.clock.now_datetime(), by)
    context.announce(OrderStatusChanged(merchant_id, order, status))


def authorised(
    context: Subscriptions, caller: Caller, order: StoredOrder, settings: Mapping[str, Any], by: str
) -> None:
    """What follows an order's authorisation (AUTHRECEIVED): its completion now, later, or when told."""
    completion = completion_of(settings)
    order.due_at = None
    if completion["completion"] == IMMEDIATE:
        complete(context, caller, order, by)
    elif completion["completion"] == TIME:
        order.due_at = context.clock.now() + float(completion["delay"])


def act(context: Subscriptions, caller: Caller, order: StoredOrder, action: str, by: str) -> None:
    """A sandbox action on an order (ACTIONS), or ORDER_STATUS_CONFLICT when its status does not allow it."""
    starts, status, approve = ACTIONS[action]
    if order.status not in starts:
        raise ApiError("ORDER_STATUS_CONFLICT", ref_no=order.ref_no, status=order.status, action=f"be {DONE[action]}")
    if action == "complete":
        complete(context, caller, order, by)
        return
    if action == "approve" and order.approve_status == "OK":
        return
    if action != "approve":  # an approved order still completes when it was to
        order.due_at = None
    if action == "fail":
        order.document["Errors"] = {"CARD_PAYMENT_ERROR": CARD_PAYMENT_ERROR}
    change_status(context, caller.merchant_id, order, status, approve, by)


def complete(context: Subscriptions, caller: Caller, order: StoredOrder, by: str) -> None:
    """Complete an order: its customer found or made, one subscription made per item that
    generates one (listed in the item's ProductDetails.Subscriptions), its status COMPLETE."""
    now = context.clock.now_datetime()
    document = order.document
    document["FinishDate"] = timestamp(now)  # its subscriptions' purchase date, their LCNs' too
    if str(order.ref_no) not in caller.operation:  # the change history names the order
        caller = replace(caller, operation=f"{caller.operation}, order {order.ref_no}")
    customer = document["_customer"]
    items = document["Items"]
    if (
        customer["reference"] is not None
        or customer["external"] is not None
        or any(item["_terms"]["generates"] for item in items)
    ):
        order.customer_reference = subscription_owner(
            context, caller, customer["reference"], customer["external"], _end_user(document, "BillingDetails")
        )
    for item in items:
        if item["_terms"]["generates"]:
            assert order.customer_reference is not None  # for mypy: made above when an item generates one
            record = _subscription(document, item, now, order.test)
            reference = insert_subscription(context, caller, order.customer_reference, record, order)
            item["ProductDetails"]["Subscriptions"] = [
                {"SubscriptionReference": reference, "PurchaseDate": timestamp(now)}
            ]
    order.due_at = None
    document["OrderNo"] = order.ref_no
    document["Errors"] = None
    change_status(context, caller.merchant_id, order, COMPLETE, "OK", by)


def add_period(start: date, length: int, unit: str) -> date:
    """``start`` plus ``length`` days, weeks, months or years (D/DAY, W/WEEK, M/MONTH, Y/YEAR);
    a month's end stays within the shorter month (31 January + 1 month: 28 or 29 February)."""
    unit = unit[:1].upper()
    if unit == "D":
        return start + timedelta(days=length)
    if unit == "W":
        return start + timedelta(weeks=length)
    months = length * (12 if unit == "Y" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def _subscription(
    document: Mapping[str, Any], item: Mapping[str, Any], now: datetime, test: bool
) -> SubscriptionFields:
    terms = item["_terms"]
    start = date.fromisoformat(terms["start"]) if terms["start"] else now.date()
    if terms["trial_days"]:
        expiration, lifetime = start + timedelta(days=terms["trial_days"]), False
    elif terms["cycle"] is None:
        expiration, lifetime = date.fromisoformat(LIFETIME_EXPIRATION), True
    else:
        expiration, lifetime = add_period(start, *terms["cycle"]), False
    price = item["Price"]
    currency = str(price["Currency"]).upper()
    recurring = not lifetime and bool(document["PaymentDetails"]["PaymentMethod"].get("RecurringEnabled"))
    return {
        "ExternalSubscriptionReference": None,
        "StartDate": start.isoformat(),
        "ActivationDate": None,
        "ExpirationDate": expiration.isoformat(),
        "RecurringEnabled": recurring,
        "SubscriptionEnabled": True,
        "ReceiveNotifications": True,
        "Lifetime": lifetime,
        "TestSubscription": test,
        "IsTrial": bool(terms["trial_days"]),
        "SKU": item.get("SKU"),
        "PartnerCode": None,
        "DeliveryInfo": None,
        "CustomPriceBillingCyclesLeft": None,
        "NextRenewalPrice": None if lifetime else terms["renewal_price"],
        "NextRenewalPriceCurrency": None if lifetime or terms["renewal_price"] is None else currency,
        "SubscriptionValue": float(price["GrossPrice"]),
        "SubscriptionValueCurrency": currency,
        "Product": {
            "ProductCode": terms["product"]["ProductCode"],
            "ProductId": terms["product"]["ProductId"],
            "ProductName": terms["product"]["ProductName"],
            "ProductVersion": terms["product"]["ProductVersion"],
            "ProductQuantity": item["Quantity"],
            "PriceOptionCodes": terms["options"],
        },
        "EndUser": _end_user(document, "DeliveryDetails"),
    }


def _end_user(document: Mapping[str, Any], details: str) -> EndUserRecord:
    """The person an order's billing or delivery details name, as a subscription's EndUser;
    what the store requires and the order lacks is kept empty, as an import's."""
    person = document[details]
    return {
        "FirstName": person["FirstName"] or "",
        "LastName": person["LastName"] or "",
        "Email": person["Email"] or "",
        "Company": person["Company"] or None,
        "Phone": person["Phone"] or None,
        "Fax": None,
        "Address1": person["Address1"] or None,
        "Address2": person["Address2"] or None,
        "Zip": person["Zip"] or None,
        "City": person["City"] or "",
        "State": person["State"] or None,
        "CountryCode": person["CountryCode"] or "",
        "Language": document["Language"],
    }
