"""issueRefund: only a COMPLETE order (or one already partly refunded) is refunded, all of it or
some of its items by LineItemReference, never more than is left, nor more of an item than was
bought, nor again after a total refund, nor (on 6.0) 3 months after the order. A refunded
order's Status is REFUND and 6.0 lists its refunds; a refusal changes nothing."""

from __future__ import annotations

import pytest

from tests.orders.orders_env import card_payment, dynamic_item, dynamic_order, session_now, settle, snapshot
from tests.service_env import Env, error_of
from twoco.domains.orders.sandbox import act_on_order

ITEMS = [
    dynamic_item(Name="Plan", Quantity=2, Price={"Amount": 30}),
    dynamic_item(Name="Support", Price={"Amount": 15.5}),
]  # 75.50 in all


@pytest.fixture
def complete(env: Env) -> dict:
    """A COMPLETE order of merchant A's, on 6.0."""
    settle(env, "immediate")
    order = env.a_at("6.0")("placeOrder", dynamic_order(Items=ITEMS))
    assert (order["Status"], order["GrossPrice"]) == ("COMPLETE", 75.5)
    return order


def refusal(env: Env, *args: object, version: str = "6.0") -> str:
    """The message of issueRefund's refusal, checking the store is unchanged."""
    before = snapshot(env)
    error = error_of(session_now(env, version), "issueRefund", *args)
    assert snapshot(env) == before
    assert error.code == "REFUND_NOT_ALLOWED"
    return error.message


def test_a_total_refund(env: Env, complete: dict) -> None:
    session = env.a_at("6.0")
    env.clock.advance(60)
    assert session("issueRefund", complete["RefNo"], 75.5, None, "Customer asked", "Duplicate purchase") is True
    refunded = session("getOrder", complete["RefNo"])
    assert refunded["Status"] == "REFUND"
    assert refunded["Refunds"] == [
        {
            "Date": "2026-06-01 12:01:00",
            "Type": "TOTAL",
            "Currency": "usd",
            "Amount": 75.5,
            "Reason": "Duplicate purchase",
            "Comment": "Customer asked",
            "Items": [],
        }
    ]
    assert (refunded["GrossPrice"], refunded["Items"]) == (complete["GrossPrice"], complete["Items"])
    assert refusal(env, complete["RefNo"], 1.0, None, "again", "Other") == (
        "You have already placed a Total refund for this order."
    )
    history = env.rows("SELECT history FROM orders")[0][0]
    assert '"status":"REFUND"' in history and "issueRefund" in history


def test_partial_refunds_by_line_item(env: Env, complete: dict) -> None:
    session = env.a_at("6.0")
    plan, support = complete["Items"]
    first = [{"LineItemReference": plan["LineItemReference"], "Quantity": 1, "Amount": 30}]
    assert session("issueRefund", complete["RefNo"], 30.0, first, "one seat", "Other") is True
    after_first = session("getOrder", complete["RefNo"])
    assert after_first["Status"] == "REFUND"
    (refund,) = after_first["Refunds"]
    assert (refund["Type"], refund["Amount"]) == ("PARTIAL", 30.0)
    assert refund["Items"] == [{"LineItemReference": plan["LineItemReference"], "Quantity": 1, "Amount": 30.0}]
    # A partly refunded order is refunded further, up to what is left (45.50).
    second = [{"LineItemReference": support["LineItemReference"]}]
    assert session("issueRefund", complete["RefNo"], 15.5, second, "support", "Other") is True
    assert refusal(env, complete["RefNo"], 30.01, None, "too much", "Other") == (
        "The maximum refundable amount for this order has been exceeded."
    )
    assert session("issueRefund", complete["RefNo"], 30.0, None, "the rest", "Other") is True
    refunds = session("getOrder", complete["RefNo"])["Refunds"]
    assert [(r["Type"], r["Amount"]) for r in refunds] == [("PARTIAL", 30.0), ("PARTIAL", 15.5), ("PARTIAL", 30.0)]
    assert refusal(env, complete["RefNo"], 0.01, None, "nothing left", "Other") == (
        "The maximum refundable amount for this order has been exceeded."
    )


def test_an_amount_over_the_orders_total(env: Env, complete: dict) -> None:
    assert refusal(env, complete["RefNo"], 75.51, None, "c", "Other") == (
        "The maximum refundable amount for this order has been exceeded."
    )
    assert env.a_at("6.0")("issueRefund", complete["RefNo"], 75.504, None, "within half a cent", "Other") is True


@pytest.mark.parametrize("amount", [0, -5])
def test_an_amount_of_nothing(env: Env, complete: dict, amount: float) -> None:
    assert refusal(env, complete["RefNo"], amount, None, "c", "Other") == "Invalid ORDER_AMOUNT"


def test_an_item_quantity_over_what_was_bought(env: Env, complete: dict) -> None:
    plan = complete["Items"][0]
    items = [{"LineItemReference": plan["LineItemReference"], "Quantity": 3}]
    assert refusal(env, complete["RefNo"], 10.0, items, "c", "Other") == "Invalid PRODUCTS_QTY"
    items = [{"LineItemReference": plan["LineItemReference"], "Quantity": 0}]
    assert refusal(env, complete["RefNo"], 10.0, items, "c", "Other") == "Invalid PRODUCTS_QTY"
    items = [{"LineItemReference": plan["LineItemReference"], "Quantity": 2, "Amount": 60.01}]
    assert refusal(env, complete["RefNo"], 10.0, items, "c", "Other") == "Invalid ORDER_AMOUNT"
    items = [{"LineItemReference": plan["LineItemReference"], "Quantity": 2}]
    assert env.a_at("6.0")("issueRefund", complete["RefNo"], 60.0, items, "both seats", "Other") is True


def test_an_item_the_order_does_not_have(env: Env, complete: dict) -> None:
    items = [{"LineItemReference": "0" * 40, "Quantity": 1}]
    message = refusal(env, complete["RefNo"], 10.0, items, "c", "Other")
    assert message == "Items[0]: PRODUCTS_CODES missing or format incorrect"
    # An order of several items: a refund item must name one.
    assert refusal(env, complete["RefNo"], 10.0, [{"Quantity": 1}], "c", "Other").endswith(
        "PRODUCTS_CODES missing or format incorrect"
    )


def test_an_item_of_a_one_item_order_need_not_be_named(env: Env) -> None:
    settle(env, "immediate")
    session = env.a_at("6.0")
    order = session("placeOrder", dynamic_order())
    assert session("issueRefund", order["RefNo"], 25.39, [{"Quantity": 1, "Amount": 25.39}], "docs' sample", "Other")
    (refund,) = session("getOrder", order["RefNo"])["Refunds"]
    assert refund["Items"][0]["LineItemReference"] == order["Items"][0]["LineItemReference"]


@pytest.mark.parametrize("card", ["4111111111111111", "4000000000000077"], ids=["authorised", "pending"])
def test_only_a_complete_order_is_refunded(env: Env, card: str) -> None:
    settle(env, "manual")  # the authorised order stays AUTHRECEIVED
    order = env.a("placeOrder", dynamic_order(PaymentDetails=card_payment(card)))
    assert refusal(env, order["RefNo"], 1.0, None, "c", "Other") == (
        "You cannot place a refund request due to the order's current status."
    )


def test_a_cancelled_order_is_not_refunded(env: Env) -> None:
    order = env.a("placeOrder", dynamic_order())
    act_on_order(env.service.context, env.a.merchant_id, int(order["RefNo"]), "cancel")
    assert refusal(env, order["RefNo"], 1.0, None, "c", "Other").endswith("due to the order's current status.")


def test_six_0_refunds_only_within_3_months(env: Env, complete: dict) -> None:
    env.clock.advance(92 * 86400)  # 2026-09-01: 3 months to the day
    assert session_now(env)("issueRefund", complete["RefNo"], 1.0, None, "late", "Other") is True
    env.clock.advance(86400)
    assert refusal(env, complete["RefNo"], 1.0, None, "too late", "Other") == (
        "The allowed period to request a new refund for this order has expired."
    )
    # Before 6.0, a year (as the 5.0 page says).
    assert session_now(env, "5.0")("issueRefund", complete["RefNo"], 1.0, None, "5.0", "Other") is True
    env.clock.advance(365 * 86400)
    assert refusal(env, complete["RefNo"], 1.0, None, "too late", "Other", version="5.0").startswith(
        "The allowed period"
    )


def test_an_unknown_or_another_merchants_order(env: Env, complete: dict) -> None:
    assert error_of(env.a, "issueRefund", "999999999", 1.0, None, "c", "Other").code == "ORDER_NOT_FOUND"
    assert error_of(env.a, "issueRefund", "not-a-number", 1.0, None, "c", "Other").code == "ORDER_NOT_FOUND"
    before = snapshot(env)
    assert error_of(env.b, "issueRefund", complete["RefNo"], 1.0, None, "c", "Other").code == "ORDER_NOT_FOUND"
    assert snapshot(env) == before


def test_refunded_orders_are_found_by_status(env: Env, complete: dict) -> None:
    session = env.a_at("6.0")
    session("placeOrder", dynamic_order())
    session("issueRefund", complete["RefNo"], 75.5, [], "c", "Other")
    found = session("searchOrders", {"Status": "REFUND"})
    assert [order["RefNo"] for order in found["Items"]] == [complete["RefNo"]]
    assert found["Items"][0]["Refunds"][0]["Type"] == "TOTAL"  # no items named: a total refund
