"""setSubscriptionCustomer: moving a subscription to another customer, and its refusals.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from tests.service_env import MISSING_CUSTOMER, Env, error_of, new_customer, subscription


def test_set_subscription_customer_moves_it(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a, ExternalCustomerReference="EXT-2")
    moving = env.a("addSubscription", subscription(first))
    staying = env.a("addSubscription", subscription(first))
    before = env.a("getSubscription", moving)
    assert env.a("setSubscriptionCustomer", moving, second, None) is True
    moved = {**before, "AvangateCustomerReference": second, "ExternalCustomerReference": "EXT-2"}
    assert env.a("getSubscription", moving) == moved
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", first)] == [staying]
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", second)] == [moving]
    assert env.a("setSubscriptionCustomer", moving, None, "EXT-2") is True  # by external reference: no change
    assert env.a("setSubscriptionCustomer", staying, 0, "EXT-2") is True
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", first)] == []
    moved_both = [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", second)]
    assert sorted(moved_both) == sorted([moving, staying])


def test_set_subscription_customer_errors(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    reference = env.a("addSubscription", subscription(first))
    second = new_customer(env.a)
    before = env.dump()
    assert error_of(env.a, "setSubscriptionCustomer", "0000000000", second).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, MISSING_CUSTOMER).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, None, None).code == "CUSTOMER_REFERENCE_REQUIRED"
    assert error_of(env.a, "setSubscriptionCustomer", reference, second, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before
