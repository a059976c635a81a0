"""An order's life after its payment is authorised: by default it completes 1 s later on the
sandbox clock (getOrder and searchOrders complete it when due); a merchant may have orders
complete at once or only when told. Completion makes the customer (or attaches the one named by
CustomerReference or ExternalCustomerReference) and one subscription per item that generates
one, with the item's cycle (monthly, yearly, daily) or for a lifetime, recurring as the payment
method says, a test subscription for a test order. Also the sandbox's actions on an order
(operations.act_on_order: approve, complete, fail, reverse, cancel) and their conflicts."""

from __future__ import annotations

import pytest

from tests.orders.orders_env import (
    BILLING,
    add_product,
    card_payment,
    catalogue_order,
    dynamic_item,
    dynamic_order,
    session_now,
    settle,
)
from tests.service_env import Env, error_of, new_customer
from twoco.domains.orders.lifecycle import DONE
from twoco.domains.orders.operations import order_view
from twoco.domains.orders.sandbox import act_on_order


def customers(env: Env) -> list[tuple]:
    return env.rows("SELECT reference, external_reference FROM customers ORDER BY reference")


def subscriptions_of(order: dict) -> list[dict]:
    return [entry for item in order["Items"] for entry in item["ProductDetails"]["Subscriptions"] or ()]


def act(env: Env, ref_no: str, action: str, merchant_id: int | None = None) -> dict:
    """A sandbox action on an order, answered as the control plane answers it (API 6.0's Order)."""
    merchant_id = env.a.merchant_id if merchant_id is None else merchant_id
    acted = act_on_order(env.service.context, merchant_id, int(ref_no), action)
    return order_view(env.service.context, merchant_id, acted, "6.0")


def test_by_default_an_authorised_order_is_complete_by_its_next_read(env: Env) -> None:
    add_product(env.a, "MONTHLY", SubscriptionInformation={"BillingCycle": 1, "BillingCycleUnits": "M"})
    session = env.a_at("6.0")
    order = session("placeOrder", catalogue_order({"Code": "MONTHLY"}))
    assert (order["Status"], order["FinishDate"], order["OrderNo"]) == ("AUTHRECEIVED", None, 0)
    assert order["Items"][0]["ProductDetails"]["Subscriptions"] is None
    assert customers(env) == [] and env.rows("SELECT COUNT(*) FROM subscriptions") == [(0,)]

    env.clock.advance(2)  # the read completes it, at the time of the read
    done = session("getOrder", order["RefNo"])
    assert (done["Status"], done["ApproveStatus"], done["Errors"]) == ("COMPLETE", "OK", None)
    assert done["FinishDate"] == "2026-06-01 12:00:02"
    assert done["OrderNo"] == int(order["RefNo"])
    (entry,) = subscriptions_of(done)
    assert entry == {
        "SubscriptionReference": entry["SubscriptionReference"],
        "PurchaseDate": "2026-06-01 12:00:02",
        "SubscriptionStartDate": "2026-06-01 12:00:02",
        "ExpirationDate": "2026-07-01 12:00:02",
        "Lifetime": False,
        "Trial": False,
        "Enabled": True,
        "RecurringEnabled": True,
    }
    subscription = session("getSubscription", entry["SubscriptionReference"])
    assert (subscription["StartDate"], subscription["ExpirationDate"]) == ("2026-06-01", "2026-07-01")
    assert (subscription["TestSubscription"], subscription["RecurringEnabled"]) == (True, True)
    assert subscription["Product"]["ProductCode"] == "MONTHLY" and subscription["Product"]["ProductQuantity"] == 1
    assert (subscription["SubscriptionValue"], subscription["SubscriptionValueCurrency"]) == (99.5, "EUR")
    assert (subscription["NextRenewalPrice"], subscription["NextRenewalPriceCurrency"]) == (49.0, "EUR")
    assert subscription["EndUser"]["Email"] == BILLING["Email"]

    ((reference, external),) = customers(env)
    assert external is None and subscription["AvangateCustomerReference"] == reference
    customer = session("getCustomerInformation", reference, None)
    assert (customer["FirstName"], customer["LastName"], customer["Email"]) == ("John", "Doe", BILLING["Email"])
    assert (customer["City"], customer["CountryCode"], customer["Zip"]) == ("Bucharest", "ro", "010001")
    assert env.rows("SELECT customer_reference, due_at FROM orders") == [(reference, None)]
    # Completed once: read again, nothing more is made.
    env.clock.advance(5)
    assert session("getOrder", order["RefNo"]) == done
    assert len(customers(env)) == 1 and env.rows("SELECT COUNT(*) FROM subscriptions") == [(1,)]


def test_search_orders_completes_the_orders_due(env: Env) -> None:
    order = env.a_at("6.0")("placeOrder", dynamic_order())
    env.clock.advance(1)
    found = env.a_at("6.0")("searchOrders", {})
    assert [(o["RefNo"], o["Status"]) for o in found["Items"]] == [(order["RefNo"], "COMPLETE")]


def test_an_order_that_is_not_authorised_never_completes(env: Env) -> None:
    payment = card_payment("4000000000000002")
    order = env.a("placeOrder", dynamic_order(PaymentDetails=payment))
    env.clock.advance(120)
    assert env.a("getOrder", order["RefNo"])["Status"] == "PENDING"
    assert customers(env) == []


def test_immediate_completion(env: Env) -> None:
    settle(env, "immediate")
    order = env.a_at("6.0")("placeOrder", dynamic_order())
    assert order["Status"] == "COMPLETE" and len(subscriptions_of(order)) == 1
    assert order["FinishDate"] == order["OrderDate"] == "2026-06-01 12:00:00"


def test_completion_after_the_merchants_delay(env: Env) -> None:
    settle(env, "time", delay=30)
    order = env.a("placeOrder", dynamic_order())
    env.clock.advance(29)
    assert env.a("getOrder", order["RefNo"])["Status"] == "AUTHRECEIVED"
    env.clock.advance(1)
    assert env.a("getOrder", order["RefNo"])["Status"] == "COMPLETE"


def test_manual_completion_waits_to_be_told(env: Env) -> None:
    settle(env, "manual")
    order = env.a("placeOrder", dynamic_order())
    env.clock.advance(300)
    assert env.a("getOrder", order["RefNo"])["Status"] == "AUTHRECEIVED"
    assert customers(env) == []
    done = act(env, order["RefNo"], "complete")
    assert (done["Status"], done["ApproveStatus"]) == ("COMPLETE", "OK")
    assert env.a("getOrder", order["RefNo"])["Status"] == "COMPLETE"
    assert len(customers(env)) == 1


def test_a_customer_reference_attaches_the_order_to_that_customer(env: Env) -> None:
    settle(env, "immediate")
    owner = new_customer(env.a, ExternalCustomerReference="OWNER")
    order = env.a_at("6.0")("placeOrder", dynamic_order(CustomerReference=owner))
    (entry,) = subscriptions_of(order)
    assert env.a("getSubscription", entry["SubscriptionReference"])["AvangateCustomerReference"] == owner
    assert [reference for reference, _ in customers(env)] == [owner]
    # Another merchant's customer is an unknown one.
    error = error_of(env.b, "placeOrder", dynamic_order(CustomerReference=owner))
    assert error.code == "CUSTOMER_NOT_FOUND"


def test_an_external_customer_reference_is_found_or_made(env: Env) -> None:
    settle(env, "immediate")
    first = env.a("placeOrder", dynamic_order(ExternalCustomerReference="SHOP-42"))
    ((reference, external),) = customers(env)
    assert external == "SHOP-42"
    second = env.a("placeOrder", dynamic_order(ExternalCustomerReference="SHOP-42"))
    assert customers(env) == [(reference, "SHOP-42")]
    owners = {
        env.a("getSubscription", entry["SubscriptionReference"])["AvangateCustomerReference"]
        for order in (first, second)
        for entry in subscriptions_of(order)
    }
    assert owners == {reference}


def test_an_order_without_customer_names_makes_a_customer_each_time(env: Env) -> None:
    settle(env, "immediate")
    env.a("placeOrder", dynamic_order())
    env.a("placeOrder", dynamic_order())
    assert len(customers(env)) == 2


@pytest.mark.parametrize(
    ("terms", "expiration", "lifetime"),
    [
        ({"BillingCycle": 1, "BillingCycleUnits": "M"}, "2026-07-01", False),
        ({"BillingCycle": 12, "BillingCycleUnits": "M"}, "2027-06-01", False),
        ({"BillingCycle": 1, "BillingCycleUnits": "Y"}, "2027-06-01", False),
        ({"BillingCycle": 30, "BillingCycleUnits": "D"}, "2026-07-01", False),
        ({"BillingCycle": -1, "BillingCycleUnits": "M", "IsOneTimeFee": True}, "9999-12-31", True),
    ],
    ids=["monthly", "12-months", "yearly", "daily", "one-time-fee"],
)
def test_a_catalogue_products_cycle(env: Env, terms: dict, expiration: str, lifetime: bool) -> None:
    settle(env, "immediate")
    add_product(env.a, "CYCLE", SubscriptionInformation=terms)
    order = env.a_at("6.0")("placeOrder", catalogue_order({"Code": "CYCLE"}))
    (entry,) = subscriptions_of(order)
    subscription = env.a("getSubscription", entry["SubscriptionReference"])
    assert (subscription["ExpirationDate"], subscription["Lifetime"]) == (expiration, lifetime)
    assert entry["Lifetime"] is lifetime
    assert subscription["RecurringEnabled"] is (not lifetime)  # a lifetime licence does not renew
    if lifetime:
        assert (subscription["NextRenewalPrice"], entry["ExpirationDate"]) == (None, "9999-12-31 23:59:59")


def test_a_month_from_the_31st_ends_in_the_shorter_month(env: Env) -> None:
    settle(env, "immediate")
    env.clock.advance(86400 * 91 - 12 * 3600 + 60)  # 2026-08-31 00:01
    session = session_now(env)
    order = session(
        "placeOrder", dynamic_order(Items=[dynamic_item(RecurringOptions={"CycleLength": 1, "CycleUnit": "MONTH"})])
    )
    (entry,) = subscriptions_of(order)
    assert entry["ExpirationDate"] == "2026-09-30 00:01:00"


def test_a_product_that_generates_no_subscription(env: Env) -> None:
    settle(env, "immediate")
    add_product(env.a, "NOSUB", GeneratesSubscription=False)
    order = env.a_at("6.0")("placeOrder", catalogue_order({"Code": "NOSUB"}))
    assert order["Status"] == "COMPLETE"
    assert order["Items"][0]["ProductDetails"]["Subscriptions"] is None
    assert customers(env) == []  # nothing to own


@pytest.mark.parametrize("recurring", [True, False])
def test_recurring_as_the_payment_method_says(env: Env, recurring: bool) -> None:
    settle(env, "immediate")
    order = env.a_at("3.0")("placeOrder", dynamic_order(PaymentDetails=card_payment(RecurringEnabled=recurring)))
    assert order["RecurringEnabled"] is recurring  # 3.0's top-level flag
    (entry,) = subscriptions_of(order)
    assert entry["RecurringEnabled"] is recurring
    assert env.a("getSubscription", entry["SubscriptionReference"])["RecurringEnabled"] is recurring


def test_a_live_orders_subscription_is_no_test_subscription(env: Env) -> None:
    settle(env, "immediate")
    live = card_payment("4242424242424242")
    live["Type"] = "CC"
    order = env.a("placeOrder", dynamic_order(PaymentDetails=live))
    (entry,) = subscriptions_of(order)
    assert order["TestOrder"] is False
    assert env.a("getSubscription", entry["SubscriptionReference"])["TestSubscription"] is False


def test_approve_then_complete(env: Env) -> None:
    settle(env, "manual")
    order = env.a("placeOrder", dynamic_order())
    approved = act(env, order["RefNo"], "approve")
    assert (approved["Status"], approved["ApproveStatus"]) == ("AUTHRECEIVED", "OK")
    assert act(env, order["RefNo"], "approve")["ApproveStatus"] == "OK"  # again: nothing changes
    assert act(env, order["RefNo"], "complete")["Status"] == "COMPLETE"
    history = env.rows("SELECT history FROM orders")[0][0]
    assert history.count('"status":"COMPLETE"') == 1 and "control plane" in history


def test_a_pending_order_completed_by_the_sandbox(env: Env) -> None:
    order = env.a("placeOrder", dynamic_order(PaymentDetails=card_payment("4000000000000077")))
    done = act(env, order["RefNo"], "complete")
    assert (done["Status"], done["Errors"]) == ("COMPLETE", None)
    assert len(subscriptions_of(done)) == 1


def test_fail_reverse_and_cancel(env: Env) -> None:
    settle(env, "manual")
    failed = act(env, env.a("placeOrder", dynamic_order())["RefNo"], "fail")
    assert (failed["Status"], failed["Errors"]) == (
        "PENDING",
        {"CARD_PAYMENT_ERROR": "Couldn't complete the payment validation process"},
    )
    reversed_ = act(env, env.a("placeOrder", dynamic_order())["RefNo"], "reverse")
    assert (reversed_["Status"], reversed_["ApproveStatus"]) == ("REVERSED", "FRAUD")
    canceled = act(env, env.a("placeOrder", dynamic_order())["RefNo"], "cancel")
    assert (canceled["Status"], canceled["ApproveStatus"]) == ("CANCELED", "WAITING")
    # A failed order can be paid again; a cancelled one cannot complete.
    assert env.a("placeOrder", {"RefNo": failed["RefNo"], "PaymentDetails": card_payment()})["Status"] == "AUTHRECEIVED"


def test_a_default_order_acted_on_does_not_complete_later(env: Env) -> None:
    order = env.a("placeOrder", dynamic_order())
    act(env, order["RefNo"], "cancel")
    env.clock.advance(5)
    assert env.a("getOrder", order["RefNo"])["Status"] == "CANCELED"
    assert customers(env) == []


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("complete", "complete"),
        ("complete", "cancel"),
        ("complete", "fail"),
        ("complete", "reverse"),
        ("complete", "approve"),
        ("cancel", "complete"),
        ("reverse", "cancel"),
        ("pending", "approve"),
    ],
)
def test_actions_an_orders_status_forbids(env: Env, setup: str, action: str) -> None:
    settle(env, "manual")
    card = "4000000000000077" if setup == "pending" else "4111111111111111"
    order = env.a("placeOrder", dynamic_order(PaymentDetails=card_payment(card)))
    if setup != "pending":
        act(env, order["RefNo"], setup)
    before = (env.rows("SELECT * FROM orders"), customers(env))
    error = error_of(act, env, order["RefNo"], action)
    assert error.code == "ORDER_STATUS_CONFLICT"
    assert order["RefNo"] in error.message and f"cannot be {DONE[action]}" in error.message
    assert (env.rows("SELECT * FROM orders"), customers(env)) == before


def test_an_unknown_action_or_order(env: Env) -> None:
    order = env.a("placeOrder", dynamic_order())
    assert error_of(act, env, order["RefNo"], "refund").code == "INVALID_FIELD_VALUE"
    assert error_of(act, env, "999999999", "complete").code == "ORDER_NOT_FOUND"
    assert error_of(act, env, order["RefNo"], "complete", env.b.merchant_id).code == "ORDER_NOT_FOUND"


def test_the_change_history_names_the_order_that_made_the_customer_and_subscription(env: Env) -> None:
    settle(env, "immediate")  # made by placeOrder itself
    order = env.a_at("6.0")("placeOrder", dynamic_order(ExternalCustomerReference="HISTORY-1"))
    customer = env.store.customer_by_external(env.a.merchant_id, "HISTORY-1")["AvangateCustomerReference"]
    entries = env.store.customer_history(env.a.merchant_id, customer)
    assert [e["operation"] for e in entries] == [f"placeOrder, order {order['RefNo']}"] * 2  # customer, subscription
    assert {e["protocol"] for e in entries} == {"test/6.0"}

    settle(env, "manual")  # made by the sandbox's action
    waiting = env.a("placeOrder", dynamic_order(ExternalCustomerReference="HISTORY-2"))
    act(env, waiting["RefNo"], "complete")
    customer = env.store.customer_by_external(env.a.merchant_id, "HISTORY-2")["AvangateCustomerReference"]
    entries = env.store.customer_history(env.a.merchant_id, customer)
    assert [(e["protocol"], e["operation"]) for e in entries] == [
        ("sandbox", f"order {waiting['RefNo']} completed")
    ] * 2
