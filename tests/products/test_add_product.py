"""addProduct, read back by getProductByCode and getProductById: the AvangateId, 2Checkout's defaults,
the nested objects as sent, required and checked fields, duplicates.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import re

import pytest

from tests.data import product_data
from tests.service_env import Env, error_of, without

# What a product that sends only ProductCode and ProductName reads back as (rules.py's defaults).
DEFAULTS = {
    "ExternalReference": None,
    "ProductType": "REGULAR",
    "ProductVersion": "",
    "PurchaseMultipleUnits": True,
    "Tangible": False,
    "GroupName": "General",
    "ShippingClass": None,
    "GiftOption": False,
    "ShortDescription": "",
    "LongDescription": "",
    "SystemRequirements": "",
    "ProductCategory": None,
    "Platforms": [],
    "ProductImages": [],
    "TrialUrl": "",
    "TrialDescription": "",
    "Enabled": True,
    "AdditionalFields": [],
    "Translations": [],
    "PricingConfigurations": [],
    "Prices": [],
    "BundleProducts": [],
    "Fulfillment": "NO_DELIVERY",
    "GeneratesSubscription": False,
    "SubscriptionInformation": None,
    "FulfillmentInformation": None,
}


def products(env: Env) -> list[tuple[object, ...]]:
    return env.rows("SELECT merchant_id, code, name FROM products ORDER BY id")


def test_add_then_read_by_code_and_by_id(env: Env) -> None:
    assert env.a("addProduct", {"ProductCode": "  ENGINE-1 ", "ProductName": "Engine"}) is True
    by_code = env.a("getProductByCode", "ENGINE-1")  # the code as sent, trimmed
    avangate_id = by_code["AvangateId"]
    assert isinstance(avangate_id, int) and re.fullmatch(r"[1-9][0-9]{6}", str(avangate_id))
    assert env.a("getProductById", avangate_id) == by_code
    returned = {name: by_code[name] for name in DEFAULTS}
    assert returned == DEFAULTS
    assert (by_code["ProductCode"], by_code["ProductName"]) == ("ENGINE-1", "Engine")
    second = env.a("addProduct", {"ProductCode": "ENGINE-2", "ProductName": "Engine 2"})
    assert second is True and env.a("getProductByCode", "ENGINE-2")["AvangateId"] != avangate_id


def test_nested_objects_are_kept_and_completed(env: Env) -> None:
    env.a("addProduct", product_data("NESTED"))
    product = env.a("getProductByCode", "NESTED")
    (configuration,) = product["PricingConfigurations"]
    assert re.fullmatch(r"[0-9A-F]{10}", configuration["Code"])  # the sent Code is replaced, as 2Checkout does
    assert configuration == {
        "Name": "Standard",
        "Code": configuration["Code"],
        "Default": True,  # the first configuration prices the product unless another is named
        "BillingCountries": ["RO", "GB"],
        "PricingSchema": "FLAT",
        "PriceType": "NET",
        "DefaultCurrency": "EUR",
        "Prices": {
            "Regular": [
                {"Amount": 99.5, "Currency": "EUR", "MinQuantity": 1, "MaxQuantity": 9, "OptionCodes": []},
                {"Amount": 89.0, "Currency": "USD", "MinQuantity": 10, "MaxQuantity": 99999, "OptionCodes": []},
            ],
            "Renewal": [{"Amount": 49.0, "Currency": "EUR", "MinQuantity": 1, "MaxQuantity": 99999, "OptionCodes": []}],
        },
        "PriceOptions": [],
    }
    information = product["SubscriptionInformation"]
    assert product["GeneratesSubscription"] is True  # terms given: a subscription product
    assert (information["BillingCycle"], information["BillingCycleUnits"], information["IsOneTimeFee"]) == (
        12,
        "M",
        False,
    )
    assert information["ContractPeriod"] is None and information["GracePeriod"] is None  # left out: nil, as recorded
    assert product["Translations"] == [{"Name": "Motor", "Description": "Calcula tablas", "Language": "ES"}]


def test_price_and_configuration_defaults(env: Env) -> None:
    env.a(
        "addProduct",
        {
            "ProductCode": "BARE",
            "ProductName": "Bare",
            "PricingConfigurations": [{"Prices": {"Regular": [{"Amount": 5, "Currency": "gbp"}]}}, {"Default": True}],
            "Prices": [{"Amount": 3}],
        },
    )
    product = env.a("getProductByCode", "BARE")
    first, second = product["PricingConfigurations"]
    assert first["Name"] == "Bare's Price Configuration" and first["Code"] != second["Code"]
    assert (first["PricingSchema"], first["PriceType"], first["DefaultCurrency"]) == ("FLAT", "NET", "GBP")
    assert second["DefaultCurrency"] == "USD"  # no price, no currency named: USD
    assert (first["Default"], second["Default"]) == (False, True)  # the one named Default
    assert first["Prices"] == {
        "Regular": [{"Amount": 5, "Currency": "GBP", "MinQuantity": 1, "MaxQuantity": 99999, "OptionCodes": []}],
        "Renewal": [],
    }
    assert product["Prices"] == [
        {"Amount": 3, "Currency": "USD", "MinQuantity": 1, "MaxQuantity": 99999, "OptionCodes": []}
    ]


def test_generates_subscription_without_terms_gets_a_month_renewed_without_end(env: Env) -> None:
    env.a("addProduct", {"ProductCode": "MONTHLY", "ProductName": "Monthly", "GeneratesSubscription": True})
    information = env.a("getProductByCode", "MONTHLY")["SubscriptionInformation"]
    assert (information["BillingCycle"], information["BillingCycleUnits"], information["IsOneTimeFee"]) == (
        1,
        "M",
        False,
    )
    assert information["ContractPeriod"] == {
        "Period": -1,
        "PeriodUnits": None,
        "IsUnlimited": True,
        "Action": "RESTART",
    }
    assert information["GracePeriod"] == {"Type": "GLOBAL", "Period": 0, "PeriodUnits": "D", "IsUnlimited": False}
    one_time = {"BillingCycle": -1, "IsOneTimeFee": True}
    env.a("addProduct", {"ProductCode": "ONCE", "ProductName": "Once", "SubscriptionInformation": one_time})
    assert env.a("getProductByCode", "ONCE")["SubscriptionInformation"]["BillingCycle"] == -1


def test_given_values_are_kept(env: Env) -> None:
    sent = {
        "ProductCode": "GIVEN", "ProductName": "Given", "ProductType": "bundle", "Enabled": False, "GiftOption": True,
        "PurchaseMultipleUnits": False, "Tangible": True, "Fulfillment": "BY_AVANGATE", "ProductCategory": "Tools",
        "BundleProducts": [{"ProductCode": "ENGINE-1", "ProductQuantity": 2}], "LongDescription": "x" * 5000,
    }  # fmt: skip
    env.a("addProduct", sent)
    product = env.a("getProductByCode", "GIVEN")
    assert {name: product[name] for name in sent} == {**sent, "ProductType": "BUNDLE"}


def test_a_duplicate_product_code_is_refused_and_nothing_is_stored(env: Env) -> None:
    env.a("addProduct", {"ProductCode": "DUP", "ProductName": "First"})
    before = products(env)
    error = error_of(env.a, "addProduct", {"ProductCode": "DUP", "ProductName": "Second"})
    assert error.code == "DUPLICATE_PRODUCT_CODE" and "DUP" in error.message
    assert (
        error_of(env.a, "addProduct", {"ProductCode": " DUP ", "ProductName": "Third"}).code == "DUPLICATE_PRODUCT_CODE"
    )
    assert products(env) == before and env.a("getProductByCode", "DUP")["ProductName"] == "First"
    assert env.a("addProduct", {"ProductCode": "dup", "ProductName": "Other case"}) is True  # codes are case-sensitive


@pytest.mark.parametrize("field", ["ProductCode", "ProductName"])
def test_required_fields(env: Env, field: str) -> None:
    sent = {"ProductCode": "REQ", "ProductName": "Required"}
    for record in (without(sent, field), {**sent, field: None}, {**sent, field: "   "}):
        error = error_of(env.a, "addProduct", record)
        assert (error.code, field in error.message) == ("MISSING_REQUIRED_FIELD", True)
    price_without_amount = {**sent, "Prices": [{"Currency": "EUR"}]}
    error = error_of(env.a, "addProduct", price_without_amount)
    assert (error.code, "Prices.Amount" in error.message) == ("MISSING_REQUIRED_FIELD", True)
    assert products(env) == []


def _configuration(**fields: object) -> dict[str, object]:
    return {"PricingConfigurations": [{"Prices": {"Regular": [{"Amount": 1.0, "Currency": "EUR"}]}, **fields}]}


def _regular(**fields: object) -> dict[str, object]:
    return {"PricingConfigurations": [{"Prices": {"Regular": [{"Amount": 1.0, **fields}]}}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ProductType": "SERVICE"}, "ProductType"),
        (_configuration(PricingSchema="TIERED"), "PricingConfigurations[0].PricingSchema"),
        (_configuration(PriceType="VAT"), "PricingConfigurations[0].PriceType"),
        (_configuration(DefaultCurrency="EURO"), "PricingConfigurations[0].DefaultCurrency"),
        (_regular(Currency="E1"), "PricingConfigurations[0].Prices.Regular.Currency"),
        (_regular(MinQuantity=0), "PricingConfigurations[0].Prices.Regular.MinQuantity"),
        (_regular(MinQuantity=10, MaxQuantity=5), "PricingConfigurations[0].Prices.Regular.MinQuantity"),
        (_regular(Amount=-1.0), "PricingConfigurations[0].Prices.Regular.Amount"),
        ({"Prices": [{"Amount": 1.0, "MinQuantity": 3, "MaxQuantity": 2}]}, "Prices.MinQuantity"),
        ({"PricingConfigurations": [{"Default": True}, {"Default": True}]}, "PricingConfigurations"),
        ({"SubscriptionInformation": {"BillingCycle": 0}}, "SubscriptionInformation.BillingCycle"),
        ({"SubscriptionInformation": {"BillingCycle": -1}}, "SubscriptionInformation.BillingCycle"),
        ({"SubscriptionInformation": {"BillingCycleUnits": "W"}}, "SubscriptionInformation.BillingCycleUnits"),
        ({"ProductName": "Bad\x01name"}, "ProductName"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_values_name_their_field_and_store_nothing(env: Env, change: dict, field: str) -> None:
    error = error_of(env.a, "addProduct", {"ProductCode": "BAD", "ProductName": "Bad", **change})
    assert error.code == "INVALID_FIELD_VALUE"
    assert error.message.startswith(f"{field}:") or f"{field} " in error.message or field in error.message, (
        error.message
    )
    assert products(env) == []


def test_texts_have_their_limits(env: Env) -> None:
    assert error_of(env.a, "addProduct", {"ProductCode": "C" * 101, "ProductName": "Long"}).code == "FIELD_TOO_LONG"
    assert error_of(env.a, "addProduct", {"ProductCode": "LONG", "ProductName": "N" * 256}).code == "FIELD_TOO_LONG"
    long_url = {"ProductCode": "LONG", "ProductName": "Long", "TrialUrl": "https://x.example/" + "a" * 2100}
    assert error_of(env.a, "addProduct", long_url).code == "FIELD_TOO_LONG"
    assert products(env) == []


def test_an_unknown_group_is_refused(env: Env) -> None:
    by_code = error_of(env.a, "addProduct", {"ProductCode": "G", "ProductName": "G", "ProductGroupCode": "NOPE"})
    by_name = error_of(env.a, "addProduct", {"ProductCode": "G", "ProductName": "G", "GroupName": "Nowhere"})
    assert (by_code.code, by_name.code) == ("PRODUCT_GROUP_NOT_FOUND", "PRODUCT_GROUP_NOT_FOUND")
    assert "NOPE" in by_code.message and "Nowhere" in by_name.message
    assert products(env) == []


def test_a_group_by_code_or_by_name(env: Env) -> None:
    code = env.a("addProductGroup", {"Name": "Power Tools"})
    assert code == "POWERTOOLS"
    env.a("addProduct", {"ProductCode": "BY-CODE", "ProductName": "Drill", "ProductGroupCode": code})
    env.a("addProduct", {"ProductCode": "BY-NAME", "ProductName": "Saw", "GroupName": "power TOOLS"})
    env.a("addProduct", {"ProductCode": "GENERAL", "ProductName": "Misc", "GroupName": "general"})
    names = [env.a("getProductByCode", c)["GroupName"] for c in ("BY-CODE", "BY-NAME", "GENERAL")]
    assert names == ["Power Tools", "Power Tools", "General"]


@pytest.mark.parametrize("code", ["NOPE", "", "x" * 101, "nul\x00"])
def test_unknown_product(env: Env, code: str) -> None:
    env.a("addProduct", {"ProductCode": "EXISTS", "ProductName": "Exists"})
    for operation, args in (
        ("getProductByCode", (code,)),
        ("updateProduct", ({"ProductCode": code or "NOPE", "ProductName": "X"},)),
        ("setProductStatus", (code, False, None, None)),
        ("getPricingConfigurations", (code,)),
    ):
        assert error_of(env.a, operation, *args).code == "PRODUCT_NOT_FOUND", operation
    assert error_of(env.a, "getProductById", 1_000_000).code == "PRODUCT_NOT_FOUND"
    assert error_of(env.a, "getProductByCode", "exists").code == "PRODUCT_NOT_FOUND"  # case-sensitive


def test_nil_items_of_lists_are_no_items(env: Env) -> None:
    """A JSON null (or SOAP nil) in a list of objects is left out, as schemathesis found it answered 500."""
    price = {"Amount": 1.0, "Currency": "EUR"}
    sent = {
        "ProductCode": "NILS", "ProductName": "Nils", "Prices": [None, price], "Translations": [None],
        "PricingConfigurations": [None, {"Prices": {"Regular": [None, price], "Renewal": [None]}}],
    }  # fmt: skip
    assert env.a("addProduct", sent) is True
    product = env.a("getProductByCode", "NILS")
    assert [p["Amount"] for p in product["Prices"]] == [1.0] and product["Translations"] == []
    (configuration,) = product["PricingConfigurations"]
    assert [p["Amount"] for p in configuration["Prices"]["Regular"]] == [1.0] and configuration["Prices"][
        "Renewal"
    ] == []
