"""Merchant isolation, generated from the registry: another merchant's reference is a missing one.

For every operation that looks a record up by reference, on every protocol, merchant B calling
with merchant A's reference gets exactly the answer (status, fault code, message but for the
reference's text) of a reference that exists nowhere, and the store does not change. A new
operation is covered as soon as it is registered; one the test cannot build fails it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from tests.clients.api import JsonRpcApi
from tests.data import customer_data, dynamic_order, subscription_data
from tests.wire import PROTOCOLS, Answer, Records, Wire, store_digest, valid_args
from twoco.core.registry import VERSIONS, Operation
from twoco.core.schema import STRING, Array, Struct
from twoco.domains import REGISTRY

CUSTOMER, EXTERNAL, SUBSCRIPTION = "customer", "external", "subscription"
PRODUCT, PRODUCT_ID, ORDER = "product", "product_id", "order"
REFERENCE_PARAMS = {
    "AvangateCustomerReference": CUSTOMER,
    "CustomerReference": CUSTOMER,
    "ExternalCustomerReference": EXTERNAL,
    "SubscriptionReference": SUBSCRIPTION,
    "idCustomer": CUSTOMER,  # single sign-on, with customerType AvangateCustomerReference
    "subscriptionReference": SUBSCRIPTION,
    "ProductCode": PRODUCT,
    "AvangateId": PRODUCT_ID,  # getProductById's
    "Codes": PRODUCT,  # searchProducts' filter (inside its SearchOptions)
    "RefNo": ORDER,
}
# Operations that name no existing record, and why.
NO_LOOKUP = {
    "login": "authenticates a merchant; names no record",
    "createCustomer": "creates a customer; its references are new ones, never looked up",
    "getCustomerInformationBySSOToken": "names a token, not a record (another merchant's token: "
    "tests/protocols/test_conformance.py::test_sso_tokens_belong_to_their_merchant)",
    "searchCustomers": "filters by contact data, no reference (tests/protocols/test_conformance.py checks its isolation)",
    "addProduct": "creates a product; its code is a new one, never looked up (another merchant's code is free: "
    "tests/products/test_isolation.py)",
    "getAvailableCurrencies": "names no record: the merchant's own currencies (tests/products/test_isolation.py)",
    "getProductGroups": "names no record: the merchant's own groups (tests/products/test_isolation.py)",
    "addProductGroup": "creates a group; its code is a new one (tests/products/test_isolation.py)",
    "searchOrders": "filters the merchant's own orders by date, status and its own external references",
}
# Operations twoco has no REST route for (2Checkout documents none for the first two).
NO_REST = {"getSubscriptions", "searchCustomers", "getProductById", "setProductStatus"}
# Operations whose object parameter names the record to change (or the records to find) by a reference inside it.
NAMED_INSIDE = {
    "updateSubscription": "SubscriptionReference",
    "updateProduct": "ProductCode",
    "searchProducts": "Codes",
    "placeOrder": "RefNo",  # paying again an order: another merchant's is a missing one
}
# Operations that filter by the references they are given: another merchant's match nothing,
# exactly as missing ones do, and the call succeeds with nothing found.
FILTERS = {"getSubscriptions", "searchSubscriptions", "searchProducts"}


def reference_slots(operation: Operation) -> list[tuple[str, str | None, str]]:
    """Where the operation takes a reference: (parameter, field inside it or None, kind)."""
    slots: list[tuple[str, str | None, str]] = []
    for param in operation.params:
        if param.name in REFERENCE_PARAMS:
            slots.append((param.name, None, REFERENCE_PARAMS[param.name]))
        elif isinstance(param.type, Struct):
            inside = (NAMED_INSIDE[operation.name],) if operation.name in NAMED_INSIDE else ()
            for name in ("AvangateCustomerReference", "ExternalCustomerReference", *inside):
                if name in param.type.by_name:
                    slots.append((param.name, name, REFERENCE_PARAMS[name]))
    return slots


# Slots where an unknown reference makes a new record instead of failing: an import naming a new
# ExternalCustomerReference creates that customer, for B as for anyone (tests/core/test_merchant_isolation.py
# covers that A's customer stays A's).
CREATES_WHEN_MISSING = {("addSubscription", "ExternalCustomerReference"), ("placeOrder", "ExternalCustomerReference")}

CASES = [
    pytest.param(protocol, name, param, inner, kind, id=f"{protocol}-{name}-{param}{'.' + inner if inner else ''}")
    for protocol in PROTOCOLS
    for name, operation in REGISTRY.operations_for(protocol.split("-")[1]).items()
    if name not in NO_LOOKUP and (not protocol.startswith("rest") or operation.route is not None)
    for param, inner, kind in reference_slots(operation)
    if (name, inner) not in CREATES_WHEN_MISSING
]


def test_every_operation_is_covered() -> None:
    """An operation must either take a reference (and be in CASES) or say in NO_LOOKUP why not."""
    for version in VERSIONS:
        for name, operation in REGISTRY.operations_for(version).items():
            if name in NO_LOOKUP:
                continue
            assert reference_slots(operation), f"{name} takes no reference the isolation test knows: teach it"
            records = Records("M", "s", 1, "E", "S", "ES")
            valid_args(operation, records, version)  # fails for a parameter tests/wire.py cannot fill
            has_route = operation.route is not None or name in NO_REST
            assert has_route or version != "6.0", f"{name} has no REST route on 6.0"


def _records(server, store, code: str) -> Records:
    secret = secrets.token_urlsafe(24)
    store.add_merchant(code, secret, "2026-01-01T00:00:00+00:00")
    # Its order completes as it is placed: none completes later, on the server's clock, mid-test.
    store.set_merchant_settings(store.merchant(code).id, {"orders": {"completion": "immediate"}})
    api = JsonRpcApi(server.base_url, code, secret, "6.0")
    external = f"ISO-{code}-C"
    customer = api.call("createCustomer", customer_data(ExternalCustomerReference=external))
    external_subscription = f"ISO-{code}-S"
    subscription = api.call("addSubscription", subscription_data(customer, external_subscription))
    product = f"ISO-{code}-P"
    api.call("addProduct", {"ProductCode": product, "ProductName": "Isolated"})
    product_id = api.call("getProductByCode", product)["AvangateId"]
    order = api.call("placeOrder", dynamic_order())["RefNo"]
    api.close()
    return Records(code, secret, customer, external, subscription, external_subscription, product, product_id, order)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def merchants(app_server, store) -> tuple[Records, Records, Records]:
    """A's records, B's records, and references that name nothing (same shapes as A's)."""
    tag = secrets.token_hex(3).upper()
    a = _records(app_server, store, f"ISOA{tag}")
    b = _records(app_server, store, f"ISOB{tag}")
    with store.transaction(write=False) as cursor:
        taken = {row[0] for row in cursor.execute("SELECT reference FROM customers").fetchall()}
        subscriptions = {row[0] for row in cursor.execute("SELECT reference FROM subscriptions").fetchall()}
        product_ids = {row[0] for row in cursor.execute("SELECT avangate_id FROM products").fetchall()}
        orders = {row[0] for row in cursor.execute("SELECT ref_no FROM orders").fetchall()}
    missing_product_id = next(n for n in range(1_000_000, 9_999_999, 7_919) if n not in product_ids)
    missing_customer = next(n for n in range(100_000_000, 999_999_999, 7_919) if n not in taken)
    missing_subscription = next(s for s in (secrets.token_hex(5).upper() for _ in range(9)) if s not in subscriptions)
    missing = replace(
        a,
        customer=missing_customer,
        external_customer=f"ISO-NONE{tag}-C",
        subscription=missing_subscription,
        product=f"ISO-NONE{tag}-P",
        product_id=missing_product_id,
        order=str(next(n for n in range(100_000_000, 999_999_999, 7_919) if n not in orders)),
    )
    return a, b, missing


@pytest.fixture(scope="module")
def http(app_server) -> Iterator[httpx.Client]:
    with app_server.http_client() as client:
        yield client


def _args(operation: Operation, b: Records, version: str, param: str, inner: str | None, value: object) -> list:
    """B's valid call with ``value`` in the slot, and the other customer reference left out."""
    args = valid_args(operation, b, version)
    names = [p.name for p in operation.params]
    index = names.index(param)
    if inner is None:
        if isinstance(operation.params[index].type, Array):
            args[index] = [value]
        else:
            args[index] = str(value) if operation.params[index].type == STRING else value  # idCustomer is a string
        if param == "ExternalCustomerReference":  # look up by the external reference alone
            for other in ("AvangateCustomerReference", "CustomerReference"):
                if other in names:
                    args[names.index(other)] = None
    else:
        record = dict(args[index])
        if inner != "SubscriptionReference":
            record.pop("AvangateCustomerReference", None)
        inside = operation.params[index].type.by_name[inner].type  # type: ignore[union-attr]
        record[inner] = [value] if isinstance(inside, Array) else value
        if "ExternalSubscriptionReference" in record:  # a new one: only the customer can be wrong
            record["ExternalSubscriptionReference"] = f"ISO-NEW-{secrets.token_hex(4)}"
        args[index] = record
    return args


def _comparable(answer: Answer, reference: object) -> tuple[object, ...]:
    return (answer.status, answer.error_code, answer.faultcode, answer.message.replace(str(reference), "<ref>"))


@pytest.mark.parametrize(("protocol", "name", "param", "inner", "kind"), CASES)
def test_another_merchants_reference_is_a_missing_one(
    app_server, store, http, merchants, protocol, name, param, inner, kind
) -> None:
    a, b, missing = merchants
    version = protocol.split("-")[1]
    operation = REGISTRY.lookup(version, name)
    wire = Wire(http, protocol, b)
    attribute = {
        CUSTOMER: "customer",
        EXTERNAL: "external_customer",
        SUBSCRIPTION: "subscription",
        PRODUCT: "product",
        PRODUCT_ID: "product_id",
        ORDER: "order",
    }[kind]
    foreign, absent = getattr(a, attribute), getattr(missing, attribute)
    before = store_digest(store)
    on_foreign = wire.call(operation, _args(operation, b, version, param, inner, foreign))
    on_missing = wire.call(operation, _args(operation, b, version, param, inner, absent))
    assert store_digest(store) == before, "a call on another merchant's reference changed the store"
    assert not on_foreign.problems and not on_missing.problems, (on_foreign, on_missing)
    assert _comparable(on_foreign, foreign) == _comparable(on_missing, absent)
    if name in FILTERS:
        assert not on_foreign.failed and on_foreign.result == on_missing.result, (on_foreign, on_missing)
        if not protocol.startswith("soap"):  # (wire reads a SOAP result as its text only)
            found = on_foreign.result
            assert found == [] or found["Items"] == [], f"B's {name} with A's {kind} reference found {found}"  # type: ignore[index]
    else:
        assert on_foreign.failed, f"B's {name} with A's {kind} reference succeeded: {on_foreign}"
