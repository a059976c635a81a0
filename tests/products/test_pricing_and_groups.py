"""getPricingConfigurations, getAvailableCurrencies (countryCode and paymentMethod: both or neither),
getProductGroups and addProductGroup.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.data import product_data
from tests.service_env import Env, error_of

GENERAL = {"Name": "General", "Code": "GENERAL", "TemplateName": None, "Description": None, "Enabled": True}


def test_get_pricing_configurations(env: Env) -> None:
    env.a("addProduct", product_data("PRICED"))
    env.a("addProduct", {"ProductCode": "FREE", "ProductName": "Free"})
    assert env.a("getPricingConfigurations", "PRICED") == env.a("getProductByCode", "PRICED")["PricingConfigurations"]
    assert env.a("getPricingConfigurations", "FREE") == []


def test_available_currencies_are_the_usual_three_and_those_priced(env: Env) -> None:
    assert env.a("getAvailableCurrencies", None, None) == ["eur", "gbp", "usd"]
    renewal_in_ron = {"Prices": {"Regular": [], "Renewal": [{"Amount": 5.0, "Currency": "ron"}]}}
    env.a(
        "addProduct",
        product_data(
            "CURRENCIES",
            PricingConfigurations=[{"DefaultCurrency": "CHF"}, renewal_in_ron],
            Prices=[{"Amount": 1.0, "Currency": "JPY"}],  # a product's own Prices: not a configuration's
        ),
    )
    assert env.a("getAvailableCurrencies", None, None) == ["chf", "eur", "gbp", "ron", "usd"]
    assert env.b("getAvailableCurrencies", None, None) == ["eur", "gbp", "usd"]  # A's prices are A's


@pytest.mark.parametrize("version", ["4.0", "6.0"])
def test_country_and_payment_method_go_together(env: Env, version: str) -> None:
    a = env.a_at(version)
    assert a("getAvailableCurrencies", "RO", "CC") == a("getAvailableCurrencies", None, None)
    assert a("getAvailableCurrencies", "", "") == a("getAvailableCurrencies", None, None)
    for args in (("RO", None), (None, "CC"), ("RO", ""), ("", "CC")):  # empty is none, as a WSDL client sends none
        error = error_of(a, "getAvailableCurrencies", *args)
        assert error.code == "INVALID_PARAMETERS" and "countryCode and paymentMethod" in error.message, args


def test_product_groups(env: Env) -> None:
    assert env.a("getProductGroups") == [GENERAL]  # every merchant has the General group
    assert env.a("addProductGroup", {"Name": " Video Games ", "Description": "Fun", "TemplateName": "Default"}) == (
        "VIDEOGAMES"
    )
    assert env.a("addProductGroup", {"Name": "Audio", "Code": "AUD-1", "Enabled": False}) == "AUD-1"
    assert env.a("getProductGroups") == [
        GENERAL,
        {"Name": "Audio", "Code": "AUD-1", "TemplateName": None, "Description": None, "Enabled": False},
        {"Name": "Video Games", "Code": "VIDEOGAMES", "TemplateName": "Default", "Description": "Fun", "Enabled": True},
    ]
    assert env.b("getProductGroups") == [GENERAL]


def test_duplicate_and_invalid_groups_are_refused(env: Env) -> None:
    env.a("addProductGroup", {"Name": "Tools", "Code": "TOOLS"})
    before = env.a("getProductGroups")
    for group in (
        {"Name": "tools"},
        {"Name": "Other", "Code": "TOOLS"},
        {"Name": "General"},
        {"Name": "X", "Code": "GENERAL"},
    ):
        assert error_of(env.a, "addProductGroup", group).code == "DUPLICATE_PRODUCT_GROUP", group
    for group, code in (
        ({"Name": None}, "MISSING_REQUIRED_FIELD"),
        ({"Name": "  "}, "MISSING_REQUIRED_FIELD"),
        ({"Name": "N" * 256}, "FIELD_TOO_LONG"),
        ({"Name": "Long code", "Code": "C" * 101}, "FIELD_TOO_LONG"),
        ({"Name": "Bad\x07"}, "INVALID_FIELD_VALUE"),
    ):
        assert error_of(env.a, "addProductGroup", group).code == code, group
    assert env.a("getProductGroups") == before
    assert env.b("addProductGroup", {"Name": "Tools", "Code": "TOOLS"}) == "TOOLS"  # B's own catalogue
