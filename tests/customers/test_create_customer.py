"""createCustomer: required fields, checked values, external references, what it ignores.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import Env, customer, error_of, get_customer, new_customer, without
from twoco.domains.customers import operations as customers
from twoco.domains.customers.schema import CUSTOMER


def test_create_customer_returns_nine_digit_int(env: Env) -> None:
    reference = new_customer(env.a)
    assert type(reference) is int
    assert 100_000_000 <= reference <= 999_999_999
    second = new_customer(env.a)
    assert second != reference and 100_000_000 <= second <= 999_999_999


def test_created_customer_reads_back(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1", CountryCode="US", Language="EN")
    view = get_customer(env.a, reference)
    # API 4.0's Customer has exactly these 19 fields, in this order (6.0 appends Credit, never set here).
    assert list(view)[:19] == list(CUSTOMER.field_names)
    assert view.get("Credit") is None
    assert {name: view[name] for name in CUSTOMER.field_names} == {
        "AvangateCustomerReference": reference,
        "ExternalCustomerReference": "EXT-1",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical Engines Ltd",
        "FiscalCode": None,
        "Address1": "12 St James's Square",
        "Address2": None,
        "City": "London",
        "State": None,
        "Zip": "SW1Y 4JH",
        "CountryCode": "us",
        "Phone": "+44 20 7946 0000",
        "Fax": None,
        "Email": "ada@example.com",
        "ExistingCards": [],
        "Enabled": False,
        "Trial": False,
        "Language": "en",
    }


@pytest.mark.parametrize("field", ["FirstName", "LastName", "Address1", "City", "Zip", "CountryCode", "Email"])
@pytest.mark.parametrize("how", ["absent", "none", "empty", "blank"])
def test_create_customer_requires_field(env: Env, field: str, how: str) -> None:
    values = {"none": None, "empty": "", "blank": "  "}
    record = without(customer(), field) if how == "absent" else customer(**{field: values[how]})
    error = error_of(env.a, "createCustomer", record)
    assert error.code == "MISSING_REQUIRED_FIELD"
    assert error.details["field"] == field
    assert field in error.message
    assert env.dump()["customers"] == []


@pytest.mark.parametrize("country", ["XX", "usa", "u", "12", "uk"])
def test_create_customer_rejects_invalid_country(env: Env, country: str) -> None:
    error = error_of(env.a, "createCustomer", customer(CountryCode=country))
    assert error.code == "INVALID_COUNTRY_CODE"
    assert error.details["field"] == "CountryCode"


def test_country_code_is_stored_lower_case(env: Env) -> None:
    reference = new_customer(env.a, CountryCode="US")
    assert get_customer(env.a, reference)["CountryCode"] == "us"
    assert env.rows("SELECT country_code FROM customers") == [("us",)]


def test_language_is_lower_cased_and_checked(env: Env) -> None:
    reference = new_customer(env.a, Language="EN")
    assert get_customer(env.a, reference)["Language"] == "en"
    error = error_of(env.a, "createCustomer", customer(Language="xx"))
    assert error.code == "INVALID_LANGUAGE"
    assert error.details["field"] == "Language"


def test_language_is_optional_and_unset_reads_empty(env: Env) -> None:
    reference = new_customer(env.a, Language=None)
    assert get_customer(env.a, reference)["Language"] == ""  # as 2Checkout's recorded outputs show it


@pytest.mark.parametrize("email", ["ada", "ada@", "@example.com", "ada@example", "ada @example.com", "a@b@c.com"])
def test_create_customer_rejects_invalid_email(env: Env, email: str) -> None:
    error = error_of(env.a, "createCustomer", customer(Email=email))
    assert error.code == "INVALID_EMAIL"
    assert error.details["field"] == "Email"


@pytest.mark.parametrize("company", [None, "", "   "])
def test_fiscal_code_requires_company(env: Env, company: object) -> None:
    error = error_of(env.a, "createCustomer", customer(FiscalCode="RO12345678", Company=company))
    assert error.code == "FISCAL_CODE_REQUIRES_COMPANY"
    assert env.dump()["customers"] == []


def test_fiscal_code_with_company_is_kept(env: Env) -> None:
    reference = new_customer(env.a, FiscalCode="RO12345678")
    assert get_customer(env.a, reference)["FiscalCode"] == "RO12345678"


@pytest.mark.parametrize("field", ["FirstName", "Address2", "City", "State", "Company"])
def test_field_of_256_characters_is_too_long(env: Env, field: str) -> None:
    error = error_of(env.a, "createCustomer", customer(**{field: "x" * 256}))
    assert error.code == "FIELD_TOO_LONG"
    assert error.details["field"] == field
    assert env.dump()["customers"] == []


def test_field_of_255_characters_is_accepted(env: Env) -> None:
    reference = new_customer(env.a, City="y" * 255)
    assert get_customer(env.a, reference)["City"] == "y" * 255


def test_external_customer_reference_longer_than_100_is_too_long(env: Env) -> None:
    error = error_of(env.a, "createCustomer", customer(ExternalCustomerReference="e" * 101))
    assert error.code == "FIELD_TOO_LONG"
    assert error.details["field"] == "ExternalCustomerReference"


@pytest.mark.parametrize("value", ["Lon\x00don", "Lon\x07don", "Lon\x1bdon", "Lon\x7fdon"])
def test_control_characters_are_rejected(env: Env, value: str) -> None:
    error = error_of(env.a, "createCustomer", customer(City=value))
    assert error.code == "INVALID_FIELD_VALUE"
    assert error.details["field"] == "City"


def test_duplicate_external_reference_within_a_merchant(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    error = error_of(env.a, "createCustomer", customer(ExternalCustomerReference="EXT-1", FirstName="Other"))
    assert error.code == "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE"
    assert len(env.dump()["customers"]) == 1
    assert env.a("getCustomerInformation", None, "EXT-1")["AvangateCustomerReference"] == first


def test_same_external_reference_is_allowed_for_another_merchant(env: Env) -> None:
    in_a = new_customer(env.a, ExternalCustomerReference="EXT-1")
    in_b = new_customer(env.b, ExternalCustomerReference="EXT-1", FirstName="Bea")
    assert in_a != in_b
    assert env.a("getCustomerInformation", None, "EXT-1")["FirstName"] == "Ada"
    assert env.b("getCustomerInformation", None, "EXT-1")["FirstName"] == "Bea"


def test_customers_without_external_reference_do_not_collide(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a, ExternalCustomerReference="")
    assert get_customer(env.a, first)["ExternalCustomerReference"] is None
    assert get_customer(env.a, second)["ExternalCustomerReference"] is None


def test_enabled_trial_and_reference_given_on_create_are_ignored(env: Env) -> None:
    reference = env.a(
        "createCustomer",
        customer(
            AvangateCustomerReference=555555555, Enabled=True, Trial=True, ExistingCards=[{"TransientToken": None}]
        ),
    )
    assert reference != 555555555
    view = get_customer(env.a, reference)
    assert (view["AvangateCustomerReference"], view["Enabled"], view["Trial"], view["ExistingCards"]) == (
        reference,
        False,
        False,
        [],
    )
    assert error_of(env.a, "getCustomerInformation", 555555555, None).code == "CUSTOMER_NOT_FOUND"


def test_create_customer_directly_with_a_caller(env: Env) -> None:
    reference = customers.create_customer(env.service.context, env.a.caller, customer(FirstName="Direct"))
    assert customers.get_customer(env.service.context, env.a.caller, reference, None)["FirstName"] == "Direct"
    assert (
        error_of(customers.get_customer, env.service.context, env.b.caller, reference, None).code
        == "CUSTOMER_NOT_FOUND"
    )
