"""The order operations' handlers, and the order as answered.

Each handler takes the call's :class:`Context` and :class:`Caller`, then the operation's
parameters as decoded; it runs in one store transaction (a call that raises changes nothing):
an order, the customer and the subscriptions its completion makes are written together.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from twoco.core.context import INSERT_ATTEMPTS, Context, retried_on_conflict
from twoco.core.errors import ApiError
from twoco.core.events import OrderStatusChanged
from twoco.core.port import DuplicateKey
from twoco.core.registry import Caller, Operation, Param, Route
from twoco.core.schema import BOOLEAN, DOUBLE, PAGINATED_SINCE, STRING, Array, version_key
from twoco.core.search import requested_page
from twoco.core.validation import (
    MAX_REFERENCE,
    ascii_integer,
    check_text,
    normalise_currency,
    normalise_person,
    require,
)
from twoco.domains.customers.operations import find_customer
from twoco.domains.orders import lifecycle
from twoco.domains.orders.items import order_items
from twoco.domains.orders.lifecycle import AUTHRECEIVED, PENDING, change_status, timestamp
from twoco.domains.orders.payments import (
    FREE,
    PAYPAL,
    PAYPAL_EXPRESS,
    PREVIOUS_ORDER,
    Payment,
    payment_type,
    take_payment,
)
from twoco.domains.orders.port import OrderStore
from twoco.domains.orders.pricing import order_totals
from twoco.domains.orders.records import StoredOrder
from twoco.domains.orders.refunds import refund
from twoco.domains.orders.sandbox import complete_due, settle_due
from twoco.domains.orders.schema import ORDER, ORDER_SEARCH, ORDER_SEARCH_RESULT, REFUND_ITEM, V6
from twoco.domains.orders.search import order_filters

Orders = Context[OrderStore]

BILLING_REQUIRED = ("FirstName", "LastName", "Email", "CountryCode")  # all 2Checkout's own test order sends
_PERSON = (
    "Phone",
    "FirstName",
    "LastName",
    "Company",
    "Email",
    "Address1",
    "Address2",
    "City",
    "Zip",
    "CountryCode",
    "State",
)
_BILLING = ("FiscalCode", "TaxOffice", *_PERSON)


@retried_on_conflict
def place_order(context: Orders, caller: Caller, order: Mapping[str, Any]) -> dict[str, Any]:
    """Place an order, or, given the RefNo of a PENDING one, pay it again with new payment details."""
    if order.get("RefNo"):
        return _retry(context, caller, order)
    details = order.get("PaymentDetails") or {}
    kind = payment_type(details)
    currency = _currency(order, details)
    billing = _person("BillingDetails", order.get("BillingDetails"), _BILLING, BILLING_REQUIRED)
    delivery = (
        _person("DeliveryDetails", order["DeliveryDetails"], _PERSON, ())
        if order.get("DeliveryDetails")
        else {name: billing[name] for name in _PERSON}
    )
    for name in ("ExternalReference", "Source", "Language", "ExternalCustomerReference", "CustomerIP", "MachineId"):
        check_text(name, order.get(name), MAX_REFERENCE)
    with context.store.transaction():
        customer = _named_customer(context, caller, order)
        items = order_items(
            context.store, caller.merchant_id, order.get("Items"), currency, context.references.product_id
        )
        totals = order_totals([item["Price"] for item in items])
        if kind == FREE and totals["GrossPrice"] > 0:
            raise ApiError("INVALID_FIELD_VALUE", field="PaymentDetails.Type", reason="FREE pays only an order of 0")
        method = details.get("PaymentMethod")
        payment = take_payment(kind, method, _previous_method(context, caller, kind, method))
        now = timestamp(context.clock.now_datetime())
        document = {
            **_new_order(context, caller, order, now, payment.test, currency),
            "BillingDetails": billing,
            "DeliveryDetails": delivery,
            "Items": items,
            **totals,
            "_customer": customer,
        }
        stored = StoredOrder(0, PENDING, "WAITING", payment.test, now, order.get("ExternalReference"), document)
        # The order's row first, for its RefNo: what its payment makes (its completion's customer
        # and subscriptions) names it in the change history.
        _insert(context, caller.merchant_id, stored)
        _pay(context, caller, stored, kind, currency, details, payment, "placeOrder")
        context.store.save_order(caller.merchant_id, stored)
        return order_view(context, caller.merchant_id, stored, caller.version, caller.protocol)


def _new_order(
    context: Orders, caller: Caller, order: Mapping[str, Any], now: str, test: bool, currency: str
) -> dict[str, Any]:
    """A new order's fields but its details, items, totals and payment: what the sandbox answers
    where 2Checkout's records show its own values (no affiliate, no shipping, no commission)."""
    return {
        "OrderNo": 0,
        "ExternalReference": order.get("ExternalReference"),
        "ShopperRefNo": None,
        "VendorApproveStatus": "OK",
        "MerchantCode": caller.exchange.merchant_code or context.store.merchant_code(caller.merchant_id),
        "Language": (order.get("Language") or "en").lower(),
        "OrderDate": now,
        "FinishDate": None,
        "Source": order.get("Source"),
        "WSOrder": None,
        "Affiliate": {"AffiliateCode": None, "AffiliateSource": None, "AffiliateName": None, "AffiliateUrl": None},
        "HasShipping": False,
        "DeliveryInformation": {
            "ShippingMethod": {"Code": None, "TrackingUrl": None, "TrackingNumber": None, "Comment": None}
        },
        "CustomerDetails": None,
        "Origin": "API",
        "AvangateCommission": 0.0,
        "OrderFlow": "REGULAR",
        "ExtraInformation": {"PaymentLink": f"/order/finish.php?id={secrets.token_urlsafe(20)}"},
        "TestOrder": test,
        "FxRate": 1.0,
        "FxMarkup": 0.0,
        "PayoutCurrency": currency,
        "DeliveryFinalized": False,
        "Promotions": [],
        "AdditionalFields": None,
        "Currency": currency.lower(),
        "CustomParameters": None,
        "Refunds": None,
    }


def _insert(context: Orders, merchant_id: int, stored: StoredOrder) -> None:
    """Store a new order under a new RefNo."""
    for _ in range(INSERT_ATTEMPTS):
        stored.ref_no = context.references.order_reference()
        stored.document["RefNo"] = str(stored.ref_no)
        try:
            context.store.insert_order(merchant_id, stored)
        except DuplicateKey:
            continue  # the RefNo is another order's
        return
    raise ApiError("INTERNAL_ERROR")


def _retry(context: Orders, caller: Caller, order: Mapping[str, Any]) -> dict[str, Any]:
    """Pay a PENDING order again (2Checkout's retry: the same RefNo with new PaymentDetails)."""
    details = order.get("PaymentDetails") or {}
    kind = payment_type(details)
    with context.store.transaction():
        stored = find_order(context, caller.merchant_id, str(order["RefNo"]), lock=True)
        complete_due(context, caller.merchant_id, stored)
        if stored.status != PENDING:
            raise ApiError("ORDER_STATUS_CONFLICT", ref_no=stored.ref_no, status=stored.status, action="be paid again")
        currency = _currency({"Currency": stored.document["Currency"]}, details)
        method = details.get("PaymentMethod")
        payment = take_payment(kind, method, _previous_method(context, caller, kind, method))
        stored.test = stored.document["TestOrder"] = payment.test
        _pay(context, caller, stored, kind, currency, details, payment, "placeOrder (retry)")
        context.store.save_order(caller.merchant_id, stored)
        return order_view(context, caller.merchant_id, stored, caller.version, caller.protocol)


def _pay(
    context: Orders,
    caller: Caller,
    stored: StoredOrder,
    kind: str,
    currency: str,
    details: Mapping[str, Any],
    payment: Payment,
    by: str,
) -> None:
    """Note a payment taken on the order: its PaymentDetails, Errors and status, and what follows."""
    method = dict(payment.method)
    stored.payment_token = None
    if (payment.three_d_secure and version_key(caller.version) >= version_key("5.0")) or payment.redirect:
        stored.payment_token = secrets.token_hex(8)  # 64 bits, as 2Checkout's avng8apitoken ("50dcb997be8b70bd")
        base = caller.exchange.base_url
        if payment.redirect:
            method["RedirectURL"] = f"{base}/scripts/paypal/approve?token={stored.payment_token}"
        else:
            method["Authorize3DS"] = {
                "Href": f"{base}/scripts/credit_card/authorize",
                "Method": "GET",
                "Params": {"avng8apitoken": stored.payment_token},
            }
    status = payment.status
    if payment.three_d_secure and stored.payment_token is None:
        status = AUTHRECEIVED  # before 5.0 no order asks for 3-D Secure: the card is authorised
    paypal = kind in (PAYPAL, PAYPAL_EXPRESS)
    stored.document["PaymentDetails"] = {
        "Type": kind,
        "Currency": currency if paypal else currency.lower(),  # as recorded: PayPal's as sent
        "PaymentMethod": method,
        "CustomerIP": None if paypal else details.get("CustomerIP"),
    }
    stored.document["RecurringEnabled"] = bool(method.get("RecurringEnabled"))
    sent = details.get("PaymentMethod") or {}
    stored.document["_return_urls"] = {  # where the payment pages send the shopper back (never answered)
        "success": sent.get("Vendor3DSReturnURL") or sent.get("ReturnURL"),
        "cancel": sent.get("Vendor3DSCancelURL") or sent.get("CancelURL"),
    }
    stored.document["Errors"] = None if payment.error is None else {"CARD_PAYMENT_ERROR": payment.error}
    change_status(context, caller.merchant_id, stored, status, "WAITING", by)
    if status == AUTHRECEIVED:
        lifecycle.authorised(context, caller, stored, context.store.merchant_settings(caller.merchant_id), by)


def _currency(order: Mapping[str, Any], details: Mapping[str, Any]) -> str:
    """The order's currency: the payment's, which must match the order's when both are given."""
    paid = normalise_currency("PaymentDetails.Currency", details.get("Currency"))
    ordered = normalise_currency("Currency", order.get("Currency"))
    if paid and ordered and paid != ordered:
        raise ApiError(
            "INVALID_FIELD_VALUE", field="PaymentDetails.Currency", reason=f"must match the order's currency {ordered}"
        )
    return paid or ordered or "USD"


def _person(
    prefix: str, given: Mapping[str, Any] | None, names: Sequence[str], required: Sequence[str]
) -> dict[str, Any]:
    if given is None and required:
        raise ApiError("MISSING_REQUIRED_FIELD", field=prefix)
    person: dict[str, Any] = {name: (given or {}).get(name) for name in names}
    normalise_person(f"{prefix}.", person, required)
    return person


def _named_customer(context: Orders, caller: Caller, order: Mapping[str, Any]) -> dict[str, Any]:
    """The customer an order names: by CustomerReference (it must exist), or by an
    ExternalCustomerReference (found or made when the order completes)."""
    reference = order.get("CustomerReference") or None
    external = order.get("ExternalCustomerReference") or None
    if reference is not None:
        found = find_customer(context, caller.merchant_id, reference, None)
        return {"reference": found["AvangateCustomerReference"], "external": None}
    return {"reference": None, "external": external}


def _previous_method(
    context: Orders, caller: Caller, kind: str, method: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """The PaymentMethod of the order a PREVIOUS_ORDER payment names (None if it names none)."""
    if kind != PREVIOUS_ORDER:
        return None
    require("PaymentDetails.PaymentMethod.", method or {}, ("RefNo",))
    previous = _order_named(context, caller.merchant_id, str((method or {})["RefNo"]))
    if previous is None or previous.document["PaymentDetails"]["PaymentMethod"].get("FirstDigits") is None:
        return None
    return previous.document["PaymentDetails"]["PaymentMethod"]  # type: ignore[no-any-return]


def _order_named(context: Orders, merchant_id: int, ref_no: str, lock: bool = False) -> StoredOrder | None:
    number = ascii_integer(ref_no.strip(), 12)
    return None if number is None else context.store.order(merchant_id, number, lock)


def find_order(context: Orders, merchant_id: int, ref_no: str, lock: bool = False) -> StoredOrder:
    found = _order_named(context, merchant_id, ref_no, lock)
    if found is None:
        raise ApiError("ORDER_NOT_FOUND", ref_no=ref_no[:MAX_REFERENCE])
    return found


@retried_on_conflict
def get_order(context: Orders, caller: Caller, ref_no: str) -> dict[str, Any]:
    """An order; one due to complete on the sandbox clock completes first (a read takes no write
    transaction unless it finds the order due)."""
    with context.store.transaction(write=False):
        stored = find_order(context, caller.merchant_id, ref_no)
        if not stored.is_due(context.clock.now()):
            return order_view(context, caller.merchant_id, stored, caller.version, caller.protocol)
    with context.store.transaction():
        stored = find_order(context, caller.merchant_id, ref_no, lock=True)
        complete_due(context, caller.merchant_id, stored)
        return order_view(context, caller.merchant_id, stored, caller.version, caller.protocol)


@retried_on_conflict
def search_orders(context: Orders, caller: Caller, search_by: Mapping[str, Any] | None) -> object:
    """The orders the filters match, newest first (``search``): every one before API 5.0 (or the
    first Limit), one page (``{Items, Pagination}``) from 5.0. Orders due complete first."""
    search_by = search_by or {}
    page = requested_page(search_by, caller.version)
    filters = order_filters(search_by, context.clock.now_datetime())
    settle_due(context, caller.merchant_id)
    with context.store.transaction(write=False):
        found, count = context.store.search_orders(
            caller.merchant_id, filters, None if page is None else page.limit, 0 if page is None else page.offset
        )
        views = [order_view(context, caller.merchant_id, order, caller.version, caller.protocol) for order in found]
    paginated = version_key(caller.version) >= version_key(PAGINATED_SINCE)
    return page.answer(views, count) if page is not None and paginated else views


@retried_on_conflict
def issue_refund(
    context: Orders,
    caller: Caller,
    ref_no: str,
    amount: float,
    items: Sequence[Mapping[str, Any] | None] | None,
    comment: str,
    reason: str,
) -> bool:
    with context.store.transaction():
        stored = find_order(context, caller.merchant_id, ref_no, lock=True)
        complete_due(context, caller.merchant_id, stored)  # an order due is complete, as a read finds it
        refund(stored, amount, items, comment, reason, context.clock.now_datetime(), caller.version)
        lifecycle.note(stored, context.clock.now_datetime(), "issueRefund")
        context.announce(OrderStatusChanged(caller.merchant_id, stored, stored.status))  # each refund: an IPN
        context.store.save_order(caller.merchant_id, stored)
    return True


def order_view(
    context: Orders, merchant_id: int, stored: StoredOrder, version: str, protocol: str = "rest"
) -> dict[str, Any]:
    """An order as ``version`` answers it on ``protocol``: its subscriptions as they are now, 3.0's
    shapes before 6.0."""
    document = stored.document
    view = {name: value for name, value in document.items() if not name.startswith("_")}  # "_": kept, not answered
    view.update(RefNo=str(stored.ref_no), Status=stored.status)
    references = [
        entry["SubscriptionReference"]
        for item in document["Items"]
        for entry in item["ProductDetails"]["Subscriptions"] or ()
    ]
    live = context.store.subscriptions_by_reference(merchant_id, references) if references else {}
    view["Items"] = [_item_view(item, live, version) for item in document["Items"]]
    if version_key(version) >= version_key(V6):
        view["ExtraInformation"] = None  # 6.0's answers have none
    else:  # what was not sent, as 3.0's records answer it: SOAP "", REST "" for the address lines
        for details in ("BillingDetails", "DeliveryDetails"):
            blank = _SOAP_BLANKS[details] if protocol == "soap" else ("Address1", "Address2")
            view[details] = {
                name: "" if value is None and name in blank else value for name, value in document[details].items()
            }
    return view


# The fields SOAP 3.0's record answers "" when not sent (all but the delivery's Company: null).
_SOAP_BLANKS = {"BillingDetails": frozenset(_BILLING), "DeliveryDetails": frozenset(_PERSON) - {"Company"}}


def _item_view(item: Mapping[str, Any], live: Mapping[str, Any], version: str) -> dict[str, Any]:
    details = dict(item["ProductDetails"])
    if details["Subscriptions"] is not None:
        details["Subscriptions"] = [
            _subscription_view(entry, live)
            for entry in details["Subscriptions"]
            if entry["SubscriptionReference"] in live
        ]
    view = {name: value for name, value in item.items() if not name.startswith("_")}
    view["ProductDetails"] = details
    if version_key(version) < version_key(V6):  # 3.0 answers an option group's chosen options by code
        view["PriceOptions"] = [
            {**group, "Options": [option["Value"] for option in group["Options"]]} for group in item["PriceOptions"]
        ]
    return view


def _subscription_view(entry: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    subscription = live[entry["SubscriptionReference"]]
    time = entry["PurchaseDate"][10:]  # " HH:MM:SS": the recorded dates carry the purchase's time
    expiration = subscription["ExpirationDate"]
    return {
        "SubscriptionReference": entry["SubscriptionReference"],
        "PurchaseDate": entry["PurchaseDate"],
        "SubscriptionStartDate": subscription["StartDate"] + time,
        "ExpirationDate": expiration + (" 23:59:59" if subscription["Lifetime"] else time),
        "Lifetime": subscription["Lifetime"],
        "Trial": subscription["IsTrial"],
        "Enabled": subscription["SubscriptionEnabled"],
        "RecurringEnabled": subscription["RecurringEnabled"],
    }


_REF_NO = Param("RefNo", STRING)
AN_ORDER = "/orders/{RefNo}/"

OPERATIONS = (
    Operation(
        "placeOrder",
        (Param("Order", ORDER),),
        ORDER,
        place_order,
        # avangate-ruby-rest-code-samples, place-order-TEST.rb: 201, a Location, the Order as the body.
        route=Route("POST", "/orders/", created_201_until="6.0", location="RefNo"),
    ),
    Operation("getOrder", (_REF_NO,), ORDER, get_order, route=Route("GET", AN_ORDER, writes=True)),
    Operation(
        "searchOrders",
        (Param("SearchOptions", ORDER_SEARCH, required=False),),
        Array(ORDER),
        search_orders,
        route=Route("GET", "/orders/", writes=True),
        results=((PAGINATED_SINCE, ORDER_SEARCH_RESULT),),
    ),
    Operation(
        "issueRefund",
        (
            _REF_NO,
            Param("Amount", DOUBLE),
            Param("Items", Array(REFUND_ITEM), required=False),
            Param("Comment", STRING),
            Param("Reason", STRING),
        ),
        BOOLEAN,
        issue_refund,
        # Every REST client sends the body's keys in lower case ({"amount", "comment", "reason", "items"}).
        route=Route("POST", f"{AN_ORDER}refund/", body_fields=True),
    ),
)
