"""addSubscription: defaults and given values, the customer it names or makes, required fields, checked values.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import re

import pytest

from tests.service_env import (
    MISSING_CUSTOMER,
    Env,
    end_user,
    error_of,
    get_customer,
    new_customer,
    subscription,
    without,
)
from twoco.domains.customers.schema import END_USER_FIELDS


def test_add_subscription_returns_ten_upper_hex_and_fills_defaults(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-1")
    sent = subscription(
        owner,
        ExternalSubscriptionReference="IMPORT-1",
        EndUser=end_user(CountryCode="RO", Language="RO", Email="eu@example.ro"),
    )
    reference = env.a("addSubscription", sent)
    assert isinstance(reference, str) and re.fullmatch(r"[0-9A-F]{10}", reference)
    assert env.a("getSubscription", reference) == {
        "SubscriptionReference": reference,
        "StartDate": "2026-01-01",
        "ExpirationDate": "2027-01-01",
        "ActivationDate": None,
        "RecurringEnabled": False,
        "SubscriptionEnabled": True,
        "SKU": "",
        "DeliveryInfo": {
            "Description": "",
            "Codes": [{"Code": None, "File": None, "Description": "", "ExtraInfo": None}],
        },
        "ReceiveNotifications": True,
        "Lifetime": False,
        "PartnerCode": "",
        "TestSubscription": False,
        "IsTrial": False,
        "ExternalSubscriptionReference": "IMPORT-1",
        "NextRenewalPrice": None,
        "NextRenewalPriceCurrency": None,
        "SubscriptionValue": None,
        "SubscriptionValueCurrency": None,
        "CustomPriceBillingCyclesLeft": None,
        "Product": {
            "ProductCode": "PROD-1",
            "ProductId": None,
            "ProductName": "Engine",
            "ProductVersion": "1.0",
            "ProductQuantity": 1,
            "PriceOptionCodes": None,
        },
        "EndUser": end_user(CountryCode="ro", Language="ro", Email="eu@example.ro"),
        "AvangateCustomerReference": owner,
        "ExternalCustomerReference": "EXT-1",
    }


def test_add_subscription_keeps_given_flags_and_product(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a(
        "addSubscription",
        subscription(
            owner,
            RecurringEnabled=True,
            SubscriptionEnabled=False,
            ReceiveNotifications=False,
            Lifetime=True,
            TestSubscription=True,
            IsTrial=True,
            SKU="SKU-9",
            PartnerCode="PARTNER",
            Product={"ProductCode": "P2", "ProductId": 4586004, "ProductQuantity": 7, "PriceOptionCodes": ["A", "b"]},
        ),
    )
    got = env.a("getSubscription", reference)
    flags = (
        "RecurringEnabled", "SubscriptionEnabled", "ReceiveNotifications", "Lifetime", "TestSubscription", "IsTrial"
    )  # fmt: skip
    assert [got[name] for name in flags] == [True, False, False, True, True, True]
    assert (got["SKU"], got["PartnerCode"]) == ("SKU-9", "PARTNER")
    assert got["Product"] == {
        "ProductCode": "P2",
        "ProductId": 4586004,
        "ProductName": None,
        "ProductVersion": None,
        "ProductQuantity": 7,
        "PriceOptionCodes": ["A", "b"],
    }


def test_add_subscription_by_external_customer_reference(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-OWNER")
    reference = env.a("addSubscription", subscription(None, "EXT-OWNER"))
    assert env.a("getSubscription", reference)["AvangateCustomerReference"] == owner


def test_add_subscription_for_a_missing_internal_reference_fails(env: Env) -> None:
    new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = env.dump()
    assert error_of(env.a, "addSubscription", subscription(MISSING_CUSTOMER)).code == "CUSTOMER_NOT_FOUND"
    mismatch = subscription(MISSING_CUSTOMER, "EXT-1")
    assert error_of(env.a, "addSubscription", mismatch).code == "CUSTOMER_NOT_FOUND"
    assert env.dump() == before


@pytest.mark.parametrize("external", [None, "EXT-NEW"])
def test_add_subscription_naming_no_customer_makes_one_from_the_end_user(env: Env, external: str | None) -> None:
    """2Checkout's SOAP sample names no customer; its output shows a new one (and "Import customer IDs")."""
    sent = subscription(None, external, EndUser=end_user(Email="eu@example.ro", CountryCode="RO", Language="ro"))
    reference = env.a("addSubscription", sent)
    got = env.a("getSubscription", reference)
    owner = got["AvangateCustomerReference"]
    assert isinstance(owner, int) and got["ExternalCustomerReference"] == external
    customer = get_customer(env.a, owner)
    person = {name: customer[name] for name in END_USER_FIELDS}
    assert person == {**end_user(Email="eu@example.ro", CountryCode="ro", Language="ro")}
    assert customer["ExternalCustomerReference"] == external and customer["Enabled"] is True
    again = env.a("addSubscription", subscription(None, external, ExternalSubscriptionReference="IMPORT-2"))
    second_owner = env.a("getSubscription", again)["AvangateCustomerReference"]
    assert (second_owner == owner) is (external is not None)  # a known external reference names its customer


def test_add_subscription_end_user_without_address_makes_a_customer_with_empty_address(env: Env) -> None:
    sent = subscription(None, None, EndUser=without(without(end_user(), "Address1"), "Zip"))
    owner = env.a("getSubscription", env.a("addSubscription", sent))["AvangateCustomerReference"]
    assert (get_customer(env.a, owner)["Address1"], get_customer(env.a, owner)["Zip"]) == ("", "")


@pytest.mark.parametrize(
    "field", ["ExternalSubscriptionReference", "StartDate", "ExpirationDate", "Product", "EndUser"]
)
def test_add_subscription_requires_field(env: Env, field: str) -> None:
    owner = new_customer(env.a)
    for record in (without(subscription(owner), field), subscription(owner, **{field: None})):
        error = error_of(env.a, "addSubscription", record)
        assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", field)
    assert env.dump()["subscriptions"] == []


def test_add_subscription_requires_product_code_or_id(env: Env) -> None:
    owner = new_customer(env.a)
    for product in ({"ProductName": "Engine"}, {"ProductCode": " "}, {"ProductCode": "", "ProductId": None}):
        error = error_of(env.a, "addSubscription", subscription(owner, Product=product))
        assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "Product.ProductId")


def test_add_subscription_by_product_id_takes_the_code_an_earlier_import_gave_it(env: Env) -> None:
    owner = new_customer(env.a)
    by_id = env.a("addSubscription", subscription(owner, Product={"ProductId": 4586004, "ProductCode": ""}))
    assert env.a("getSubscription", by_id)["Product"]["ProductCode"] is None
    env.a(
        "addSubscription",
        subscription(
            owner,
            ExternalSubscriptionReference="I-2",
            Product={"ProductId": 4586004, "ProductCode": "prod_many_options"},
        ),
    )
    later = env.a(
        "addSubscription", subscription(owner, ExternalSubscriptionReference="I-3", Product={"ProductId": 4586004})
    )
    assert env.a("getSubscription", later)["Product"]["ProductCode"] == "prod_many_options"


def test_add_subscription_keeps_the_documented_extra_fields(env: Env) -> None:
    owner = new_customer(env.a)
    extra = {
        "ActivationDate": "2026-01-02",
        "DeliveryInfo": {"Codes": [{"Code": "___TEST___CODE____"}]},
        "NextRenewalPrice": 49.99,
        "NextRenewalPriceCurrency": "usd",
        "SubscriptionValue": 199.0,
        "SubscriptionValueCurrency": "USD",
        "CustomPriceBillingCyclesLeft": 2,
    }
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, **extra)))
    assert {name: got[name] for name in extra} == {
        **extra,
        "DeliveryInfo": {
            "Description": None,
            "Codes": [{"Code": "___TEST___CODE____", "File": None, "Description": None, "ExtraInfo": None}],
        },
        "NextRenewalPriceCurrency": "USD",
    }


@pytest.mark.parametrize("test", [1, None])
def test_add_subscription_test_flag_marks_a_test_subscription(env: Env, test: int | None) -> None:
    owner = new_customer(env.a)
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, Test=test)))
    assert got["TestSubscription"] is (test == 1)


def test_add_subscription_accepts_an_empty_end_user_email(env: Env) -> None:
    """2Checkout's own import sample sends EndUser.Email = '' (verifone.cloud/node?page=73)."""
    owner = new_customer(env.a)
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, EndUser=end_user(Email=""))))
    assert got["EndUser"]["Email"] == ""


@pytest.mark.parametrize("field", ["FirstName", "LastName", "City", "CountryCode"])
def test_add_subscription_requires_end_user_field(env: Env, field: str) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=without(end_user(), field)))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", f"EndUser.{field}")


def test_add_subscription_checks_end_user_values(env: Env) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=end_user(Email="nope")))
    assert (error.code, error.details["field"]) == ("INVALID_EMAIL", "EndUser.Email")
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=end_user(CountryCode="zz")))
    assert (error.code, error.details["field"]) == ("INVALID_COUNTRY_CODE", "EndUser.CountryCode")


@pytest.mark.parametrize("quantity", [0, -1, 100000])
def test_add_subscription_checks_quantity(env: Env, quantity: int) -> None:
    owner = new_customer(env.a)
    product = {"ProductCode": "P", "ProductQuantity": quantity}
    error = error_of(env.a, "addSubscription", subscription(owner, Product=product))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Product.ProductQuantity")


def test_duplicate_external_subscription_reference(env: Env) -> None:
    owner = new_customer(env.a)
    other = new_customer(env.a)
    env.a("addSubscription", subscription(owner, ExternalSubscriptionReference="IMPORT-1"))
    error = error_of(env.a, "addSubscription", subscription(other, ExternalSubscriptionReference="IMPORT-1"))
    assert error.code == "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE"
    assert len(env.dump()["subscriptions"]) == 1


@pytest.mark.parametrize(
    ("start", "expiration", "field"),
    [
        ("2026/01/01", "2027-01-01", "StartDate"),
        ("2026-02-30", "2027-01-01", "StartDate"),
        ("26-01-01", "2027-01-01", "StartDate"),
        ("2026-01-01", "2027-13-01", "ExpirationDate"),
        ("2026-01-01", "2027-01-01T00:00:00", "ExpirationDate"),
        ("2026-01-01", "2025-12-31", "ExpirationDate"),
    ],
)
def test_add_subscription_rejects_bad_dates(env: Env, start: str, expiration: str, field: str) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, StartDate=start, ExpirationDate=expiration))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", field)
    assert env.dump()["subscriptions"] == []
