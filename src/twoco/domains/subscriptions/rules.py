"""A subscription's field rules: an import checked and completed, an EndUser's update, dates, and
a stored subscription as 2Checkout answers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.validation import (
    MAX_REFERENCE,
    check_text,
    normalise_amount,
    normalise_currency,
    parse_date,
    require,
)
from twoco.domains.customers.records import EndUserRecord, end_user_record
from twoco.domains.customers.rules import normalise_end_user
from twoco.domains.customers.schema import END_USER_FIELDS
from twoco.domains.subscriptions.records import (
    DeliveryCodeRecord,
    DeliveryInfoRecord,
    SubscriptionFields,
    SubscriptionRecord,
)
from twoco.domains.subscriptions.schema import PRODUCT

# What an import must carry (addSubscription; the OpenAPI document states the same).
IMPORT_REQUIRED = ("ExternalSubscriptionReference", "StartDate", "ExpirationDate", "Product", "EndUser")
# 2Checkout's own import sample sends an empty EndUser Email (verifone.cloud/node?page=73): imports accept it.
IMPORT_END_USER_REQUIRED = ("FirstName", "LastName", "City", "CountryCode")
MIN_QUANTITY, MAX_QUANTITY = 1, 99999  # a product's quantity


def merged_end_user(current: EndUserRecord, given: Mapping[str, Any]) -> EndUserRecord:
    """An EndUser update: the fields ``given`` (a decoded EndUser) replace the current ones, absent
    ones keep theirs; checked."""
    merged: dict[str, object] = {**current, **{name: given[name] for name in END_USER_FIELDS if name in given}}
    normalise_end_user(merged)
    return end_user_record(merged)


def check_expiration(start: object, expiration: object) -> None:
    """Both dates valid, and the subscription not expiring before it starts."""
    first = parse_date("StartDate", start)
    if parse_date("ExpirationDate", expiration) < first:
        raise ApiError("INVALID_FIELD_VALUE", field="ExpirationDate", reason="must not be before StartDate")


def validated_subscription(subscription: Mapping[str, Any], test: int | None = None) -> SubscriptionFields:
    """Validate an imported Subscription (a decoded one) and fill 2Checkout's defaults.

    ``test`` (the 5.0/6.0 parameter) or a ``Test`` inside the object, other than 0 or nil, makes it
    a test subscription; REST and JSON bodies carry it inside the object.
    """
    require("", subscription, IMPORT_REQUIRED)
    for name in ("ExternalSubscriptionReference", "SKU", "PartnerCode"):
        check_text(name, subscription.get(name), MAX_REFERENCE if name.startswith("External") else 255)
    check_expiration(subscription["StartDate"], subscription["ExpirationDate"])
    if subscription.get("ActivationDate"):
        parse_date("ActivationDate", subscription["ActivationDate"])
    product = {name: subscription["Product"].get(name) for name in PRODUCT.field_names}
    if not (product["ProductCode"] or "").strip():  # a product may be named by its id alone, as 2Checkout's samples do
        product["ProductCode"] = None
        require("Product.", product, ("ProductId",))
    for name in ("ProductCode", "ProductName", "ProductVersion"):
        check_text(f"Product.{name}", product[name])
    for code in product["PriceOptionCodes"] or ():
        check_text("Product.PriceOptionCodes", code)
    if product["ProductQuantity"] is None:
        product["ProductQuantity"] = 1
    if not MIN_QUANTITY <= product["ProductQuantity"] <= MAX_QUANTITY:
        raise ApiError(
            "INVALID_FIELD_VALUE",
            field="Product.ProductQuantity",
            reason=f"must be between {MIN_QUANTITY} and {MAX_QUANTITY}",
        )
    end_user = {name: subscription["EndUser"].get(name) for name in END_USER_FIELDS}
    normalise_end_user(end_user, required=IMPORT_END_USER_REQUIRED)
    end_user["Email"] = end_user["Email"] or ""
    prices = {}
    for name in ("NextRenewalPrice", "SubscriptionValue"):
        normalise_amount(name, subscription.get(name))
        prices[name] = subscription.get(name)
        prices[f"{name}Currency"] = normalise_currency(f"{name}Currency", subscription.get(f"{name}Currency"))
    cycles = subscription.get("CustomPriceBillingCyclesLeft")
    if cycles is not None and cycles < 0:
        raise ApiError("INVALID_FIELD_VALUE", field="CustomPriceBillingCyclesLeft", reason="must not be negative")

    def flag(name: str, default: bool) -> bool:
        value = subscription.get(name)
        return default if value is None else value

    return {
        "ExternalSubscriptionReference": subscription["ExternalSubscriptionReference"],
        "StartDate": subscription["StartDate"],
        "ActivationDate": subscription.get("ActivationDate") or None,
        "ExpirationDate": subscription["ExpirationDate"],
        "RecurringEnabled": flag("RecurringEnabled", False),
        "SubscriptionEnabled": flag("SubscriptionEnabled", True),
        "ReceiveNotifications": flag("ReceiveNotifications", True),
        "Lifetime": flag("Lifetime", False),
        "TestSubscription": flag("TestSubscription", False) or bool(test) or bool(subscription.get("Test")),
        "IsTrial": flag("IsTrial", False),
        "SKU": subscription.get("SKU"),
        "PartnerCode": subscription.get("PartnerCode"),
        "DeliveryInfo": _delivery_info(subscription.get("DeliveryInfo")),
        "CustomPriceBillingCyclesLeft": cycles,
        "NextRenewalPrice": prices["NextRenewalPrice"],
        "NextRenewalPriceCurrency": prices["NextRenewalPriceCurrency"],
        "SubscriptionValue": prices["SubscriptionValue"],
        "SubscriptionValueCurrency": prices["SubscriptionValueCurrency"],
        "Product": {
            "ProductCode": product["ProductCode"],
            "ProductId": product["ProductId"],
            "ProductName": product["ProductName"],
            "ProductVersion": product["ProductVersion"],
            "ProductQuantity": product["ProductQuantity"],
            "PriceOptionCodes": product["PriceOptionCodes"],
        },
        "EndUser": end_user_record(end_user),
    }


def _delivery_info(info: Mapping[str, Any] | None) -> DeliveryInfoRecord | None:
    """DeliveryInfo as stored: every code with all four fields, text checked. (``info``: a decoded DeliveryInfo.)"""
    if info is None:
        return None
    check_text("DeliveryInfo.Description", info.get("Description"))
    codes: list[DeliveryCodeRecord] = []
    for code in info.get("Codes") or ():
        given = code or {}
        entry: DeliveryCodeRecord = {
            "Code": given.get("Code"),
            "File": given.get("File"),
            "Description": given.get("Description"),
            "ExtraInfo": given.get("ExtraInfo"),
        }
        for name, value in entry.items():
            check_text(f"DeliveryInfo.Codes.{name}", value)
        codes.append(entry)
    return {"Description": info.get("Description"), "Codes": codes}


def subscription_view(record: SubscriptionRecord) -> dict[str, object]:
    """A stored subscription as 2Checkout answers it: unset SKU and PartnerCode as "", as its recorded outputs show."""
    view: dict[str, object] = dict(record)
    for name in ("SKU", "PartnerCode"):
        if view.get(name) is None:
            view[name] = ""
    if view.get("DeliveryInfo") is None:  # what 2Checkout answers for an import without delivery data
        view["DeliveryInfo"] = {
            "Description": "",
            "Codes": [{"Code": None, "File": None, "Description": "", "ExtraInfo": None}],
        }
    view.pop("LatestSubscriptionOrder", None)  # an import has none: answered null (6.0)
    latest = record["LatestSubscriptionOrder"]
    if latest is not None:  # twoco charges no renewal that could fail
        view["LatestSubscriptionOrder"] = {
            "RefNo": latest["RefNo"],
            "Status": latest["Status"],
            "FailedRecurringChargesCount": 0,
        }
    return view
