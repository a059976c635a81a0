"""updateCustomerInformation with UpdateEndUserSubscriptions: the customer's 13 end-user fields
pushed to its subscriptions, all or nothing.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.service_env import Env, Session, end_user, error_of, get_customer, new_customer, subscription, update
from twoco.core.errors import ApiError
from twoco.domains.customers.schema import END_USER_FIELDS


@dataclass
class Household:
    customer: int
    neighbour: int
    subscriptions: list[str]
    neighbour_subscriptions: list[str]


@pytest.fixture
def household(env: Env) -> Household:
    """A customer with 3 subscriptions and a neighbour with 2, all with end users unlike either customer."""
    mine = new_customer(env.a, ExternalCustomerReference="EXT-MINE", Address2="Flat 1", State="Middlesex", Fax="+44 9")
    theirs = new_customer(env.a, ExternalCustomerReference="EXT-THEIRS", FirstName="Mary", Email="mary@example.com")
    subscriptions = [
        env.a("addSubscription", subscription(mine, EndUser=end_user(FirstName=f"User{n}", City=f"Town{n}")))
        for n in range(3)
    ]
    neighbours = [
        env.a("addSubscription", subscription(theirs, EndUser=end_user(FirstName=f"Neighbour{n}"))) for n in range(2)
    ]
    return Household(mine, theirs, subscriptions, neighbours)


def subscriptions_of(session: Session, references: list[str]) -> list[dict[str, object]]:
    return [session("getSubscription", reference) for reference in references]


def test_update_pushes_the_13_end_user_fields_to_the_customers_subscriptions(env: Env, household: Household) -> None:
    mine_before = subscriptions_of(env.a, household.subscriptions)
    theirs_before = subscriptions_of(env.a, household.neighbour_subscriptions)
    changes = {"FirstName": "Augusta", "Email": "augusta@example.com", "CountryCode": "IE", "Language": "GA"}
    assert update(env.a, household.customer, True, Phone=None, **changes) is True

    view = get_customer(env.a, household.customer)
    assert (view["FirstName"], view["CountryCode"], view["Language"], view["Phone"]) == ("Augusta", "ie", "ga", None)
    expected_end_user = {name: view[name] for name in END_USER_FIELDS}
    assert len(END_USER_FIELDS) == 13
    assert expected_end_user == {
        "FirstName": "Augusta",
        "LastName": "Lovelace",
        "Email": "augusta@example.com",
        "Company": "Analytical Engines Ltd",
        "Phone": None,
        "Fax": "+44 9",
        "Address1": "12 St James's Square",
        "Address2": "Flat 1",
        "Zip": "SW1Y 4JH",
        "City": "London",
        "State": "Middlesex",
        "CountryCode": "ie",
        "Language": "ga",
    }
    mine_after = subscriptions_of(env.a, household.subscriptions)
    assert mine_after == [{**before, "EndUser": expected_end_user} for before in mine_before]
    assert subscriptions_of(env.a, household.neighbour_subscriptions) == theirs_before
    assert get_customer(env.a, household.neighbour)["FirstName"] == "Mary"


@pytest.mark.parametrize("push", [False, None, "omitted"])
def test_update_without_push_leaves_end_users_alone(env: Env, household: Household, push: object) -> None:
    all_subscriptions = household.subscriptions + household.neighbour_subscriptions
    before = subscriptions_of(env.a, all_subscriptions)
    customer_before = get_customer(env.a, household.customer)
    args: tuple[object, ...] = ({"AvangateCustomerReference": household.customer, "FirstName": "Augusta"},)
    if push != "omitted":
        args += (push,)
    assert env.a("updateCustomerInformation", *args) is True
    assert get_customer(env.a, household.customer) == {**customer_before, "FirstName": "Augusta"}
    assert subscriptions_of(env.a, all_subscriptions) == before


def test_failing_update_with_push_changes_neither_customer_nor_subscriptions(env: Env, household: Household) -> None:
    before = env.dump()
    error = error_of(
        env.a,
        "updateCustomerInformation",
        {"AvangateCustomerReference": household.customer, "FirstName": "Augusta", "Email": "broken@"},
        True,
    )
    assert error.code == "INVALID_EMAIL"
    assert env.dump() == before


def test_update_with_push_is_atomic_when_the_push_fails(
    env: Env, household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the customer row is written rolls that write back too."""
    before = env.dump()
    real_push_end_user = env.store.push_end_user

    def push_end_user_then_fail(*args: object, **kwargs: object) -> int:
        real_push_end_user(*args, **kwargs)
        raise ApiError("INTERNAL_ERROR")

    monkeypatch.setattr(env.store, "push_end_user", push_end_user_then_fail)
    error = error_of(update, env.a, household.customer, True, FirstName="Augusta")
    assert error.code == "INTERNAL_ERROR"
    assert env.dump() == before
