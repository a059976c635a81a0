"""What an order's items cost: a catalogue item priced from its product's default pricing
configuration, a dynamic item from the price it sends, and the breakdown and totals 2Checkout
answers.

The sandbox charges no VAT and no commission (docs/orders.md, "Prices"): net and gross are the
same amount, VAT, discounts and commissions 0. A catalogue product without a price in the
order's currency is priced from its configuration's default currency at the fixed sandbox
rates of ``RATES``, as 2Checkout converts with its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from twoco.core.errors import ApiError
from twoco.domains.orders.schema import TOTALS
from twoco.domains.products.records import PriceRecord, PricingConfigurationRecord, ProductRecord

# Units of each currency one US dollar buys, in the sandbox (fixed: tests must not drift).
RATES = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.36, "AUD": 1.52, "CHF": 0.88, "JPY": 150.0, "SEK": 10.5,
    "NOK": 10.6, "DKK": 6.9, "PLN": 4.0, "RON": 4.6, "BRL": 5.0, "INR": 83.0, "MXN": 17.0, "CNY": 7.2,
}  # fmt: skip


def money(amount: float) -> float:
    return round(amount + 0.0, 2)


def convert(amount: float, source: str, target: str, field: str) -> float:
    if source == target:
        return amount
    if source not in RATES or target not in RATES:
        unknown = target if target not in RATES else source
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason=f"the sandbox has no exchange rate for {unknown}")
    return money(amount / RATES[source] * RATES[target])


def default_configuration(product: ProductRecord) -> PricingConfigurationRecord | None:
    configurations = product["PricingConfigurations"]
    return next((c for c in configurations if c["Default"]), configurations[0] if configurations else None)


def chosen_options(given: Sequence[Any] | None) -> dict[str, set[str]]:
    """A catalogue item's PriceOptions as {group code: option codes}: each entry a group with its
    Options (codes, or objects whose Value or Name is the code), or a text ``GROUP=option`` or
    a bare option code (of any group: key "")."""
    chosen: dict[str, set[str]] = {}
    for entry in given or ():
        if isinstance(entry, str):
            group, _, option = entry.rpartition("=")
            chosen.setdefault(group.upper(), set()).add(option)
        elif isinstance(entry, Mapping):
            codes = chosen.setdefault((entry.get("Code") or entry.get("Name") or "").upper(), set())
            for option in entry.get("Options") or ():
                code = option.get("Value") or option.get("Name") if isinstance(option, Mapping) else option
                if code:
                    codes.add(str(code))
    return chosen


def _matches(price: PriceRecord, chosen: dict[str, set[str]]) -> bool:
    anywhere = chosen.get("", set())
    for group in price["OptionCodes"]:
        wanted = set(group.get("Options") or ())
        if not wanted & (chosen.get((group.get("Code") or "").upper(), set()) | anywhere):
            return False
    return True


def catalogue_price(
    product: ProductRecord, currency: str, quantity: int, chosen: dict[str, set[str]], field: str
) -> tuple[float, str]:
    """(unit amount in ``currency``, NET or GROSS) of ``quantity`` units with the ``chosen``
    options: the price of the default configuration for the quantity's band that names the most
    of the chosen options (with none chosen, its first price for the band)."""
    configuration = default_configuration(product)
    if configuration is None or not configuration["Prices"]["Regular"]:
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason=f"product {product['ProductCode']!r} has no price")
    regular = configuration["Prices"]["Regular"]
    sources: list[str] = [currency, configuration["DefaultCurrency"], *sorted({p["Currency"] for p in regular})]
    for source in sources:
        band = [p for p in regular if p["Currency"] == source and p["MinQuantity"] <= quantity <= p["MaxQuantity"]]
        if band:
            break
    else:
        raise ApiError("INVALID_FIELD_VALUE", field=f"{field}.Quantity", reason=f"no price for {quantity} units")
    fitting = [p for p in band if _matches(p, chosen)] or ([] if chosen else band)
    if not fitting:
        raise ApiError("INVALID_FIELD_VALUE", field=f"{field}.PriceOptions", reason="no price for these options")
    best = max(fitting, key=lambda p: len(p["OptionCodes"]))
    return convert(best["Amount"], best["Currency"], currency, f"{field}.Code"), configuration["PriceType"]


def item_price(unit: float, quantity: int, currency: str) -> dict[str, object]:
    """An item's Price breakdown: ``unit`` a unit's amount (net and gross alike, without VAT)."""
    unit = money(unit)
    total = money(unit * quantity)
    price: dict[str, object] = {
        "UnitNetPrice": unit,
        "UnitGrossPrice": unit,
        "UnitVAT": 0.0,
        "UnitDiscount": 0.0,
        "UnitNetDiscountedPrice": unit,
        "UnitGrossDiscountedPrice": unit,
        "UnitAffiliateCommission": 0.0,
        "ItemUnitNetPrice": 0.0,
        "ItemUnitGrossPrice": 0.0,
        "ItemNetPrice": 0.0,
        "ItemGrossPrice": 0.0,
        "VATPercent": 0.0,
        "HandlingFeeNetPrice": 0.0,
        "HandlingFeeGrossPrice": 0.0,
        "Currency": currency.lower(),
    }
    for name in TOTALS:
        price[name] = total if name in ("NetPrice", "GrossPrice", "NetDiscountedPrice", "GrossDiscountedPrice") else 0.0
    return price


def order_totals(prices: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The order's totals: the sums of its items'."""
    return {name: money(sum(float(price[name]) for price in prices)) for name in TOTALS}
