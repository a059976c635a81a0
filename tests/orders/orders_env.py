"""What the order tests share: orders of catalogue and dynamic items as 2Checkout's samples send
them, merchant settings, and snapshots of the store's tables (a refused call changes none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.data import dynamic_order, product_data
from tests.data import test_payment as card_payment  # not test_*: pytest would collect it
from tests.service_env import CODE_A, CODE_B, SECRET_A, SECRET_B, Env, Session

__all__ = ["BILLING", "card_payment", "catalogue_order", "dynamic_item", "dynamic_order", "product_data"]

BILLING = {
    "FirstName": "John",
    "LastName": "Doe",
    "Email": "john.doe@example.com",
    "CountryCode": "RO",
    "City": "Bucharest",
    "Address1": "1 Calea Victoriei",
    "Zip": "010001",
}
TABLES = ("orders", "customers", "subscriptions", "products", "change_history")


def catalogue_order(*items: dict[str, Any], currency: str = "EUR", **overrides: object) -> dict[str, object]:
    """A TEST order of catalogue items ({"Code", "Quantity", ...}), paid in ``currency``."""
    payment = card_payment()
    payment["Currency"] = currency
    order: dict[str, object] = {
        "Currency": currency,
        "Language": "en",
        "Country": "ro",
        "CustomerIP": "91.220.121.21",
        "BillingDetails": dict(BILLING),
        "Items": list(items),
        "PaymentDetails": payment,
    }
    order.update(overrides)
    return order


def dynamic_item(**overrides: object) -> dict[str, object]:
    """A one-off dynamic item (no RecurringOptions: a lifetime licence) of 10.00."""
    item: dict[str, object] = {
        "Name": "Add-on",
        "Description": "One-off",
        "Quantity": 1,
        "IsDynamic": True,
        "Tangible": False,
        "PurchaseType": "PRODUCT",
        "Price": {"Amount": 10, "Type": "CUSTOM"},
    }
    item.update(overrides)
    return item


def add_product(session: Session, code: str, **overrides: object) -> None:
    assert session("addProduct", product_data(code, **overrides)) is True


def settle(env: Env, completion: str, **more: object) -> None:
    """Merchant A's orders complete ``completion`` (immediate, time with a delay, manual)."""
    settings = env.store.merchant_settings(env.a.merchant_id)
    env.store.set_merchant_settings(env.a.merchant_id, {**settings, "orders": {"completion": completion, **more}})


def snapshot(env: Env) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an order writes or reads."""
    return {table: sorted(env.rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def session_now(env: Env, version: str = "6.0", merchant: str = "A") -> Session:
    """A merchant logged in now on the sandbox clock (a session lasts 10 minutes: tests that move
    the clock further log in again)."""
    code, secret, owner = (CODE_A, SECRET_A, env.a) if merchant == "A" else (CODE_B, SECRET_B, env.b)
    date = datetime.fromtimestamp(env.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S")
    session_id = env.login(code, secret, date, algo="sha256", version=version)
    return Session(env.service, session_id, owner.merchant_id, version)
