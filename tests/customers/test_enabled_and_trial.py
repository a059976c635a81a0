"""A customer's Enabled and Trial (getCustomerInformation), derived from its subscriptions and the clock.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import TODAY, Env, get_customer, new_customer, subscription
from twoco.domains.customers import operations as customers

ACTIVE = {"ExpirationDate": "2027-01-01"}
EXPIRED = {"ExpirationDate": "2026-05-31"}
ACTIVE_TRIAL = {"ExpirationDate": "2026-07-01", "IsTrial": True}
EXPIRED_TRIAL = {"ExpirationDate": "2026-05-31", "IsTrial": True}
DISABLED = {"ExpirationDate": "2027-01-01", "SubscriptionEnabled": False}
DISABLED_TRIAL = {"ExpirationDate": "2027-01-01", "SubscriptionEnabled": False, "IsTrial": True}
LIFETIME_EXPIRED = {"ExpirationDate": "2020-01-01", "Lifetime": True}
EXPIRES_TODAY = {"ExpirationDate": TODAY}


@pytest.mark.parametrize(
    ("subscriptions", "enabled", "trial"),
    [
        ([], False, False),
        ([ACTIVE], True, False),
        ([ACTIVE_TRIAL], True, True),
        ([ACTIVE_TRIAL, ACTIVE_TRIAL], True, True),
        ([ACTIVE, ACTIVE_TRIAL], True, False),
        ([EXPIRED, ACTIVE_TRIAL], True, True),
        ([DISABLED, ACTIVE_TRIAL], True, True),
        ([EXPIRED], False, False),
        ([EXPIRED_TRIAL], False, False),
        ([DISABLED], False, False),
        ([DISABLED_TRIAL], False, False),
        ([EXPIRED, DISABLED, EXPIRED_TRIAL], False, False),
        ([LIFETIME_EXPIRED], True, False),
        ([EXPIRED, LIFETIME_EXPIRED, ACTIVE_TRIAL], True, False),
        ([EXPIRES_TODAY], True, False),
    ],
)
def test_enabled_and_trial_are_derived_from_subscriptions(
    env: Env, subscriptions: list[dict[str, object]], enabled: bool, trial: bool
) -> None:
    owner = new_customer(env.a)
    for fields in subscriptions:
        env.a("addSubscription", subscription(owner, StartDate="2019-01-01", **fields))
    view = get_customer(env.a, owner)
    assert (view["Enabled"], view["Trial"]) == (enabled, trial)


def test_enabled_follows_the_clock(env: Env) -> None:
    owner = new_customer(env.a)
    env.a("addSubscription", subscription(owner, **EXPIRES_TODAY))
    caller = env.a.caller
    assert customers.get_customer(env.service.context, caller, owner, None)["Enabled"] is True
    env.clock.advance(86400)  # 2026-06-02: the subscription has expired (the session too, hence the direct Caller)
    assert customers.get_customer(env.service.context, caller, owner, None)["Enabled"] is False


def test_enabled_follows_a_moved_subscription(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a)
    reference = env.a("addSubscription", subscription(first, **ACTIVE))
    assert (get_customer(env.a, first)["Enabled"], get_customer(env.a, second)["Enabled"]) == (True, False)
    env.a("setSubscriptionCustomer", reference, second)
    assert (get_customer(env.a, first)["Enabled"], get_customer(env.a, second)["Enabled"]) == (False, True)


def test_enabled_status_ignores_another_merchants_subscriptions(env: Env) -> None:
    in_a = new_customer(env.a)
    in_b = new_customer(env.b)
    env.b("addSubscription", subscription(in_b, **ACTIVE))
    assert get_customer(env.a, in_a)["Enabled"] is False
    assert get_customer(env.b, in_b)["Enabled"] is True
