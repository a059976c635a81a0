"""The registry (twoco.core.registry): check_count refuses too many arguments, check_required pads and refuses missing ones, lookup knows operations by
their exact name and version, and Service.call checks the required ones before anything else.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import LOGIN_DATE, Env, error_of
from twoco.core.registry import check_count, check_required
from twoco.domains import REGISTRY
from twoco.domains.customers import operations as customers


def test_check_required_pads_optional_parameters() -> None:
    assert check_required(REGISTRY.lookup("4.0", "getCustomerInformation"), ["sid", 5]) == ["sid", 5, None]
    assert check_required(REGISTRY.lookup("4.0", "login"), ["CODE", LOGIN_DATE, "hash"]) == [
        "CODE",
        LOGIN_DATE,
        "hash",
        None,
    ]


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("createCustomer", ["sid", {}, "extra"]),
        ("getCustomerInformation", ["sid", 1, "EXT", True]),
        ("getSubscription", ["sid", "REF", "extra"]),
        ("login", ["CODE", LOGIN_DATE, "hash", "md5", "extra"]),
    ],
)
def test_check_count_rejects_too_many_arguments(operation: str, args: list[object]) -> None:
    error = error_of(check_count, REGISTRY.lookup("4.0", operation), len(args))
    assert error.code == "INVALID_PARAMETERS"
    assert error.details["operation"] == operation


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("createCustomer", ["sid"]),
        ("createCustomer", ["sid", None]),
        ("createCustomer", []),
        ("getCustomerInformation", []),
        ("getSubscription", ["sid"]),
        ("updateSubscriptionEndUser", ["sid", "REF"]),
        ("setSubscriptionCustomer", ["sid"]),
        ("login", ["CODE", LOGIN_DATE]),
        ("login", [None, LOGIN_DATE, "hash"]),
    ],
)
def test_check_required_rejects_missing_required_arguments(operation: str, args: list[object]) -> None:
    error = error_of(check_required, REGISTRY.lookup("4.0", operation), args)
    assert error.code == "INVALID_PARAMETERS"
    assert error.details["operation"] == operation


def test_call_checks_required_arguments_before_anything_else(env: Env) -> None:
    create = REGISTRY.lookup("4.0", "createCustomer")
    assert error_of(env.service.call, create, [env.a.id], "test", "4.0").code == "INVALID_PARAMETERS"
    # even with a bad session, the missing argument is what is wrong
    assert error_of(env.service.call, create, ["garbage", None], "test", "4.0").code == "INVALID_PARAMETERS"
    assert env.dump()["customers"] == []


def test_unknown_operation_name_is_case_sensitive() -> None:
    assert REGISTRY.lookup("4.0", "createCustomer").handler is customers.create_customer
    assert error_of(REGISTRY.lookup, "4.0", "CreateCustomer").code == "UNKNOWN_OPERATION"
    assert error_of(REGISTRY.lookup, "2.0", "createCustomer").code == "UNKNOWN_OPERATION"  # no such version
