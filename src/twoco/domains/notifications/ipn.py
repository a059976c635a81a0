"""An IPN's fields for an order, in the order 2Checkout sends them.

The order and the values follow the real IPNs 2Checkout's SDKs carry as fixtures (reference §2.2):
the 2023 one of its PHP, Ruby and Node SDKs, with ORIGINAL_REFNOEXT[] and IPN_ORIGINAL_LINK_SOURCE[]
where the 2021 one of the Node SDK has them, and the per-option fields where the Python SDK's
IPN of a product with options puts them. Dates are UTC, as twoco's API answers them, so
TIMEZONE_OFFSET is GMT+00:00. What a sandbox has no counterpart for (2Checkout's commission, partners, coupons,
delivered codes) is sent as 2Checkout sends it for an order without one: empty, 0 or 0.00.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from twoco.core.country_names import COUNTRY_NAMES
from twoco.domains.notifications.signatures import Fields
from twoco.domains.orders.records import StoredOrder

NO_DATE = "0000-00-00 00:00:00"  # a date not reached yet
LIFETIME = "9999-12-31 23:59:59"
# Each order status an IPN is sent for: its ORDERSTATUS and MESSAGE_TYPE.
EVENTS = {
    "PENDING": ("PENDING", "PENDING"),
    "AUTHRECEIVED": ("PAYMENT_AUTHORIZED", "AUTH"),
    "COMPLETE": ("COMPLETE", "COMPLETE"),
    "REFUND": ("REFUND", "REFUND"),
    "REVERSED": ("REVERSED", "REVERSED"),
    "CANCELED": ("CANCELED", "CANCELED"),
}
_CARD_TYPES = {"VISA": "visa", "MASTERCARD": "mastercard", "AMEX": "amex", "DISCOVER": "discover"}


def money(value: Any) -> str:
    return f"{float(value or 0):.2f}"


def ipn_fields(
    order: StoredOrder,
    status: str,
    merchant_code: str,
    message_id: str,
    now: datetime,
    subscriptions: Mapping[str, Any],
) -> Fields:
    """The IPN of ``order`` for its status ``status`` (a key of EVENTS). ``subscriptions`` maps
    the references its items made to the subscriptions as stored (their expiration, lifetime)."""
    document = order.document
    billing = document["BillingDetails"]
    delivery = document.get("DeliveryDetails") or billing
    payment = document.get("PaymentDetails") or {}
    method = payment.get("PaymentMethod") or {}
    items = [item for item in document["Items"] if item.get("PurchaseType", "PRODUCT") == "PRODUCT"]
    order_status, message_type = EVENTS[status]
    paid = _first_at(order, ("AUTHRECEIVED", "COMPLETE"))
    completed = document.get("FinishDate") or NO_DATE
    refunds = document.get("Refunds") or []
    licences = [_licence(item, subscriptions) for item in items]
    fields: Fields = [
        ("GIFT_ORDER", "0"),
        ("SALEDATE", document["OrderDate"]),
        ("PAYMENTDATE", paid or NO_DATE),
        ("REFNO", str(order.ref_no)),
        ("REFNOEXT", order.external_reference or ""),
        # A renewal's IPN names the first order's external reference here (WHMCS keys on it).
        ("ORIGINAL_REFNOEXT[]", ["" for _ in items]),
        ("SHOPPER_REFERENCE_NUMBER", ""),
        ("ORDERNO", str(document.get("OrderNo") or 0)),
        ("ORDERSTATUS", order_status),
        *_pay_method(payment),
        *_person(billing, ""),
        ("CUSTOMEREMAIL", billing.get("Email") or ""),
        *_person(delivery, "_D"),
        ("EMAIL_D", delivery.get("Email") or ""),
        ("IPADDRESS", payment.get("CustomerIP") or ""),
        ("IPCOUNTRY", ""),
        ("COMPLETE_DATE", completed if order.status in ("COMPLETE", "REFUND") else NO_DATE),
        ("TIMEZONE_OFFSET", "GMT+00:00"),
        ("CURRENCY", str(document["Currency"]).upper()),
        ("LANGUAGE", document.get("Language") or "en"),
        ("ORDERFLOW", document.get("OrderFlow") or "REGULAR"),
        ("IPN_PID[]", [str(item["_terms"]["product"]["ProductId"] or "") for item in items]),
        ("IPN_PNAME[]", [str(item["ProductDetails"]["Name"] or "") for item in items]),
        ("IPN_PCODE[]", [str(item.get("Code") or "") for item in items]),
        ("IPN_EXTERNAL_REFERENCE[]", [str(item.get("ExternalReference") or "") for item in items]),
        ("IPN_INFO[]", ["" for _ in items]),
        ("IPN_QTY[]", [str(item["Quantity"]) for item in items]),
        ("IPN_PRICE[]", [money(item["Price"]["UnitNetPrice"]) for item in items]),
        ("IPN_VAT[]", [money(item["Price"]["VAT"]) for item in items]),
        ("IPN_VAT_RATE[]", [money(item["Price"]["VATPercent"]) for item in items]),
        ("IPN_VER[]", [str(item["_terms"]["product"]["ProductVersion"] or "1") for item in items]),
        ("IPN_DISCOUNT[]", [money(item["Price"]["Discount"]) for item in items]),
        ("IPN_PROMOTION_CATEGORY[]", ["" for _ in items]),
        ("IPN_PROMONAME[]", ["" for _ in items]),
        ("IPN_PROMOCODE[]", ["" for _ in items]),
        ("IPN_ORDER_COSTS[]", ["0" for _ in items]),
        ("IPN_SKU[]", [str(item.get("SKU") or "") for item in items]),
        ("IPN_PARTNER_CODE", ""),
        ("IPN_PGROUP[]", ["0" for _ in items]),
        ("IPN_PGROUP_NAME[]", ["" for _ in items]),
        ("MESSAGE_ID", message_id),
        ("MESSAGE_TYPE", message_type),
        ("IPN_LICENSE_PROD[]", [str(item["_terms"]["product"]["ProductId"] or "") for item in items]),
        ("IPN_LICENSE_TYPE[]", [licence[0] for licence in licences]),
        ("IPN_LICENSE_REF[]", [licence[1] for licence in licences]),
        ("IPN_LICENSE_EXP[]", [licence[2] for licence in licences]),
        ("IPN_LICENSE_START[]", [licence[3] for licence in licences]),
        ("IPN_LICENSE_LIFETIME[]", [licence[4] for licence in licences]),
        ("IPN_LICENSE_ADDITIONAL_INFO[]", ["" for _ in items]),
        ("IPN_DELIVEREDCODES[]", ["" for _ in items]),
        ("IPN_DOWNLOAD_LINK", ""),
        ("IPN_TOTAL[]", [money(item["Price"]["GrossPrice"]) for item in items]),
        ("IPN_TOTALGENERAL", money(document["GrossPrice"])),
        ("IPN_SHIPPING", "0.00"),
        ("IPN_SHIPPING_TAX", "0.00"),
        ("AVANGATE_CUSTOMER_REFERENCE", str(order.customer_reference or document["_customer"].get("reference") or "")),
        ("EXTERNAL_CUSTOMER_REFERENCE", str(document["_customer"].get("external") or "")),
        ("IPN_PARTNER_MARGIN_PERCENT", "0.00"),
        ("IPN_PARTNER_MARGIN", "0.00"),
        ("IPN_EXTRA_MARGIN", "0.00"),
        ("IPN_EXTRA_DISCOUNT", "0.00"),
        ("IPN_COUPON_DISCOUNT", "0.00"),
        ("IPN_LINK_SOURCE", document.get("Source") or ""),
        ("IPN_ORIGINAL_LINK_SOURCE[]", ["" for _ in items]),
        ("IPN_COMMISSION", "0.00"),
        ("REFUND_TYPE", refunds[-1]["Type"] if status == "REFUND" and refunds else ""),
        *_options(items),
        ("CHARGEBACK_RESOLUTION", "NONE"),
        ("CHARGEBACK_REASON_CODE", ""),
        ("TEST_ORDER", "1" if order.test else "0"),
        ("IPN_ORDER_ORIGIN", document.get("Origin") or "API"),
        ("FRAUD_STATUS", _fraud_status(order)),
        (
            "CARD_TYPE",
            _CARD_TYPES.get(str(method.get("CardType") or "").upper(), str(method.get("CardType") or "").lower()),
        ),
        ("CARD_LAST_DIGITS", str(method.get("LastDigits") or "")),
        ("CARD_EXPIRATION_DATE", _card_expiration(method)),
        ("GATEWAY_RESPONSE", "Approved" if paid else ""),
        ("IPN_DATE", now.strftime("%Y%m%d%H%M%S")),
        ("FX_RATE", "1"),
        ("FX_MARKUP", "0"),
        ("PAYABLE_AMOUNT", money(document["GrossPrice"])),
        ("PAYOUT_CURRENCY", str(document.get("PayoutCurrency") or document["Currency"]).upper()),
        ("VENDOR_CODE", merchant_code),
        ("PROPOSAL_ID", ""),
    ]
    return fields


def _first_at(order: StoredOrder, statuses: tuple[str, ...]) -> str | None:
    return next((entry["at"] for entry in order.history if entry["status"] in statuses), None)


def _pay_method(payment: Mapping[str, Any]) -> Fields:
    kind = str(payment.get("Type") or "")
    if kind.startswith("PAYPAL"):
        return [("PAYMETHOD", "PayPal"), ("PAYMETHOD_CODE", "PAYPAL")]
    if kind == "FREE":
        return [("PAYMETHOD", "Free"), ("PAYMETHOD_CODE", "FREE")]
    return [("PAYMETHOD", "Visa/MasterCard"), ("PAYMETHOD_CODE", "CCVISAMC")]


def _person(details: Mapping[str, Any], suffix: str) -> Fields:
    """The billing (``suffix`` "") or delivery ("_D") name and address fields."""
    country = str(details.get("CountryCode") or "").lower()
    person: Fields = [
        (f"FIRSTNAME{suffix}", details.get("FirstName") or ""),
        (f"LASTNAME{suffix}", details.get("LastName") or ""),
        (f"COMPANY{suffix}", details.get("Company") or ""),
    ]
    if not suffix:
        person += [
            ("REGISTRATIONNUMBER", ""),
            ("FISCALCODE", details.get("FiscalCode") or ""),
            ("TAX_OFFICE", details.get("TaxOffice") or ""),
            ("CBANKNAME", ""),
            ("CBANKACCOUNT", ""),
        ]
    return person + [
        (f"ADDRESS1{suffix}", details.get("Address1") or ""),
        (f"ADDRESS2{suffix}", details.get("Address2") or ""),
        (f"CITY{suffix}", details.get("City") or ""),
        (f"STATE{suffix}", details.get("State") or ""),
        (f"ZIPCODE{suffix}", details.get("Zip") or ""),
        (f"COUNTRY{suffix}", COUNTRY_NAMES.get(country, "")),
        ("COUNTRY_CODE" if not suffix else "COUNTRY_D_CODE", country),
        (f"PHONE{suffix}", details.get("Phone") or ""),
        *([] if suffix else [("FAX", details.get("Fax") or "")]),
    ]


def _licence(item: Mapping[str, Any], subscriptions: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """An item's IPN_LICENSE_TYPE, _REF, _EXP, _START and _LIFETIME: empty until its subscription is made."""
    made = (item["ProductDetails"].get("Subscriptions") or [{}])[0]
    reference = made.get("SubscriptionReference") or ""
    found = subscriptions.get(reference)
    terms = item["_terms"]
    kind = "TRIAL" if terms.get("trial_days") else "REGULAR"
    lifetime = "YES" if terms.get("generates") and terms.get("cycle") is None and not terms.get("trial_days") else "NO"
    if found is None:
        return kind, "", "", "", lifetime
    time = (made.get("PurchaseDate") or "")[10:] or " 00:00:00"
    expiration = LIFETIME if found["Lifetime"] else found["ExpirationDate"] + time
    return kind, reference, expiration, made.get("PurchaseDate") or "", lifetime


def _options(items: list[Mapping[str, Any]]) -> Fields:
    """``IPN_PRODUCT_OPTIONS_<pid>_*[]`` for each product bought with price options: an element per
    option value chosen (its name, its value, its surcharge), as the 2021 IPN on record sends them."""
    out: Fields = []
    for item in items:
        chosen = [
            (group, value)
            for group in item.get("PriceOptions") or []
            if isinstance(group, Mapping)
            for value in group.get("Options") or []
            if isinstance(value, Mapping)
        ]
        if not chosen:
            continue
        prefix = f"IPN_PRODUCT_OPTIONS_{item['_terms']['product']['ProductId'] or ''}"
        values = [str(value.get("Value") or "") for _, value in chosen]
        out += [
            (f"{prefix}_TEXT[]", [str(value.get("Name") or group.get("Name") or "") for group, value in chosen]),
            (f"{prefix}_VALUE[]", values),
            (f"{prefix}_OPTIONAL_VALUE[]", list(values)),
            (f"{prefix}_PRICE[]", [money(value.get("Surcharge")) for _, value in chosen]),
            (f"{prefix}_OPERATOR[]", ["ADD" for _ in chosen]),
            (f"{prefix}_USAGE[]", ["PREPAID" for _ in chosen]),
        ]
    return out


def _fraud_status(order: StoredOrder) -> str:
    if order.approve_status == "OK":
        return "APPROVED"
    if order.approve_status == "FRAUD":
        return "DENIED"
    return "PENDING"


def _card_expiration(method: Mapping[str, Any]) -> str:
    month, year = method.get("ExpirationMonth"), method.get("ExpirationYear")
    if not month or not year:
        return ""
    return f"{int(month):02d}/{str(year)[-2:]}"
