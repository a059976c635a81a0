"""getCustomerSubscriptions: a customer's subscriptions, by either reference.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from tests.service_env import MISSING_CUSTOMER, Env, error_of, new_customer, subscription


def test_get_customer_subscriptions(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-1")
    other = new_customer(env.a)
    late = env.a("addSubscription", subscription(owner, StartDate="2026-03-01"))
    early = env.a("addSubscription", subscription(owner, StartDate="2025-03-01"))
    env.a("addSubscription", subscription(other))
    listed = env.a("getCustomerSubscriptions", owner, None)
    assert [item["SubscriptionReference"] for item in listed] == [early, late]
    assert listed == [env.a("getSubscription", early), env.a("getSubscription", late)]
    assert env.a("getCustomerSubscriptions", None, "EXT-1") == listed
    assert env.a("getCustomerSubscriptions", owner, "EXT-1") == listed
    assert env.a("getCustomerSubscriptions", new_customer(env.a)) == []
    assert error_of(env.a, "getCustomerSubscriptions", None, None).code == "CUSTOMER_REFERENCE_REQUIRED"
    assert error_of(env.a, "getCustomerSubscriptions", MISSING_CUSTOMER).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerSubscriptions", other, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"
