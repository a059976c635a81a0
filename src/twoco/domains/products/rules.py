"""A product's field rules: addProduct's and updateProduct's object checked and completed with
2Checkout's defaults, and a stored product as 2Checkout answers it.

What 2Checkout documents as required and real calls omit is not required here: its Product page
lists ProductGroupCode and TaxCategory as required, yet the addProduct calls of Flynax and of
comandapp-pe/atomo send neither (docs/products.md). ProductCode and ProductName every call sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from twoco.core.errors import ApiError
from twoco.core.validation import (
    MAX_REFERENCE,
    check_text,
    normalise_amount,
    normalise_currency,
    require,
)
from twoco.domains.products.records import (
    PriceRecord,
    PricingConfigurationRecord,
    ProductFields,
    ProductGroupRecord,
    ProductRecord,
    SubscriptionInformationRecord,
)
from twoco.domains.products.schema import PRODUCT, SUBSCRIPTION_INFORMATION

REQUIRED = ("ProductCode", "ProductName")
PRODUCT_TYPES = ("REGULAR", "BUNDLE")
PRICING_SCHEMAS = ("FLAT", "DYNAMIC")
PRICE_TYPES = ("NET", "GROSS")
# Billing cycles in days, months or years ("BillingCycleUnits": "M" in the real answer).
CYCLE_UNITS = ("D", "M", "Y")
DEFAULT_GROUP = "General"  # the group of a product that names none (the real answer's GroupName)
# The merchant's General group, which every catalogue has; a product in it names no group code.
GENERAL_GROUP = ProductGroupRecord(
    Name=DEFAULT_GROUP, Code="GENERAL", TemplateName=None, Description=None, Enabled=True
)
MAX_QUANTITY = 99999  # a price band's open end, as the real answer writes it
DEFAULT_CURRENCY = "USD"
LONG_TEXTS = ("ShortDescription", "LongDescription", "SystemRequirements", "Description", "TrialDescription")
MAX_LONG_TEXT = 65535
MAX_URL = 2048

# Fields an absent value gives the real answer's value: texts "", lists [], flags as documented.
_EMPTY_TEXTS = (
    "ProductVersion",
    "ShortDescription",
    "LongDescription",
    "SystemRequirements",
    "TrialUrl",
    "TrialDescription",
)
_LISTS = ("Platforms", "ProductImages", "AdditionalFields", "Translations", "Prices", "BundleProducts")
_FLAGS = {"PurchaseMultipleUnits": True, "Tangible": False, "GiftOption": False, "Enabled": True}
# A subscription product that names no terms: the real answer's (a month, renewed without end).
DEFAULT_SUBSCRIPTION_INFORMATION: dict[str, Any] = {
    "BillingCycle": 1,
    "BillingCycleUnits": "M",
    "ContractPeriod": {"Period": -1, "PeriodUnits": None, "IsUnlimited": True, "Action": "RESTART"},
    "GracePeriod": {"Type": "GLOBAL", "Period": 0, "PeriodUnits": "D", "IsUnlimited": False},
}


def validated_product(
    product: Mapping[str, Any],
    group: ProductGroupRecord,
    new_code: Callable[[], str],
    codes: frozenset[str] = frozenset(),
) -> ProductFields:
    """Validate a decoded Product and fill 2Checkout's defaults. ``group`` is the group it names
    (found by the caller: GENERAL_GROUP when none). Its pricing configurations get new codes from
    ``new_code`` (the recorded addProduct answer shows the sent Code replaced), but for those of
    ``codes``: an update's configurations that keep the code they have."""
    require("", product, REQUIRED)
    _check_texts("", product)
    record: dict[str, Any] = {name: product.get(name) for name in PRODUCT.field_names if name != "AvangateId"}
    record["ProductCode"] = record["ProductCode"].strip()
    record["ProductType"] = one_of("ProductType", record["ProductType"] or "REGULAR", PRODUCT_TYPES)
    record["GroupName"] = group["Name"]
    record["ProductGroup"] = dict(group)
    record["ProductGroupCode"] = None if group is GENERAL_GROUP else group["Code"]
    for name in _EMPTY_TEXTS:
        record[name] = record[name] or ""
    for name in _LISTS:  # a nil item of a list is no item (as BillingCountries' and OptionCodes' are)
        record[name] = [item for item in record[name] or [] if item is not None]
    for name, default in _FLAGS.items():
        record[name] = default if record[name] is None else record[name]
    record["Fulfillment"] = record["Fulfillment"] or "NO_DELIVERY"
    if record["FulfillmentInformation"] is not None:  # its translation lists answer [] when not sent
        information = dict(record["FulfillmentInformation"])
        for name in ("AdditionalInformationEmailTranslations", "AdditionalThankYouPageTranslations"):
            information[name] = information.get(name) or []
        record["FulfillmentInformation"] = information
    record["PricingConfigurations"] = _pricing_configurations(
        record["PricingConfigurations"] or [], record["ProductName"], new_code, codes
    )
    record["Prices"] = [_price("Prices", price) for price in record["Prices"]]
    information = record["SubscriptionInformation"]
    if record["GeneratesSubscription"] is None:
        record["GeneratesSubscription"] = information is not None
    if information is not None or record["GeneratesSubscription"]:
        record["SubscriptionInformation"] = _subscription_information(information or DEFAULT_SUBSCRIPTION_INFORMATION)
    return cast(ProductFields, record)


def updated_product(current: ProductRecord, given: Mapping[str, Any]) -> dict[str, Any]:
    """updateProduct's object over the current product: the fields it sends replace theirs, the
    ones it leaves out (or sends as nil) keep their values. Checked by ``validated_product`` after."""
    merged: dict[str, Any] = {**current}
    merged.update({name: value for name, value in given.items() if value is not None and name != "AvangateId"})
    return merged


def product_view(record: ProductRecord) -> dict[str, object]:
    """The product as 2Checkout answers it (the schema leaves out what only requests carry)."""
    return dict(record)


def one_of(field: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` in upper case, if it is one of ``allowed`` (any case); else INVALID_FIELD_VALUE."""
    upper = value.strip().upper()
    if upper not in allowed:
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason=f"must be one of {', '.join(allowed)}")
    return upper


def _pricing_configurations(
    given: list[Mapping[str, Any]], product_name: str, new_code: Callable[[], str], codes: frozenset[str]
) -> list[PricingConfigurationRecord]:
    configurations = []
    for index, configuration in enumerate(item for item in given if item is not None):
        field = f"PricingConfigurations[{index}]"
        prices = configuration.get("Prices") or {}
        regular = [_price(f"{field}.Prices.Regular", price) for price in prices.get("Regular") or [] if price]
        renewal = [_price(f"{field}.Prices.Renewal", price) for price in prices.get("Renewal") or [] if price]
        currency = normalise_currency(f"{field}.DefaultCurrency", configuration.get("DefaultCurrency"))
        configurations.append(
            PricingConfigurationRecord(
                Name=configuration.get("Name") or f"{product_name}'s Price Configuration",
                Code=configuration["Code"] if configuration.get("Code") in codes else new_code(),
                Default=bool(configuration.get("Default")),
                BillingCountries=[
                    country.upper() for country in configuration.get("BillingCountries") or [] if country
                ],
                PricingSchema=one_of(
                    f"{field}.PricingSchema", configuration.get("PricingSchema") or "FLAT", PRICING_SCHEMAS
                ),
                PriceType=one_of(f"{field}.PriceType", configuration.get("PriceType") or "NET", PRICE_TYPES),
                DefaultCurrency=currency or (regular[0]["Currency"] if regular else DEFAULT_CURRENCY),
                Prices={"Regular": regular, "Renewal": renewal},
                PriceOptions=[dict(option) for option in configuration.get("PriceOptions") or [] if option],
            )
        )
    defaults = [configuration for configuration in configurations if configuration["Default"]]
    if len(defaults) > 1:
        raise ApiError("INVALID_FIELD_VALUE", field="PricingConfigurations", reason="only one can be the Default")
    if configurations and not defaults:
        configurations[0]["Default"] = True  # a product's first configuration prices it unless another is named
    return configurations


def _price(field: str, price: Mapping[str, Any]) -> PriceRecord:
    if price.get("Amount") is None:
        raise ApiError("MISSING_REQUIRED_FIELD", field=f"{field}.Amount")
    normalise_amount(f"{field}.Amount", price["Amount"])
    currency = normalise_currency(f"{field}.Currency", price.get("Currency"))
    low = 1 if price.get("MinQuantity") is None else price["MinQuantity"]
    high = MAX_QUANTITY if price.get("MaxQuantity") is None else price["MaxQuantity"]
    if not 1 <= low <= high:
        raise ApiError(
            "INVALID_FIELD_VALUE", field=f"{field}.MinQuantity", reason="must be 1 or more, and not over MaxQuantity"
        )
    return PriceRecord(
        Amount=price["Amount"],
        Currency=currency or DEFAULT_CURRENCY,
        MinQuantity=low,
        MaxQuantity=high,
        OptionCodes=[dict(option) for option in price.get("OptionCodes") or [] if option],
    )


def _subscription_information(given: Mapping[str, Any]) -> SubscriptionInformationRecord:
    """The product's terms as sent, its cycle completed: a month unless it says otherwise. A
    ContractPeriod or GracePeriod left out stays nil, as the recorded answer keeps it."""
    one_time = bool(given.get("IsOneTimeFee"))
    cycle = 1 if given.get("BillingCycle") is None else given["BillingCycle"]
    if cycle < 1 and not (one_time and cycle == -1):
        raise ApiError(
            "INVALID_FIELD_VALUE",
            field="SubscriptionInformation.BillingCycle",
            reason="must be 1 or more (or -1 with IsOneTimeFee)",
        )
    units = one_of("SubscriptionInformation.BillingCycleUnits", given.get("BillingCycleUnits") or "M", CYCLE_UNITS)
    record: dict[str, Any] = {name: given.get(name) for name in SUBSCRIPTION_INFORMATION.field_names}
    record.update(
        DeprecatedProducts=[code for code in given.get("DeprecatedProducts") or [] if code],
        BillingCycle=cycle,
        BillingCycleUnits=units,
        IsOneTimeFee=one_time,
    )
    return cast(SubscriptionInformationRecord, record)


def _check_texts(path: str, value: object) -> None:
    """Every text in the object (nested ones too) follows the text rules, with room for long
    descriptions and URLs."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            if isinstance(item, str):
                check_text(path + name, item, text_limit(name))
            else:
                _check_texts(f"{path}{name}.", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                check_text(f"{path.rstrip('.')}[{index}]", item)
            else:
                _check_texts(f"{path.rstrip('.')}[{index}].", item)


def text_limit(name: str) -> int:
    """The length a product's text field may have (the OpenAPI document states the same)."""
    if name in LONG_TEXTS:
        return MAX_LONG_TEXT
    if name.endswith(("Url", "URL")):
        return MAX_URL
    return MAX_REFERENCE if name in ("ProductCode", "ExternalReference", "Code") else 255
