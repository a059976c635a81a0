"""The typed records the store hands the domains: their keys are the wire objects' fields and the
store's columns, and the code that builds them by name puts each value under its own field, in
the order the code before them did (the change history lists fields in a record's order)."""

from __future__ import annotations

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
from twoco.store.customers import CREDIT_COLUMNS, CUSTOMER_COLUMNS, END_USER_COLUMNS, _customer_record


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
