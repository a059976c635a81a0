"""getSubscription and the subscription reference: an unknown one (for every operation taking one), and its case.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import Env, error_of, new_customer, subscription


@pytest.mark.parametrize("reference", ["0000000000", "", "F" * 101, "nope"])
def test_unknown_subscription(env: Env, reference: str) -> None:
    owner = new_customer(env.a)
    existing = env.a("addSubscription", subscription(owner))
    assert reference != existing
    assert error_of(env.a, "getSubscription", reference).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon"}).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, owner).code == "SUBSCRIPTION_NOT_FOUND"


def test_subscription_reference_is_case_sensitive(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    if reference.lower() == reference:  # all digits: nothing to test
        return
    assert error_of(env.a, "getSubscription", reference.lower()).code == "SUBSCRIPTION_NOT_FOUND"
