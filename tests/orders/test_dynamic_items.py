"""placeOrder with dynamic items (IsDynamic, as 2Checkout's SDK examples send them): the price
sent, price options answered with generated group codes ("<Name>_<n>"), hashed values and
"7.00"-style surcharges added to the price, RecurringOptions kept as the subscription's cycle,
COUPON lines that lower the total, and the totals."""

from __future__ import annotations

import re

import pytest

from tests.orders.orders_env import dynamic_item, dynamic_order, settle
from tests.service_env import Env, error_of

SDK_ITEM = {  # Python SDK examples/order.py, Node test/spec_helper.js: 100 + a surcharge of 7
    "Name": "Dynamic product",
    "Description": "Test description",
    "Quantity": 1,
    "IsDynamic": True,
    "Tangible": False,
    "PurchaseType": "PRODUCT",
    "CrossSell": {"CampaignCode": "CAMPAIGN_CODE", "ParentCode": "MASTER_PRODUCT_CODE"},
    "Price": {"Amount": 100, "Type": "CUSTOM"},
    "PriceOptions": [{"Name": "OPT1", "Options": [{"Name": "Name LR", "Value": "Value LR", "Surcharge": 7}]}],
    "RecurringOptions": {
        "CycleLength": 2,
        "CycleUnit": "DAY",
        "CycleAmount": 12.2,
        "ContractLength": 3,
        "ContractUnit": "DAY",
    },
}


def test_the_sdk_examples_dynamic_item(env: Env) -> None:
    order = env.a_at("6.0")("placeOrder", dynamic_order(Items=[SDK_ITEM]))
    (item,) = order["Items"]
    details = item["ProductDetails"]
    assert (details["Name"], details["ShortDescription"], details["Tangible"], details["IsDynamic"]) == (
        "Dynamic product",
        "Test description",
        False,
        True,
    )
    assert details["DeliveryInformation"]["Delivery"] == "NO_DELIVERY"
    assert (item["Code"], item["PurchaseType"], item["Quantity"]) == (None, "PRODUCT", 1)
    (group,) = item["PriceOptions"]
    assert (group["Code"], group["Name"], group["Required"]) == ("OPT1_1", "OPT1", True)
    (option,) = group["Options"]
    assert option["Name"] == "Name LR" and option["Surcharge"] == "7.00"
    assert re.fullmatch(r"[0-9a-f]{32}", option["Value"])
    assert item["Price"]["UnitNetPrice"] == 107.0  # 100 + 7, as the recorded getOrder answers
    assert (order["NetPrice"], order["GrossPrice"], order["Currency"]) == (107.0, 107.0, "usd")
    assert item["RecurringOptions"] is None  # answered null though sent, as recorded


def test_price_option_groups_are_numbered_and_surcharges_add_up(env: Env) -> None:
    options = [
        {"Name": "Color", "Options": [{"Name": "Red", "Value": "red", "Surcharge": "1.5"}]},
        {"Name": "Size", "Options": [{"Name": "L", "Value": "l", "Surcharge": 2}, {"Name": "XL", "Value": "xl"}]},
    ]
    order = env.a_at("6.0")("placeOrder", dynamic_order(Items=[dynamic_item(Quantity=2, PriceOptions=options)]))
    (item,) = order["Items"]
    assert [group["Code"] for group in item["PriceOptions"]] == ["Color_1", "Size_2"]
    assert [option["Surcharge"] for option in item["PriceOptions"][1]["Options"]] == ["2.00", "0.00"]
    values = [option["Value"] for group in item["PriceOptions"] for option in group["Options"]]
    assert len(set(values)) == 3  # a hash of each value
    assert item["Price"]["UnitNetPrice"] == 13.5 and item["Price"]["NetPrice"] == 27.0
    assert order["GrossPrice"] == 27.0
    # The same value always hashes alike.
    again = env.a_at("6.0")("placeOrder", dynamic_order(Items=[dynamic_item(PriceOptions=options)]))
    assert again["Items"][0]["PriceOptions"][0]["Options"][0]["Value"] == values[0]


def test_a_surcharge_that_is_no_number_is_refused(env: Env) -> None:
    options = [{"Name": "Color", "Options": [{"Name": "Red", "Value": "red", "Surcharge": "lots"}]}]
    error = error_of(env.a, "placeOrder", dynamic_order(Items=[dynamic_item(PriceOptions=options)]))
    assert (error.code, error.details["field"]) == (
        "ORDER_PRODUCT_PRICE_AMOUNT_INVALID",
        "Items[0].PriceOptions[0].Surcharge",
    )
    assert env.rows("SELECT COUNT(*) FROM orders") == [(0,)]


def test_a_coupon_line_lowers_the_total(env: Env) -> None:
    items = [
        dynamic_item(Name="Plan", Price={"Amount": 50, "Type": "CUSTOM"}),
        dynamic_item(Name="Credit", PurchaseType="COUPON", Price={"Amount": 12.5, "Type": "CUSTOM"}),
        dynamic_item(Name="Tax", PurchaseType="tax", Price={"Amount": 2, "Type": "CUSTOM"}),
    ]
    order = env.a("placeOrder", dynamic_order(Items=items))
    assert [item["PurchaseType"] for item in order["Items"]] == ["PRODUCT", "COUPON", "TAX"]
    assert [item["Price"]["GrossPrice"] for item in order["Items"]] == [50.0, -12.5, 2.0]
    assert (order["NetPrice"], order["GrossPrice"]) == (39.5, 39.5)


def test_only_product_lines_make_subscriptions(env: Env) -> None:
    settle(env, "immediate")
    items = [
        dynamic_item(Name="Plan"),
        dynamic_item(Name="Shipping", PurchaseType="SHIPPING"),
        dynamic_item(Name="Credit", PurchaseType="COUPON", Price={"Amount": 1, "Type": "CUSTOM"}),
    ]
    order = env.a_at("6.0")("placeOrder", dynamic_order(Items=items))
    assert order["Status"] == "COMPLETE"
    made = [item["ProductDetails"]["Subscriptions"] for item in order["Items"]]
    assert len(made[0]) == 1 and made[1:] == [None, None]
    assert env.rows("SELECT COUNT(*) FROM subscriptions") == [(1,)]


@pytest.mark.parametrize(
    ("recurring", "expiration", "renewal"),
    [
        ({"CycleLength": 1, "CycleUnit": "MONTH", "CycleAmount": 12.2}, "2026-07-01", 12.2),
        ({"CycleLength": 1, "CycleUnit": "YEAR"}, "2027-06-01", 10.0),  # no CycleAmount: the price again
        ({"CycleLength": 2, "CycleUnit": "week", "CycleAmount": 3}, "2026-06-15", 3.0),
        ({"CycleLength": 10, "CycleUnit": "DAY", "CycleAmount": 1}, "2026-06-11", 1.0),
    ],
)
def test_recurring_options_are_the_subscriptions_cycle(env: Env, recurring, expiration, renewal) -> None:
    settle(env, "immediate")
    session = env.a_at("6.0")
    order = session("placeOrder", dynamic_order(Items=[dynamic_item(RecurringOptions=recurring)]))
    (entry,) = order["Items"][0]["ProductDetails"]["Subscriptions"]
    assert entry["ExpirationDate"] == f"{expiration} 12:00:00" and entry["Lifetime"] is False
    subscription = session("getSubscription", entry["SubscriptionReference"])
    assert (subscription["ExpirationDate"], subscription["Lifetime"]) == (expiration, False)
    assert (subscription["NextRenewalPrice"], subscription["NextRenewalPriceCurrency"]) == (renewal, "USD")
    assert subscription["Product"]["ProductCode"] is None
    assert subscription["Product"]["ProductName"] == "Add-on"


@pytest.mark.parametrize(
    ("recurring", "field", "code"),
    [
        ({"CycleLength": 0, "CycleUnit": "MONTH"}, "Items[0].RecurringOptions.CycleLength", "INVALID_FIELD_VALUE"),
        ({"CycleLength": 1, "CycleUnit": "FORTNIGHT"}, "Items[0].RecurringOptions.CycleUnit", "INVALID_FIELD_VALUE"),
        (
            {"CycleLength": 1, "CycleUnit": "MONTH", "CycleAmount": -1},
            "Items[0].RecurringOptions.CycleAmount",
            "ORDER_PRODUCT_PRICE_AMOUNT_INVALID",
        ),
    ],
)
def test_invalid_recurring_options_are_refused(env: Env, recurring, field, code) -> None:
    error = error_of(env.a, "placeOrder", dynamic_order(Items=[dynamic_item(RecurringOptions=recurring)]))
    assert (error.code, error.details["field"]) == (code, field)


def test_recurring_options_only_on_product_and_tax_lines(env: Env) -> None:
    item = dynamic_item(PurchaseType="SHIPPING", RecurringOptions={"CycleLength": 1, "CycleUnit": "MONTH"})
    error = error_of(env.a, "placeOrder", dynamic_order(Items=[item]))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Items[0].RecurringOptions")
    tax = dynamic_item(PurchaseType="TAX", RecurringOptions={"CycleLength": 1, "CycleUnit": "MONTH"})
    assert env.a("placeOrder", dynamic_order(Items=[tax]))["Status"] == "AUTHRECEIVED"


def test_a_dynamic_item_without_recurring_options_is_a_lifetime_licence(env: Env) -> None:
    settle(env, "immediate")
    session = env.a_at("6.0")
    order = session("placeOrder", dynamic_order(Items=[dynamic_item()]))
    (entry,) = order["Items"][0]["ProductDetails"]["Subscriptions"]
    assert (entry["Lifetime"], entry["ExpirationDate"], entry["RecurringEnabled"]) == (
        True,
        "9999-12-31 23:59:59",
        False,
    )
    subscription = session("getSubscription", entry["SubscriptionReference"])
    assert (subscription["Lifetime"], subscription["ExpirationDate"]) == (True, "9999-12-31")
    assert (subscription["NextRenewalPrice"], subscription["NextRenewalPriceCurrency"]) == (None, None)


def test_a_dynamic_item_keeps_its_sku_and_external_reference(env: Env) -> None:
    order = env.a_at("6.0")("placeOrder", dynamic_order(Items=[dynamic_item(SKU="SKU-1", ExternalReference="line-7")]))
    (item,) = order["Items"]
    assert (item["SKU"], item["ExternalReference"]) == ("SKU-1", "line-7")
    assert order["ExternalReference"] == "REST_API_AVANGTE" and order["Source"] == "testAPI.com"
