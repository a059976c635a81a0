"""An order's items, checked and priced: catalogue items (a product's ``Code``) and dynamic ones
(``IsDynamic``, with their own name and price), each with the terms of the subscription it
generates once the order completes (``_terms``, kept and never answered).

The rules and refusals are those of 2Checkout's docs and error list: at least one item, no mix of
dynamic and catalogue items, a dynamic item's Name and Price, quantities of 1 to 99999, purchase
types PRODUCT, SHIPPING, COUPON and TAX, recurring options for PRODUCT and TAX only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.validation import MAX_REFERENCE, check_text, parse_date
from twoco.domains.orders.port import OrderStore
from twoco.domains.orders.pricing import catalogue_price, chosen_options, item_price, money
from twoco.domains.products.records import PricingConfigurationRecord, ProductRecord

PURCHASE_TYPES = ("PRODUCT", "SHIPPING", "COUPON", "TAX")
RECURRING_PURCHASE_TYPES = ("PRODUCT", "TAX")
CYCLE_UNITS = ("DAY", "WEEK", "MONTH", "YEAR")
MIN_QUANTITY, MAX_QUANTITY = 1, 99999
NO_DELIVERY: dict[str, Any] = {
    "Delivery": "NO_DELIVERY",
    "DownloadFile": None,
    "DeliveryDescription": "",
    "CodesDescription": "",
    "Codes": [],
}


def order_items(
    store: OrderStore, merchant_id: int, items: Sequence[Mapping[str, Any] | None] | None, currency: str, new_id: Any
) -> list[dict[str, Any]]:
    """The order's items as answered (with their ``_terms``); ``new_id`` draws a dynamic product's id."""
    given = [item for item in items or () if item is not None]
    if not given:
        raise ApiError("ORDER_PRODUCTS_EMPTY")
    dynamic = [bool(item.get("IsDynamic")) for item in given]
    if any(dynamic) and not all(dynamic):
        raise ApiError("ORDER_ITEMS_INVALID")
    priced = []
    for index, item in enumerate(given):
        field = f"Items[{index}]"
        for name in ("Code", "Name", "SKU", "ExternalReference"):
            check_text(f"{field}.{name}", item.get(name), MAX_REFERENCE if name == "ExternalReference" else 255)
        check_text(f"{field}.Description", item.get("Description"), 65535)
        quantity = 1 if item.get("Quantity") is None else item["Quantity"]
        if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
            raise ApiError("ORDER_ITEMS_QUANTITY_INVALID", field=f"{field}.Quantity")
        if item.get("IsDynamic"):
            priced.append(_dynamic_item(item, quantity, currency, field, new_id()))
        else:
            priced.append(_catalogue_item(store, merchant_id, item, quantity, currency, field))
    return priced


def _answered_item(
    item: Mapping[str, Any], quantity: int, details: dict[str, Any], price: dict[str, Any]
) -> dict[str, Any]:
    """The fields every item answers, in no particular order (the schema orders them)."""
    return {
        "ProductDetails": details,
        "Price": price,
        "LineItemReference": secrets.token_hex(20),
        "PurchaseType": "PRODUCT",
        "ExternalReference": item.get("ExternalReference") or "",
        "Quantity": quantity,
        "SKU": item.get("SKU"),
        "CrossSell": None,
        "Trial": None,
        "AdditionalFields": None,
        "Promotion": None,
        "RecurringOptions": None,  # answered null though sent, as recorded
        "SubscriptionStartDate": None,
        "SubscriptionCustomSettings": None,
        "UpSell": None,
    }


def _catalogue_item(
    store: OrderStore, merchant_id: int, item: Mapping[str, Any], quantity: int, currency: str, field: str
) -> dict[str, Any]:
    code = (item.get("Code") or "").strip()
    product = store.product(merchant_id, code) if code and len(code) <= MAX_REFERENCE else None
    if product is None or not product["Enabled"]:
        raise ApiError("ORDER_PRODUCT_CODE_INVALID", product=code[:MAX_REFERENCE])
    chosen = chosen_options(item.get("PriceOptions"))
    unit, _ = catalogue_price(product, currency, quantity, chosen, field)
    renewal = _renewal_price(product, currency, quantity, chosen, field)
    trial = item.get("Trial") or None
    trial_days = None
    if trial is not None:
        trial_days = trial.get("Period") or 0
        if trial_days < 1:
            raise ApiError("INVALID_FIELD_VALUE", field=f"{field}.Trial.Period", reason="must be 1 day or more")
        if trial.get("Price") is not None:
            if trial["Price"] < 0:
                raise ApiError("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", field=f"{field}.Trial.Price")
            unit = trial["Price"]
    start = item.get("SubscriptionStartDate") or None
    if start is not None:
        start = str(start)[:10]
        parse_date(f"{field}.SubscriptionStartDate", start)
    details = {
        "Name": product["ProductName"],
        "ShortDescription": product["ShortDescription"],
        "Tangible": product["Tangible"],
        "IsDynamic": False,
        "ExtraInfo": None,
        "RenewalStatus": False,
        "Subscriptions": None,
        "DeliveryInformation": dict(NO_DELIVERY),
    }
    answered = _answered_item(item, quantity, details, item_price(unit, quantity, currency))
    if trial is not None:
        answered["Trial"] = {"Period": trial_days, "GrossPrice": money(unit), "VAT": 0.0, "NetPrice": money(unit)}
    information = product["SubscriptionInformation"]
    cycle = None
    if information is not None and not information["IsOneTimeFee"] and information["BillingCycle"] > 0:
        cycle = [information["BillingCycle"], information["BillingCycleUnits"]]
    return {
        **answered,
        "Code": product["ProductCode"],
        "PriceOptions": _catalogue_options(product, chosen),
        "SubscriptionStartDate": start,
        "_terms": {
            "generates": product["GeneratesSubscription"],
            "cycle": cycle,
            "trial_days": trial_days,
            "start": start,
            "renewal_price": renewal,
            "options": sorted(option for options in chosen.values() for option in options) or None,
            "product": {
                "ProductCode": product["ProductCode"],
                "ProductId": product["AvangateId"],
                "ProductName": product["ProductName"],
                "ProductVersion": product["ProductVersion"] or None,
            },
        },
    }


def _renewal_price(
    product: ProductRecord, currency: str, quantity: int, chosen: dict[str, set[str]], field: str
) -> float | None:
    """The price of a renewal: the configuration's renewal price, else its regular one."""
    renewal: list[PricingConfigurationRecord] = [
        {**configuration, "Prices": {"Regular": configuration["Prices"]["Renewal"], "Renewal": []}}
        for configuration in product["PricingConfigurations"]
        if configuration["Prices"]["Renewal"]
    ]
    if not renewal:
        return catalogue_price(product, currency, quantity, chosen, field)[0]
    try:
        return catalogue_price({**product, "PricingConfigurations": renewal}, currency, quantity, chosen, field)[0]
    except ApiError:
        return None


def _catalogue_options(product: ProductRecord, chosen: dict[str, set[str]]) -> list[dict[str, Any]]:
    """The chosen options as 6.0 answers them; a group the product does not price is left out."""
    required = {
        (option.get("Code") or "").upper(): bool(option.get("Required"))
        for configuration in product["PricingConfigurations"]
        for option in configuration["PriceOptions"]
    }
    return [
        {
            "Code": group,
            "Name": group,
            "Required": required[group],
            "Options": [{"Name": option, "Value": option, "Surcharge": "0.00"} for option in sorted(options)],
        }
        for group, options in chosen.items()
        if group in required
    ]


def _dynamic_item(item: Mapping[str, Any], quantity: int, currency: str, field: str, product_id: int) -> dict[str, Any]:
    if not (item.get("Name") or "").strip():
        raise ApiError("ORDER_PRODUCT_NAME_INVALID", field=f"{field}.Name")
    purchase_type = (item.get("PurchaseType") or "PRODUCT").upper()
    if purchase_type not in PURCHASE_TYPES:
        raise ApiError("ORDER_PRODUCT_PURCHASE_TYPE_INVALID", field=f"{field}.PurchaseType")
    price = item.get("Price") or {}
    amount = price.get("Amount")
    if amount is None or amount < 0:
        raise ApiError("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", field=f"{field}.Price.Amount")
    options, surcharge = _dynamic_options(item.get("PriceOptions"), f"{field}.PriceOptions")
    unit = amount + surcharge
    recurring = item.get("RecurringOptions") or None
    cycle = None
    if recurring is not None:
        if purchase_type not in RECURRING_PURCHASE_TYPES:
            raise ApiError(
                "INVALID_FIELD_VALUE",
                field=f"{field}.RecurringOptions",
                reason="recurring options can be set only for purchase type PRODUCT and TAX",
            )
        cycle = _cycle(recurring, f"{field}.RecurringOptions")
    if purchase_type == "COUPON":
        unit = -unit  # a discount line lowers the order's total
    details = {
        "Name": item["Name"],
        "ShortDescription": item.get("Description"),
        "Tangible": bool(item.get("Tangible")),
        "IsDynamic": True,
        "ExtraInfo": None,
        "RenewalStatus": False,
        "Subscriptions": None,
        "DeliveryInformation": dict(NO_DELIVERY),
    }
    answered = _answered_item(item, quantity, details, item_price(unit, quantity, currency))
    renewal = None if recurring is None else recurring.get("CycleAmount")
    return {
        **answered,
        "Code": None,
        "PurchaseType": purchase_type,
        "PriceOptions": options,
        "_terms": {
            # A dynamic product without recurring options is a lifetime licence (IPN_LICENSE_LIFETIME "YES").
            "generates": purchase_type == "PRODUCT",
            "cycle": cycle,
            "trial_days": None,
            "start": None,
            "renewal_price": unit if renewal is None and cycle is not None else renewal,
            "options": None,
            "product": {
                "ProductCode": None,
                "ProductId": product_id,
                "ProductName": item["Name"],
                "ProductVersion": None,
            },
        },
    }


def _cycle(recurring: Mapping[str, Any], field: str) -> list[Any]:
    length = recurring.get("CycleLength")
    unit = (recurring.get("CycleUnit") or "").upper()
    if length is None or length < 1:
        raise ApiError("INVALID_FIELD_VALUE", field=f"{field}.CycleLength", reason="must be 1 or more")
    if unit not in CYCLE_UNITS:
        raise ApiError(
            "INVALID_FIELD_VALUE", field=f"{field}.CycleUnit", reason=f"must be one of {', '.join(CYCLE_UNITS)}"
        )
    amount = recurring.get("CycleAmount")
    if amount is not None and amount < 0:
        raise ApiError("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", field=f"{field}.CycleAmount")
    return [length, unit]


def _dynamic_options(given: Sequence[Any] | None, field: str) -> tuple[list[dict[str, Any]], float]:
    """A dynamic item's price options as 6.0 answers them (each group a code of its name and
    position, each value a hash, each surcharge as text with two decimals), and their surcharges' sum."""
    options: list[dict[str, Any]] = []
    total = 0.0
    for index, group in enumerate(option for option in given or () if isinstance(option, Mapping)):
        name = str(group.get("Name") or group.get("Code") or "")
        values = []
        for value in group.get("Options") or ():
            value = value if isinstance(value, Mapping) else {"Value": value}
            surcharge = value.get("Surcharge") or 0
            try:
                surcharge = float(surcharge)
            except ValueError:
                raise ApiError("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", field=f"{field}[{index}].Surcharge") from None
            total += surcharge
            text = str(value.get("Value") or "")
            values.append(
                {
                    "Name": value.get("Name"),
                    "Value": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
                    "Surcharge": f"{surcharge:.2f}",
                }
            )
        options.append({"Code": f"{name}_{index + 1}", "Name": name, "Required": True, "Options": values})
    return options, total
