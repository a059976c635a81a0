"""searchOrders: by default the orders of the last 7 days on the sandbox clock, newest first;
StartDate and EndDate (days, overwriting Newer), Newer (a Unix timestamp as 2Checkout's PHP SDK
sends it, or a date), Status, ApproveStatus, ExternalRefNo, IncludeTestOrders (YES, NO, ONLY);
a page ({Items, Pagination}) from 5.0 and a bare list before; only the merchant's own orders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.orders.orders_env import card_payment, dynamic_order, session_now, settle
from tests.service_env import Env, error_of

DAY = 86400


def live() -> dict:
    payment = card_payment("4242424242424242")
    payment["Type"] = "CC"
    return payment


@pytest.fixture
def history(env: Env) -> dict[str, str]:
    """Merchant A's orders, by name: placed 10 days, 6 days and 1 day before 2026-06-11 12:00,
    then two today (a live one and a PENDING one); merchant B's one today."""
    refs: dict[str, str] = {}
    refs["old"] = env.a("placeOrder", dynamic_order(ExternalReference="OLD"))["RefNo"]  # 2026-06-01
    env.clock.advance(4 * DAY)
    refs["week"] = session_now(env)("placeOrder", dynamic_order(ExternalReference="WEEK"))["RefNo"]  # 06-05
    env.clock.advance(5 * DAY)
    refs["yesterday"] = session_now(env)("placeOrder", dynamic_order(ExternalReference="Y"))["RefNo"]  # 06-10
    env.clock.advance(DAY)  # 2026-06-11 12:00
    session = session_now(env)
    refs["live"] = session("placeOrder", dynamic_order(ExternalReference="LIVE", PaymentDetails=live()))["RefNo"]
    env.clock.advance(1)
    refs["pending"] = session("placeOrder", dynamic_order(PaymentDetails=card_payment("4000000000000002")))["RefNo"]
    session_now(env, merchant="B")("placeOrder", dynamic_order(ExternalReference="LIVE"))
    return refs


def found(env: Env, search: dict | None, version: str = "6.0", merchant: str = "A") -> list[str]:
    answer = session_now(env, version, merchant)("searchOrders", search)
    orders = answer["Items"] if version in ("5.0", "6.0") else answer
    return [order["RefNo"] for order in orders]


def names(history: dict[str, str], *which: str) -> list[str]:
    return [history[name] for name in which]


def test_by_default_the_last_7_days_newest_first(env: Env, history) -> None:
    assert found(env, None) == names(history, "pending", "live", "yesterday", "week")
    assert found(env, {}) == found(env, None)


def test_start_and_end_dates(env: Env, history) -> None:
    assert found(env, {"StartDate": "2026-06-01"}) == names(history, "pending", "live", "yesterday", "week", "old")
    assert found(env, {"StartDate": "2026-06-01", "EndDate": "2026-06-05"}) == names(history, "week", "old")
    assert found(env, {"EndDate": "2026-06-01"}) == names(history, "old")  # whatever is older, too
    assert found(env, {"StartDate": "2026-06-10", "EndDate": "2026-06-10"}) == names(history, "yesterday")
    assert found(env, {"StartDate": "2026-06-02 08:00:00", "EndDate": "2026-06-09"}) == names(history, "week")
    # StartDate overwrites Newer.
    assert found(env, {"StartDate": "2026-06-01", "Newer": "2026-06-11"})[-1] == history["old"]


def test_newer_as_a_timestamp_or_a_date(env: Env, history) -> None:
    since = int(datetime(2026, 6, 5, 12, 0, 0, tzinfo=UTC).timestamp())
    assert found(env, {"Newer": str(since)}) == names(history, "pending", "live", "yesterday", "week")
    assert found(env, {"Newer": str(since + 1)}) == names(history, "pending", "live", "yesterday")
    assert found(env, {"Newer": "2026-06-01"}) == names(history, "pending", "live", "yesterday", "week", "old")


@pytest.mark.parametrize(
    ("search", "field"),
    [
        ({"StartDate": "01/06/2026"}, "SearchBy.StartDate"),
        ({"EndDate": "2026-13-01"}, "SearchBy.EndDate"),
        ({"Newer": "yesterday"}, "SearchBy.Newer"),
        ({"IncludeTestOrders": "MAYBE"}, "SearchBy.IncludeTestOrders"),
    ],
)
def test_filters_that_mean_nothing_are_refused(env: Env, history, search: dict, field: str) -> None:
    error = error_of(session_now(env), "searchOrders", search)
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", field)


def test_status_approve_status_and_external_reference(env: Env, history) -> None:
    everything = {"StartDate": "2026-06-01"}
    assert found(env, {**everything, "Status": "PENDING"}) == names(history, "pending")
    # The rest completed a second after their placing (the default): COMPLETE and OK.
    assert found(env, {**everything, "Status": "complete"}) == names(history, "live", "yesterday", "week", "old")
    assert found(env, {**everything, "ApproveStatus": "WAITING"}) == names(history, "pending")
    assert found(env, {**everything, "ApproveStatus": "OK"})[0] == history["live"]
    assert found(env, {**everything, "ExternalRefNo": "LIVE"}) == names(history, "live")
    assert found(env, {**everything, "ExternalRefNo": "live"}) == []
    assert found(env, {**everything, "Status": "CANCELED"}) == []


def test_authorised_orders_show_as_authreceived_until_due(env: Env) -> None:
    settle(env, "manual")
    placed = env.a_at("6.0")("placeOrder", dynamic_order())
    assert found(env, {"Status": "AUTHRECEIVED"}) == [placed["RefNo"]]
    assert found(env, {"Status": "COMPLETE"}) == []


def test_include_test_orders(env: Env, history) -> None:
    everything = {"StartDate": "2026-06-01"}
    assert found(env, {**everything, "IncludeTestOrders": "YES"}) == found(env, everything)
    assert found(env, {**everything, "IncludeTestOrders": "NO"}) == names(history, "live")
    assert found(env, {**everything, "IncludeTestOrders": "only"}) == names(
        history, "pending", "yesterday", "week", "old"
    )


def test_pages_from_5_0(env: Env, history) -> None:
    everything = {"StartDate": "2026-06-01"}
    session = session_now(env, "5.0")
    first = session("searchOrders", {**everything, "Pagination": {"Page": 1, "Limit": 2}})
    assert set(first) == {"Items", "Pagination"}
    assert first["Pagination"] == {"Page": 1, "Limit": 2, "Count": 5}
    assert [order["RefNo"] for order in first["Items"]] == names(history, "pending", "live")
    third = session_now(env)("searchOrders", {**everything, "Page": 3, "Limit": 2})  # REST's way: at the top
    assert third["Pagination"] == {"Page": 3, "Limit": 2, "Count": 5}
    assert [order["RefNo"] for order in third["Items"]] == names(history, "old")
    beyond = session("searchOrders", {**everything, "Pagination": {"Page": 4, "Limit": 2}})
    assert (beyond["Items"], beyond["Pagination"]["Count"]) == ([], 5)
    error = error_of(session, "searchOrders", {"Pagination": {"Page": 0}})
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "SearchBy.Pagination.Page")


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_bare_list_before_5_0(env: Env, history, version: str) -> None:
    answer = session_now(env, version)("searchOrders", {"StartDate": "2026-06-01"})
    assert isinstance(answer, list) and len(answer) == 5
    assert found(env, {"StartDate": "2026-06-01", "Limit": 2}, version) == names(history, "pending", "live")


def test_a_merchant_sees_only_its_own_orders(env: Env, history) -> None:
    (theirs,) = found(env, {"StartDate": "2026-06-01"}, merchant="B")
    assert theirs not in history.values()
    assert found(env, {"ExternalRefNo": "LIVE"}, merchant="B") == [theirs]
    for ref_no in history.values():
        assert error_of(session_now(env, merchant="B"), "getOrder", ref_no).code == "ORDER_NOT_FOUND"


def test_the_orders_answered_are_those_get_order_answers(env: Env, history) -> None:
    session = session_now(env)
    (order,) = session("searchOrders", {"ExternalRefNo": "LIVE"})["Items"]
    assert order == session("getOrder", history["live"])
