"""Merchant isolation in the service: another merchant's references look like missing ones, and
nothing of theirs changes. Over every protocol, generated from the registry: tests/protocols/test_isolation.py.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.service_env import MISSING_CUSTOMER, Env, error_of, get_customer, new_customer, subscription, update


@dataclass
class Neighbours:
    customer: int  # A's
    subscription: str  # A's
    b_customer: int
    b_subscription: str


@pytest.fixture
def neighbours(env: Env) -> Neighbours:
    a_customer = new_customer(env.a, ExternalCustomerReference="EXT-A")
    a_subscription = env.a("addSubscription", subscription(a_customer, ExternalSubscriptionReference="SUB-A"))
    b_customer = new_customer(env.b, ExternalCustomerReference="EXT-B")
    b_subscription = env.b("addSubscription", subscription(b_customer, ExternalSubscriptionReference="SUB-B"))
    return Neighbours(a_customer, a_subscription, b_customer, b_subscription)


MISSING_SUBSCRIPTION = "FFFFFFFFFF"

# (operation, arguments naming A's objects, the same arguments naming nothing, the expected code);
# arguments are functions of the Neighbours so that references are filled in per test.
ISOLATION_CASES = {
    "get customer by internal": (
        "getCustomerInformation",
        lambda n: (n.customer, None),
        lambda n: (MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "get customer by external": (
        "getCustomerInformation",
        lambda n: (None, "EXT-A"),
        lambda n: (None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "get customer by both": (
        "getCustomerInformation",
        lambda n: (n.customer, "EXT-A"),
        lambda n: (MISSING_CUSTOMER, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by internal": (
        "updateCustomerInformation",
        lambda n: ({"AvangateCustomerReference": n.customer, "FirstName": "Mallory"}, True),
        lambda n: ({"AvangateCustomerReference": MISSING_CUSTOMER, "FirstName": "Mallory"}, True),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by external": (
        "updateCustomerInformation",
        lambda n: ({"ExternalCustomerReference": "EXT-A", "FirstName": "Mallory"}, True),
        lambda n: ({"ExternalCustomerReference": "EXT-NONE", "FirstName": "Mallory"}, True),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by both": (
        "updateCustomerInformation",
        lambda n: ({"AvangateCustomerReference": n.customer, "ExternalCustomerReference": "EXT-A"},),
        lambda n: ({"AvangateCustomerReference": MISSING_CUSTOMER, "ExternalCustomerReference": "EXT-NONE"},),
        "CUSTOMER_NOT_FOUND",
    ),
    "customer subscriptions by internal": (
        "getCustomerSubscriptions",
        lambda n: (n.customer, None),
        lambda n: (MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "customer subscriptions by external": (
        "getCustomerSubscriptions",
        lambda n: (None, "EXT-A"),
        lambda n: (None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "add subscription to internal": (
        "addSubscription",
        lambda n: (subscription(n.customer, ExternalSubscriptionReference="SUB-X"),),
        lambda n: (subscription(MISSING_CUSTOMER, ExternalSubscriptionReference="SUB-X"),),
        "CUSTOMER_NOT_FOUND",
    ),
    # The operations that take the subscription's reference alone.
    **{
        f"{operation} A's subscription": (
            operation,
            lambda n: (n.subscription,),
            lambda n: (MISSING_SUBSCRIPTION,),
            "SUBSCRIPTION_NOT_FOUND",
        )
        for operation in ("getSubscription", "cancelSubscription", "enableSubscription")
    },
    "update subscription end user": (
        "updateSubscriptionEndUser",
        lambda n: (n.subscription, {"FirstName": "Mallory"}),
        lambda n: (MISSING_SUBSCRIPTION, {"FirstName": "Mallory"}),
        "SUBSCRIPTION_NOT_FOUND",
    ),
    "take A's subscription": (
        "setSubscriptionCustomer",
        lambda n: (n.subscription, n.b_customer, None),
        lambda n: (MISSING_SUBSCRIPTION, n.b_customer, None),
        "SUBSCRIPTION_NOT_FOUND",
    ),
    "give to A's customer by internal": (
        "setSubscriptionCustomer",
        lambda n: (n.b_subscription, n.customer, None),
        lambda n: (n.b_subscription, MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "give to A's customer by external": (
        "setSubscriptionCustomer",
        lambda n: (n.b_subscription, None, "EXT-A"),
        lambda n: (n.b_subscription, None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
}


def test_an_import_naming_another_merchants_external_reference_makes_a_customer_of_its_own(
    env: Env, neighbours: Neighbours
) -> None:
    a_customer_before = get_customer(env.a, neighbours.customer)
    imported = env.b("addSubscription", subscription(None, "EXT-A", ExternalSubscriptionReference="SUB-X"))
    owner = env.b("getSubscription", imported)["AvangateCustomerReference"]
    assert owner != neighbours.customer and get_customer(env.b, owner)["ExternalCustomerReference"] == "EXT-A"
    assert get_customer(env.a, neighbours.customer) == a_customer_before


@pytest.mark.parametrize("case", sorted(ISOLATION_CASES))
def test_another_merchants_references_look_nonexistent(env: Env, neighbours: Neighbours, case: str) -> None:
    operation, foreign, missing, code = ISOLATION_CASES[case]
    assert MISSING_CUSTOMER not in (neighbours.customer, neighbours.b_customer)
    a_customer_before = get_customer(env.a, neighbours.customer)
    a_subscriptions_before = env.a("getCustomerSubscriptions", neighbours.customer)
    rows_before = env.dump()

    foreign_error = error_of(env.b, operation, *foreign(neighbours))
    missing_error = error_of(env.b, operation, *missing(neighbours))

    assert foreign_error.code == missing_error.code == code
    assert get_customer(env.a, neighbours.customer) == a_customer_before
    assert env.a("getCustomerSubscriptions", neighbours.customer) == a_subscriptions_before
    assert env.dump() == rows_before


def test_external_subscription_references_are_per_merchant(env: Env, neighbours: Neighbours) -> None:
    # B may reuse A's ExternalSubscriptionReference: a duplicate error would reveal A's data.
    reference = env.b("addSubscription", subscription(neighbours.b_customer, ExternalSubscriptionReference="SUB-A"))
    assert env.b("getSubscription", reference)["ExternalSubscriptionReference"] == "SUB-A"
    assert env.a("getSubscription", neighbours.subscription)["ExternalSubscriptionReference"] == "SUB-A"


def test_push_to_end_users_stays_within_the_merchant(env: Env, neighbours: Neighbours) -> None:
    b_before = env.b("getSubscription", neighbours.b_subscription)
    update(env.a, neighbours.customer, True, FirstName="Augusta")
    assert env.a("getSubscription", neighbours.subscription)["EndUser"]["FirstName"] == "Augusta"
    assert env.b("getSubscription", neighbours.b_subscription) == b_before
