"""getCustomerInformation: by the internal reference, the external one or both, and when they disagree.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import MISSING_CUSTOMER, Env, error_of, new_customer


def test_get_customer_by_internal_external_or_both(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-7")
    by_internal = env.a("getCustomerInformation", reference, None)
    assert by_internal["AvangateCustomerReference"] == reference
    assert by_internal["ExternalCustomerReference"] == "EXT-7"
    assert env.a("getCustomerInformation", None, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", 0, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", reference, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", reference, "") == by_internal
    assert env.a("getCustomerInformation", reference) == by_internal  # the optional third parameter omitted


def test_get_customer_with_disagreeing_references(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    new_customer(env.a, ExternalCustomerReference="EXT-2")
    assert error_of(env.a, "getCustomerInformation", first, "EXT-2").code == "CUSTOMER_REFERENCE_MISMATCH"
    assert error_of(env.a, "getCustomerInformation", first, "EXT-UNUSED").code == "CUSTOMER_REFERENCE_MISMATCH"


def test_get_customer_without_external_reference_given_one(env: Env) -> None:
    reference = new_customer(env.a)  # has no external reference
    assert error_of(env.a, "getCustomerInformation", reference, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"


@pytest.mark.parametrize("args", [(), (None,), (None, None), (0, ""), (0, None), (None, "")])
def test_get_customer_needs_a_reference(env: Env, args: tuple[object, ...]) -> None:
    new_customer(env.a)
    assert error_of(env.a, "getCustomerInformation", *args).code == "CUSTOMER_REFERENCE_REQUIRED"


def test_get_unknown_customer(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    assert reference != MISSING_CUSTOMER
    assert error_of(env.a, "getCustomerInformation", MISSING_CUSTOMER, None).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerInformation", None, "EXT-404").code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerInformation", MISSING_CUSTOMER, "EXT-1").code == "CUSTOMER_NOT_FOUND"
