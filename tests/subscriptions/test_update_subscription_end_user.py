"""updateSubscriptionEndUser: a partial change of one subscription's end user, checked, all or nothing.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from tests.service_env import Env, error_of, get_customer, new_customer, subscription


def test_update_subscription_end_user_partially(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    before = env.a("getSubscription", reference)
    customer_before = get_customer(env.a, owner)
    assert env.a("updateSubscriptionEndUser", reference, {"City": "Lyon", "CountryCode": "FR", "Fax": None}) is True
    after = env.a("getSubscription", reference)
    assert after == {**before, "EndUser": {**before["EndUser"], "City": "Lyon", "CountryCode": "fr", "Fax": None}}
    assert get_customer(env.a, owner) == customer_before  # the customer's own details are untouched


def test_update_subscription_end_user_validates_and_changes_nothing_on_failure(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    before = env.dump()
    error = error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon", "Email": "broken"})
    assert (error.code, error.details["field"]) == ("INVALID_EMAIL", "EndUser.Email")
    error = error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon", "LastName": ""})
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "EndUser.LastName")
    assert env.dump() == before
