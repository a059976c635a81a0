"""Fixtures: merchants, their products, customers and subscriptions loaded from a YAML or JSON document.

    merchants:
      - code: ACME
        secret_key: a-key-for-the-sandbox        # optional: generated (and answered) if new
        orders: {completion: immediate}           # optional: how its test orders complete (docs/orders.md)
        notifications:                            # optional: where its IPNs and LCNs go (docs/notifications.md)
          ipn_url: http://localhost:8000/ipn      # saved unprobed: the handler need not be up yet
          lcn_url: http://localhost:8000/lcn
          algorithms: [sha256, sha3-256]
        products:
          - AvangateId: 4586010                   # optional: generated if absent
            ProductCode: PRO
            ProductName: Pro plan
            ...                                   # any Product field (API 6.0), as addProduct takes it
        customers:
          - AvangateCustomerReference: 100000001  # optional: generated if absent
            ExternalCustomerReference: ACME-1
            FirstName: Ada
            ...                                   # any Customer field (API 6.0)
            subscriptions:
              - ExternalSubscriptionReference: ACME-SUB-1
                SubscriptionReference: A1B2C3D4E5  # optional: generated if absent
                StartDate: 2026-01-01
                ExpirationDate: 2027-01-01
                Product: {ProductCode: PRO}
                EndUser: {...}                     # optional: the customer's own data

A fixture replaces the data of the merchants it names (their products, customers, subscriptions
and sessions go first, as ``POST /_twoco/reset`` with that merchant would), so loading the
same file twice leaves the same store; other merchants are untouched. Every record passes
the API's own validation (a product addProduct's; its pricing configurations keep the Codes
given, where addProduct makes new ones), and the whole document loads in one transaction: an
error anywhere loads nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, cast

import yaml

from twoco.core.errors import ApiError
from twoco.core.ids import new_secret_key
from twoco.core.port import DuplicateKey, ServedStore
from twoco.core.schema import DecodeError, WireType
from twoco.core.service import Service
from twoco.core.validation import MAX_REFERENCE, MERCHANT_CODE, check_text
from twoco.domains import DomainStore
from twoco.domains.customers.records import EndUserRecord, end_user_of
from twoco.domains.customers.rules import CUSTOMER_DATA_FIELDS, new_customer
from twoco.domains.customers.schema import CUSTOMER_V6
from twoco.domains.notifications.sandbox import set_notification_settings
from twoco.domains.orders.sandbox import set_order_settings
from twoco.domains.products.operations import new_product
from twoco.domains.products.schema import PRODUCT
from twoco.domains.subscriptions.records import NewSubscription
from twoco.domains.subscriptions.rules import validated_subscription
from twoco.domains.subscriptions.schema import SUBSCRIPTION
from twoco.protocols import json_codec
from twoco.protocols.limits import MAX_DEPTH

T = TypeVar("T")
MAX_FIXTURE_BYTES = 64 * 1024 * 1024  # a file given to serve --fixtures; HTTP bodies have their own limit


class _Invalid(Exception):
    """A fixture problem the API's own validation does not name."""


def parse_fixtures(text: bytes) -> dict[str, Any]:
    """The fixture document in ``text`` (YAML, of which JSON is a part)."""
    try:
        document = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as error:
        raise ApiError(
            "INVALID_FIXTURE", location="the document", reason=f"not YAML or JSON: {str(error)[:200]}"
        ) from None
    except RecursionError:  # the YAML parser recurses once per level
        raise _too_deep() from None
    if not isinstance(document, dict) or not isinstance(document.get("merchants"), list):
        raise ApiError("INVALID_FIXTURE", location="the document", reason="expected an object with a merchants list")
    if set(document) != {"merchants"}:
        raise ApiError("INVALID_FIXTURE", location="the document", reason="the only top-level field is merchants")
    plain: dict[str, Any] = _plain(document, len(text))
    return plain


def _too_deep() -> ApiError:
    return ApiError("INVALID_FIXTURE", location="the document", reason=f"nested more than {MAX_DEPTH} levels")


def _plain(document: Any, size: int) -> Any:
    """YAML's dates as the API's 'YYYY-MM-DD' text; everything else as it is.

    YAML aliases let a small document name a huge tree (a billion laughs: nine levels of ten aliases
    are 10^9 values): a document holding more values than it has bytes, or nested deeper than
    MAX_DEPTH, is refused."""
    left = size

    def plain(value: Any, depth: int) -> Any:
        nonlocal left
        left -= 1
        if left < 0:
            raise ApiError("INVALID_FIXTURE", location="the document", reason="more values than bytes (YAML aliases)")
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            return {key: plain(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item, depth + 1) for item in value]
        if isinstance(value, datetime.datetime):
            return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    return plain(document, 0)


def load_fixtures(
    service: Service[DomainStore], store: ServedStore, document: Mapping[str, Any]
) -> dict[str, list[dict[str, object]]]:
    """Load a parsed fixture document into the service's ``store``; returns what was loaded, per merchant."""
    loaded: list[dict[str, object]] = []
    with service.store.transaction():
        for index, merchant in enumerate(document["merchants"]):
            loaded.append(_at(f"merchants[{index}]", _load_merchant, service, store, merchant, index))
    # Existing merchants were reset: their sessions and failed logins are forgotten only now,
    # as a load that fails half-way leaves the store (and so them) as they were.
    for summary in loaded:
        if summary.pop("reset"):
            service.forget(str(summary["code"]))
    return {"merchants": loaded}


def _at(location: str, load: Callable[..., T], *args: Any) -> T:
    """``load(*args)``, turning any validation error into INVALID_FIXTURE at ``location``."""
    try:
        return load(*args)
    except ApiError as error:
        if error.code == "INVALID_FIXTURE":
            raise
        raise ApiError("INVALID_FIXTURE", location=location, reason=error.message) from None
    except _Invalid as error:
        raise ApiError("INVALID_FIXTURE", location=location, reason=str(error)) from None


def _load_merchant(
    service: Service[DomainStore], store: ServedStore, merchant: object, index: int
) -> dict[str, object]:
    if not isinstance(merchant, dict):
        raise _Invalid("expected an object with code, secret_key, orders, notifications, products and customers")
    _only(merchant, {"code", "secret_key", "orders", "notifications", "products", "customers"})
    code, secret_key, customers = merchant.get("code"), merchant.get("secret_key"), merchant.get("customers", [])
    products = merchant.get("products", [])
    if not isinstance(code, str) or not MERCHANT_CODE.fullmatch(code):
        raise _Invalid("code must be 1 to 64 letters, digits, _ or -")
    if secret_key is not None and (not isinstance(secret_key, str) or not 8 <= len(secret_key) <= 255):
        raise _Invalid("secret_key must be a text of 8 to 255 characters")
    check_text("secret_key", secret_key)  # no control characters, nor surrogates no store can encode
    if not isinstance(customers, list) or not isinstance(products, list):
        raise _Invalid("products and customers must be lists")
    existing = store.merchant(code)
    summary: dict[str, object] = {"code": code, "reset": existing is not None}
    if existing is None:
        if secret_key is None:
            summary["secret_key"] = secret_key = new_secret_key()
        store.add_merchant(code, secret_key)
        added = store.merchant(code)
        assert added is not None  # just added
        merchant_id = added.id
    else:
        if secret_key is not None and secret_key != existing.secret_key:
            store.rotate_secret_key(code, secret_key, end_sessions=False)  # the reset ends them
        store.reset(existing.id)
        merchant_id = existing.id
    if merchant.get("orders") is not None:
        if not isinstance(merchant["orders"], dict):
            raise _Invalid("orders must be an object: completion (immediate, time, manual) and delay")
        _at(f"merchants[{index}].orders", set_order_settings, service.context, merchant_id, merchant["orders"])
    if merchant.get("notifications") is not None:
        if not isinstance(merchant["notifications"], dict):
            raise _Invalid("notifications must be an object: ipn_url, lcn_url and algorithms")
        location = f"merchants[{index}].notifications"
        _at(location, set_notification_settings, service.context, merchant_id, merchant["notifications"])
    for number, product in enumerate(products):
        _at(f"merchants[{index}].products[{number}]", _load_product, service, merchant_id, product)
    subscriptions = 0
    for number, customer in enumerate(customers):
        location = f"merchants[{index}].customers[{number}]"
        subscriptions += _at(location, _load_customer, service, merchant_id, customer, location)
    summary.update(products=len(products), customers=len(customers), subscriptions=subscriptions)
    return summary


def _load_product(service: Service[DomainStore], merchant_id: int, product: object) -> None:
    if not isinstance(product, dict):
        raise _Invalid("expected a Product object")
    fields = _decoded(product, PRODUCT)  # every Product field may be set, AvangateId too
    avangate_id = fields.get("AvangateId")
    if avangate_id is not None and avangate_id < 1:
        raise _Invalid("AvangateId must be a positive integer")
    codes = frozenset(each.get("Code") or "" for each in fields.get("PricingConfigurations") or [] if each) - {""}
    record = new_product(service.context, merchant_id, fields, codes)
    avangate_id = avangate_id or service.context.references.product_id()
    try:
        service.store.insert_product(merchant_id, avangate_id, record)
    except DuplicateKey as duplicate:
        what = f"ProductCode {record['ProductCode']!r}" if duplicate.external else f"AvangateId {avangate_id}"
        raise _Invalid(f"{what} is taken by another product") from None


def _load_customer(service: Service[DomainStore], merchant_id: int, customer: object, location: str) -> int:
    """Insert one customer and its subscriptions; returns how many subscriptions."""
    if not isinstance(customer, dict):
        raise _Invalid("expected a Customer object")
    subscriptions = customer.get("subscriptions", [])
    if not isinstance(subscriptions, list):
        raise _Invalid("subscriptions must be a list")
    fields = _decoded({name: value for name, value in customer.items() if name != "subscriptions"}, CUSTOMER_V6)
    _only(fields, {*CUSTOMER_DATA_FIELDS, "AvangateCustomerReference"})
    record = new_customer(fields)
    reference = fields.get("AvangateCustomerReference")
    if reference is not None and reference < 1:
        raise _Invalid("AvangateCustomerReference must be a positive integer")
    reference = reference or service.context.references.customer_reference()
    try:
        service.store.insert_customer(merchant_id, {"AvangateCustomerReference": reference, **record})
    except DuplicateKey as duplicate:
        what = (
            f"ExternalCustomerReference {record['ExternalCustomerReference']!r}"
            if duplicate.external
            else (f"AvangateCustomerReference {reference}")
        )
        raise _Invalid(f"{what} is taken by another customer") from None
    end_user = end_user_of(record)
    for number, subscription in enumerate(subscriptions):
        where = f"{location}.subscriptions[{number}]"
        _at(where, _load_subscription, service, merchant_id, reference, subscription, end_user)
    return len(subscriptions)


def _load_subscription(
    service: Service[DomainStore],
    merchant_id: int,
    customer_reference: int,
    subscription: object,
    end_user: EndUserRecord,
) -> None:
    if not isinstance(subscription, dict):
        raise _Invalid("expected a Subscription object")
    fields = _decoded({"EndUser": end_user, **subscription}, SUBSCRIPTION)
    _only(fields, set(SUBSCRIPTION.field_names) - {"AvangateCustomerReference", "ExternalCustomerReference"})
    checked = validated_subscription(fields)
    reference = fields.get("SubscriptionReference")
    if reference is not None:
        check_text("SubscriptionReference", reference, MAX_REFERENCE)
        if not reference.strip():
            raise _Invalid("SubscriptionReference must not be empty")
    record: NewSubscription = {
        **checked,
        "SubscriptionReference": reference or service.context.references.subscription_reference(),
    }
    try:
        service.store.insert_subscription(merchant_id, customer_reference, record)
    except DuplicateKey as duplicate:
        what: Literal["ExternalSubscriptionReference", "SubscriptionReference"] = (
            "ExternalSubscriptionReference" if duplicate.external else "SubscriptionReference"
        )
        raise _Invalid(f"{what} {record[what]!r} is taken by another subscription") from None


def _decoded(value: dict[str, Any], wire_type: WireType) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], json_codec.decode(value, wire_type))  # a Struct decodes to a dict
    except DecodeError as error:
        raise _Invalid(str(error)) from None


def _only(record: Mapping[str, object], allowed: set[str]) -> None:
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise _Invalid(f"{unknown[0][:60]!r} cannot be set by a fixture")


def read_fixture_file(path: str) -> dict[str, Any]:
    """A fixture file for ``serve --fixtures``."""
    with open(path, "rb") as file:
        text = file.read(MAX_FIXTURE_BYTES + 1)
    if len(text) > MAX_FIXTURE_BYTES:
        raise ApiError("INVALID_FIXTURE", location=path, reason=f"larger than {MAX_FIXTURE_BYTES} bytes")
    return parse_fixtures(text)
