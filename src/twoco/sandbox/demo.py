"""The demo merchant's data: what a new store's first merchant holds, so that 2Checkout's samples
work against it changed only in host, merchant code and key (``twoco serve`` prints it)."""

from __future__ import annotations

from typing import Any

from twoco.core.ids import ReferenceGenerator
from twoco.domains import DomainStore
from twoco.domains.customers.rules import new_customer
from twoco.domains.products.rules import GENERAL_GROUP, validated_product

# The customer 2Checkout's "Update a customer" sample (the seed script) reads and updates, so
# that the sample works against a new store changed only in host, merchant code and key.
DEMO_REFERENCE = 298084139
DEMO_CUSTOMER = {
    "AvangateCustomerReference": DEMO_REFERENCE,
    "ExternalCustomerReference": "Apitest123456",
    "FirstName": "John",
    "LastName": "Doe",
    "Company": "Example Company",
    "Address1": "10 Example Street",
    "City": "Atlanta",
    "State": "Georgia",
    "Zip": "30301",
    "CountryCode": "us",
    "Phone": "021-000-222",
    "Email": "john.doe@example.com",
    "Language": "en",
}


def _price(amount: float, currency: str, *options: tuple[str, str]) -> dict[str, Any]:
    return {"Amount": amount, "Currency": currency, "OptionCodes": [{"Code": c, "Options": [o]} for c, o in options]}


def _configuration(code: str, regular: list[Any], renewal: list[Any], **more: Any) -> dict[str, Any]:
    """A default FLAT NET configuration in USD; its code is fixed, the same on every new store."""
    return {
        "Code": code,
        "Default": True,
        "PricingSchema": "FLAT",
        "PriceType": "NET",
        "DefaultCurrency": "USD",
        "Prices": {"Regular": regular, "Renewal": renewal},
        **more,
    }


# The catalogue samples look in: the first enabled REGULAR product (searchProducts with Limit=1) is
# the monthly subscription, whose AvangateId is the ProductId 2Checkout's SOAP addSubscription
# sample imports by, so that import finds its ProductCode.
DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "AvangateId": 4586004,
        "ProductCode": "TWOCO-MONTHLY",
        "ProductName": "twoco Monthly",
        # A trial, for the samples that look for "a REGULAR product that allows trial" (PlaceOrderWithTrialCreditCard).
        "TrialDescription": "Try twoco Monthly free for 7 days.",
        "GeneratesSubscription": True,
        "SubscriptionInformation": {"BillingCycle": 1, "BillingCycleUnits": "M"},
        "PricingConfigurations": [
            _configuration(
                "TWOCOMONTH", [_price(9.99, "USD"), _price(8.99, "EUR")], [_price(7.99, "USD"), _price(6.99, "EUR")]
            )
        ],
    },
    {
        "AvangateId": 4586005,
        "ProductCode": "TWOCO-LIFETIME",
        "ProductName": "twoco Lifetime Licence",
        "GeneratesSubscription": False,
        "PricingConfigurations": [_configuration("TWOCOLIFE0", [_price(149.0, "USD"), _price(139.0, "EUR")], [])],
    },
    {
        "AvangateId": 4586006,
        "ProductCode": "TWOCO-OPTIONS",
        "ProductName": "twoco With Options",
        "GeneratesSubscription": True,
        "SubscriptionInformation": {"BillingCycle": 12, "BillingCycleUnits": "M"},
        "PricingConfigurations": [
            _configuration(
                "TWOCOOPTS0",
                [_price(49.0, "USD", ("SUPPORT", "STANDARD")), _price(99.0, "USD", ("SUPPORT", "PREMIUM"))],
                [_price(39.0, "USD", ("SUPPORT", "STANDARD")), _price(79.0, "USD", ("SUPPORT", "PREMIUM"))],
                PriceOptions=[{"Code": "SUPPORT", "Required": True}],
            )
        ],
    },
]


def add_demo_data(store: DomainStore, merchant_code: str) -> None:
    """The demo merchant's customer and catalogue (DEMO_CUSTOMER, DEMO_PRODUCTS), by the API's rules."""
    merchant = store.merchant(merchant_code)
    if merchant is None:
        raise ValueError(f"no merchant {merchant_code!r} to add the demo data to")
    store.insert_customer(merchant.id, {"AvangateCustomerReference": DEMO_REFERENCE, **new_customer(DEMO_CUSTOMER)})
    for product in DEMO_PRODUCTS:
        codes = frozenset(configuration["Code"] for configuration in product["PricingConfigurations"])
        record = validated_product(product, GENERAL_GROUP, ReferenceGenerator().subscription_reference, codes)
        store.insert_product(merchant.id, product["AvangateId"], record)
