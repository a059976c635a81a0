"""The typed records the store hands the domains: their keys are the wire objects' fields and the
store's columns, and the code that builds them by name puts each value under its own field, in
the order the code before them did (the change history lists fields in a record's order)."""

from __future__ import annotations

import json

from tests.data import subscription_data
from twoco.core.port import ROW_VERSION, STATUS
from twoco.domains.customers.records import (
    CreditRecord,
    CustomerFields,
    CustomerRecord,
    EndUserRecord,
    NewCustomer,
    customer_fields,
    end_user_of,
    end_user_record,
)
from twoco.domains.customers.rules import CUSTOMER_DATA_FIELDS
from twoco.domains.customers.schema import CREDIT, END_USER_FIELDS
from twoco.domains.subscriptions.records import (
    DeliveryCodeRecord,
    DeliveryInfoRecord,
    NewSubscription,
    ProductRecord,
    SubscriptionFields,
    SubscriptionRecord,
)
from twoco.domains.subscriptions.rules import validated_subscription
from twoco.domains.subscriptions.schema import DELIVERY_CODE, DELIVERY_INFO, PRODUCT, SUBSCRIPTION, SUBSCRIPTION_FLAGS
from twoco.store.customers import CREDIT_COLUMNS, CUSTOMER_COLUMNS, END_USER_COLUMNS, _customer_record
from twoco.store.subscriptions import PRODUCT_COLUMNS, SUBSCRIPTION_COLUMNS, _subscription_record


def keys(record: type) -> tuple[set[str], set[str]]:
    """A TypedDict's required and optional keys."""
    return set(record.__required_keys__), set(record.__optional_keys__)


def test_customer_records_have_the_wire_fields_and_the_columns():
    assert keys(CustomerFields) == (set(CUSTOMER_DATA_FIELDS), set())
    assert keys(NewCustomer) == ({*CUSTOMER_DATA_FIELDS, "AvangateCustomerReference"}, set())
    assert keys(NewCustomer)[0] == {*CUSTOMER_COLUMNS, "Credit"}
    assert keys(CustomerRecord) == (keys(NewCustomer)[0], {STATUS, ROW_VERSION})
    assert keys(CreditRecord) == (set(), set(CREDIT.field_names)) == (set(), set(CREDIT_COLUMNS))
    assert keys(EndUserRecord) == (set(END_USER_FIELDS), set()) == (set(END_USER_COLUMNS), set())


def test_customer_builders_put_each_value_under_its_field_in_order():
    draft = {name: f"value of {name}" for name in CUSTOMER_DATA_FIELDS} | {"AvangateCustomerReference": 1}
    fields = customer_fields(draft)
    assert list(fields.items()) == [(name, f"value of {name}") for name in CUSTOMER_DATA_FIELDS]
    end_user = end_user_of(fields)
    assert list(end_user.items()) == [(name, f"value of {name}") for name in END_USER_FIELDS]
    assert end_user_record({**draft, "Credit": None}) == end_user
    assert list(end_user_record(draft)) == list(END_USER_FIELDS)


def test_a_customer_row_becomes_a_record_by_column():
    names = [*CUSTOMER_COLUMNS, *(f"Credit.{name}" for name in CREDIT_COLUMNS)]
    record = _customer_record(tuple(f"column {name}" for name in names))
    assert list(record) == [*CUSTOMER_COLUMNS, "Credit"]
    assert {name: record[name] for name in CUSTOMER_COLUMNS} == {name: f"column {name}" for name in CUSTOMER_COLUMNS}
    assert record["Credit"] == {name: f"column Credit.{name}" for name in CREDIT_COLUMNS}
    assert list(record["Credit"]) == list(CREDIT_COLUMNS)
    assert _customer_record(tuple(["x"] * len(CUSTOMER_COLUMNS) + [None] * len(CREDIT_COLUMNS)))["Credit"] is None


def test_subscription_records_have_the_wire_fields_and_the_columns():
    # What the store reads beside the fields stored: the references, and the order that made it.
    references = {"SubscriptionReference", "AvangateCustomerReference", "ExternalCustomerReference"}
    read = {"LatestSubscriptionOrder"}
    returned = {field.name for field in SUBSCRIPTION.fields if field.returned}
    assert keys(SubscriptionFields) == (returned - references - read, set())
    assert keys(NewSubscription) == (returned - references - read | {"SubscriptionReference"}, set())
    assert keys(NewSubscription)[0] == {*SUBSCRIPTION_COLUMNS, "Product", "EndUser"}
    assert keys(SubscriptionRecord) == (returned, set())
    assert keys(ProductRecord) == (set(PRODUCT.field_names), set()) == (set(PRODUCT_COLUMNS), set())
    assert keys(DeliveryInfoRecord) == (set(DELIVERY_INFO.field_names), set())
    assert keys(DeliveryCodeRecord) == (set(DELIVERY_CODE.field_names), set())


def test_a_subscription_row_becomes_a_record_by_column():
    delivery = {"Description": "keys", "Codes": [{"Code": "K-1", "File": None, "Description": "", "ExtraInfo": None}]}

    def column(name: str) -> object:
        if name in SUBSCRIPTION_FLAGS:
            return 1
        return json.dumps(delivery) if name == "DeliveryInfo" else f"column {name}"

    row = (
        *(column(name) for name in SUBSCRIPTION_COLUMNS),
        *(json.dumps(["EU", None]) if name == "PriceOptionCodes" else f"product {name}" for name in PRODUCT_COLUMNS),
        *(f"end user {name}" for name in END_USER_COLUMNS),
        123456789,
        "COMPLETE",
        7,
        "EXT-7",
    )
    record = _subscription_record(row)
    assert list(record) == [
        *SUBSCRIPTION_COLUMNS,
        "Product",
        "EndUser",
        "AvangateCustomerReference",
        "ExternalCustomerReference",
        "LatestSubscriptionOrder",
    ]
    for name in SUBSCRIPTION_COLUMNS:
        expected = True if name in SUBSCRIPTION_FLAGS else delivery if name == "DeliveryInfo" else f"column {name}"
        assert record[name] == expected and type(record[name]) is type(expected), name
    assert list(record["Product"].items()) == [
        (name, ["EU", None] if name == "PriceOptionCodes" else f"product {name}") for name in PRODUCT_COLUMNS
    ]
    assert list(record["EndUser"].items()) == [(name, f"end user {name}") for name in END_USER_COLUMNS]
    assert (record["AvangateCustomerReference"], record["ExternalCustomerReference"]) == (7, "EXT-7")
    assert record["LatestSubscriptionOrder"] == {"RefNo": "123456789", "Status": "COMPLETE"}
    unset = [0 if name in SUBSCRIPTION_FLAGS else None for name in SUBSCRIPTION_COLUMNS]
    bare = _subscription_record((*unset, *row[len(SUBSCRIPTION_COLUMNS) :]))
    assert [bare[name] for name in SUBSCRIPTION_FLAGS] == [False] * len(SUBSCRIPTION_FLAGS)
    assert bare["DeliveryInfo"] is None


def test_an_import_puts_each_price_under_its_own_field():
    prices = {
        "NextRenewalPrice": 1.5,
        "NextRenewalPriceCurrency": "usd",
        "SubscriptionValue": 2.5,
        "SubscriptionValueCurrency": "eur",
    }
    record = validated_subscription(subscription_data(1, "EXT-1", **prices))
    assert {name: record[name] for name in prices} == {
        "NextRenewalPrice": 1.5,
        "NextRenewalPriceCurrency": "USD",
        "SubscriptionValue": 2.5,
        "SubscriptionValueCurrency": "EUR",
    }
    assert list(record["Product"]) == list(PRODUCT.field_names)
    assert list(record["EndUser"]) == list(END_USER_FIELDS)
