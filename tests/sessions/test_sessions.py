"""Sessions: an unknown or malformed ID, a lifetime of 600 seconds from login, one merchant's own.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import MISSING_CUSTOMER, Env, Session, customer, error_of, get_customer, new_customer
from twoco.domains import REGISTRY


@pytest.mark.parametrize(
    "session_id",
    ["", "garbage", "0" * 32, "g" * 32, "0" * 31, "0" * 33, 12345, ["0" * 32]],
)
def test_garbage_or_unknown_session_is_invalid(env: Env, session_id: object) -> None:
    error = error_of(
        env.service.call, REGISTRY.lookup("4.0", "createCustomer"), [session_id, customer()], "test", "4.0"
    )
    assert error.code == "INVALID_SESSION"
    assert env.dump()["customers"] == []


def test_upper_cased_session_id_is_invalid(env: Env) -> None:
    upper = Session(env.service, env.a.id.upper(), env.a.merchant_id)
    if upper.id == env.a.id:  # an all-digit ID has no case: astronomically unlikely, but then nothing to test
        upper.id = "F" * 32
    assert error_of(upper, "getCustomerInformation", MISSING_CUSTOMER, None).code == "INVALID_SESSION"


def test_session_expires_600_seconds_after_login(env: Env) -> None:
    env.clock.advance(599)
    reference = new_customer(env.a)  # still valid at 599 s
    assert get_customer(env.a, reference)["FirstName"] == "Ada"
    env.clock.advance(1)
    error = error_of(env.a, "createCustomer", customer())
    assert error.code == "FORBIDDEN"
    assert len(env.dump()["customers"]) == 1
    assert error_of(env.b, "getCustomerInformation", reference, None).code == "FORBIDDEN"


def test_session_ttl_is_fixed_not_sliding(env: Env) -> None:
    env.clock.advance(300)
    reference = new_customer(env.a)  # using the session half-way does not extend it
    env.clock.advance(299)
    assert get_customer(env.a, reference)["FirstName"] == "Ada"
    env.clock.advance(1)
    assert error_of(env.a, "getCustomerInformation", reference, None).code == "FORBIDDEN"


def test_session_belongs_to_its_merchant(env: Env) -> None:
    assert env.service.sessions.merchant_for_session(env.a.id, "4.0")[0] == env.a.merchant_id
    assert env.service.sessions.merchant_for_session(env.b.id, "4.0")[0] == env.b.merchant_id
    assert env.a.merchant_id != env.b.merchant_id
