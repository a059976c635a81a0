"""issueRefund's rules: what may be refunded, and what a refund leaves on the order.

As 2Checkout documents them ("Refunding an order"; "Error handling for issueRefund", whose
messages the refusals carry): the order is COMPLETE (or already partly refunded), not older
than 3 months (a year before API 6.0, as the 5.0 page says), the amount at most what is left to
refund; a partial refund names its items by LineItemReference (or Code), each within the item's
quantity and price. The order's status becomes REFUND, and 6.0's ``Refunds`` lists each refund.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.schema import version_key
from twoco.core.validation import check_text
from twoco.domains.orders.lifecycle import COMPLETE, REFUND, add_period, timestamp
from twoco.domains.orders.pricing import money
from twoco.domains.orders.records import StoredOrder

TOTAL, PARTIAL = "TOTAL", "PARTIAL"
CENT = 0.005  # amounts within half a cent are equal


def _refused(reason: str) -> ApiError:
    return ApiError("REFUND_NOT_ALLOWED", reason=reason)


def refunded_so_far(order: StoredOrder) -> float:
    return money(sum(refund["Amount"] for refund in order.document.get("Refunds") or ()))


def refund(
    order: StoredOrder,
    amount: float,
    items: Sequence[Mapping[str, Any] | None] | None,
    comment: str,
    reason: str,
    now: datetime,
    version: str,
) -> None:
    """Refund ``amount`` of ``order`` (locked), or refuse with 2Checkout's reason."""
    check_text("Comment", comment, 65535)
    check_text("Reason", reason)
    document = order.document
    refunds = document.get("Refunds") or []
    if any(r["Type"] == TOTAL for r in refunds):
        raise _refused("You have already placed a Total refund for this order.")
    if order.status not in (COMPLETE, REFUND):
        raise _refused("You cannot place a refund request due to the order's current status.")
    months = 3 if version_key(version) >= version_key("6.0") else 12
    placed = datetime.strptime(document["OrderDate"], "%Y-%m-%d %H:%M:%S").date()
    if add_period(placed, months, "M") < now.date():
        raise _refused("The allowed period to request a new refund for this order has expired.")
    if not amount > 0:
        raise _refused("Invalid ORDER_AMOUNT")
    left = money(document["GrossPrice"] - refunded_so_far(order))
    if amount > left + CENT:
        raise _refused("The maximum refundable amount for this order has been exceeded.")
    refunded_items = _items(document["Items"], [item for item in items or () if item])
    kind = TOTAL if not refunded_items and abs(amount - document["GrossPrice"]) < CENT and not refunds else PARTIAL
    refunds.append(
        {
            "Date": timestamp(now),
            "Type": kind,
            "Currency": document["Currency"],
            "Amount": money(amount),
            "Reason": reason,
            "Comment": comment,
            "Items": refunded_items,
        }
    )
    document["Refunds"] = refunds
    order.status = document["Status"] = REFUND


def _items(order_items: Sequence[Mapping[str, Any]], given: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A partial refund's items, each naming one of the order's by LineItemReference or Code."""
    refunded = []
    for index, item in enumerate(given):
        named = item.get("LineItemReference") or item.get("ProductCode") or item.get("Code")
        found = next(
            (i for i in order_items if named and named in (i["LineItemReference"], i.get("Code"))),
            None if named else (order_items[0] if len(order_items) == 1 else None),
        )
        if found is None:
            raise _refused(f"Items[{index}]: PRODUCTS_CODES missing or format incorrect")
        quantity = 1 if item.get("Quantity") is None else item["Quantity"]
        if not 1 <= quantity <= found["Quantity"]:
            raise _refused("Invalid PRODUCTS_QTY")
        amount = item.get("Amount")
        if amount is not None and not 0 < amount <= found["Price"]["GrossPrice"] + CENT:
            raise _refused("Invalid ORDER_AMOUNT")
        refunded.append({"LineItemReference": found["LineItemReference"], "Quantity": quantity, "Amount": amount})
    return refunded
