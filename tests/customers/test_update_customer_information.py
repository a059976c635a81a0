"""updateCustomerInformation: which fields change and which stay, checked values, external references.
Its end-user push (UpdateEndUserSubscriptions) is tested in test_update_customer_information_push.py.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import MISSING_CUSTOMER, Env, error_of, get_customer, new_customer, update


def test_update_replaces_present_fields_and_keeps_absent_ones(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = get_customer(env.a, reference)
    assert update(env.a, reference, City="Paris", CountryCode="FR") is True
    assert get_customer(env.a, reference) == {**before, "City": "Paris", "CountryCode": "fr"}


def test_update_by_external_reference(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = get_customer(env.a, reference)
    assert env.a("updateCustomerInformation", {"ExternalCustomerReference": "EXT-1", "Zip": "75001"}, False) is True
    assert get_customer(env.a, reference) == {**before, "Zip": "75001"}


def test_update_with_the_whole_fetched_object(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    fetched = get_customer(env.a, reference)
    fetched["Email"] = "countess@example.com"
    assert env.a("updateCustomerInformation", fetched, None) is True
    assert get_customer(env.a, reference) == {**fetched, "Email": "countess@example.com"}


@pytest.mark.parametrize("field", ["Company", "Phone", "Language", "Address2", "State", "Fax"])
def test_update_with_none_clears_optional_field(env: Env, field: str) -> None:
    reference = new_customer(env.a, Address2="Flat 1", State="London", Fax="+44 3")
    before = get_customer(env.a, reference)
    assert before[field] is not None
    update(env.a, reference, **{field: None})
    assert get_customer(env.a, reference) == {**before, field: "" if field == "Language" else None}


@pytest.mark.parametrize("field", ["FirstName", "LastName", "Address1", "City", "Zip", "CountryCode", "Email"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_update_cannot_clear_required_field(env: Env, field: str, value: object) -> None:
    reference = new_customer(env.a)
    before_view, before_rows = get_customer(env.a, reference), env.dump()
    error = error_of(update, env.a, reference, **{"Phone": "+1 555 0100", field: value})
    assert error.code == "MISSING_REQUIRED_FIELD"
    assert error.details["field"] == field
    assert get_customer(env.a, reference) == before_view
    assert env.dump() == before_rows


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"Email": "not-an-email", "City": "Paris"}, "INVALID_EMAIL"),
        ({"CountryCode": "zz", "City": "Paris"}, "INVALID_COUNTRY_CODE"),
        ({"Language": "qq", "City": "Paris"}, "INVALID_LANGUAGE"),
        ({"City": "x" * 256, "Zip": "1"}, "FIELD_TOO_LONG"),
        ({"City": "Pa\x01ris", "Zip": "1"}, "INVALID_FIELD_VALUE"),
        ({"FiscalCode": "RO1", "Company": None}, "FISCAL_CODE_REQUIRES_COMPANY"),
        ({"Company": None, "City": "Paris"}, "FISCAL_CODE_REQUIRES_COMPANY"),  # the stored FiscalCode stays
    ],
)
def test_failing_update_changes_nothing(env: Env, changes: dict[str, object], code: str) -> None:
    fiscal_code = None if "FiscalCode" in changes else "GB999"
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1", FiscalCode=fiscal_code)
    before_view, before_rows = get_customer(env.a, reference), env.dump()
    error = error_of(update, env.a, reference, True, **changes)
    assert error.code == code
    assert get_customer(env.a, reference) == before_view
    assert env.dump() == before_rows


def test_update_ignores_enabled_trial_and_existing_cards(env: Env) -> None:
    reference = new_customer(env.a)
    before = get_customer(env.a, reference)
    env.a(
        "updateCustomerInformation",
        {"AvangateCustomerReference": reference, "Enabled": True, "Trial": True, "ExistingCards": [{}], "City": "Bath"},
    )
    assert get_customer(env.a, reference) == {**before, "City": "Bath"}


def test_update_may_assign_unused_external_reference_to_customer_without_one(env: Env) -> None:
    reference = new_customer(env.a)
    before = get_customer(env.a, reference)
    update(env.a, reference, ExternalCustomerReference="EXT-NEW")
    assert get_customer(env.a, reference) == {**before, "ExternalCustomerReference": "EXT-NEW"}
    assert env.a("getCustomerInformation", None, "EXT-NEW")["AvangateCustomerReference"] == reference


def test_update_may_not_take_an_external_reference_in_use(env: Env) -> None:
    reference = new_customer(env.a)
    new_customer(env.a, ExternalCustomerReference="EXT-TAKEN")
    before = env.dump()
    error = error_of(update, env.a, reference, ExternalCustomerReference="EXT-TAKEN")
    assert error.code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before


def test_update_may_not_replace_an_existing_external_reference(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-OLD")
    before = env.dump()
    error = error_of(update, env.a, reference, ExternalCustomerReference="EXT-NEW")
    assert error.code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before


def test_update_needs_a_known_customer(env: Env) -> None:
    new_customer(env.a)
    assert error_of(env.a, "updateCustomerInformation", {"City": "Paris"}).code == "CUSTOMER_REFERENCE_REQUIRED"
    error = error_of(update, env.a, MISSING_CUSTOMER, City="Paris")
    assert error.code == "CUSTOMER_NOT_FOUND"
    error = error_of(env.a, "updateCustomerInformation", {"ExternalCustomerReference": "EXT-404", "City": "Paris"})
    assert error.code == "CUSTOMER_NOT_FOUND"
