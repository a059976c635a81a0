"""Bulk data: ``twoco populate`` fills a store with valid products, customers and subscriptions, fast.

Rows are made in batches and written with one multi-row statement per batch (SQLite) or
COPY (PostgreSQL), each batch its own transaction, so a million customers take minutes.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from twoco.core.iso_codes import COUNTRY_CODES
from twoco.domains.products.records import ProductFields
from twoco.domains.products.rules import GENERAL_GROUP, validated_product
from twoco.store import SqlStore
from twoco.store.customers import CUSTOMER_COLUMNS, END_USER_COLUMNS
from twoco.store.products import PRODUCT_INSERT, catalogue_values
from twoco.store.subscriptions import PRODUCT_COLUMNS, SUBSCRIPTION_COLUMNS

BATCH = 10_000
_FIRST = ["Ada", "Alan", "Grace", "Linus", "Marie", "Niklaus", "Barbara", "Edsger", "Frances", "Ken"]
_LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Curie", "Wirth", "Liskov", "Dijkstra", "Allen", "Thompson"]
_COUNTRIES = sorted(COUNTRY_CODES)
_PRODUCTS = ["Analytical Engine", "Difference Engine", "Compiler", "Kernel", "Debugger", "Spreadsheet", "Editor"]


@dataclass
class Progress:
    """A progress line on a terminal; a line every tenth of the way elsewhere."""

    label: str
    total: int
    out: TextIO = sys.stderr
    done: int = 0

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.next_tenth = 1

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        line = f"{self.label}: {self.done:,}/{self.total:,} ({100 * self.done // max(self.total, 1)}%, {rate:,.0f}/s)"
        if self.out.isatty():
            self.out.write(f"\r{line}" + ("\n" if self.done >= self.total else ""))
        elif self.done * 10 >= self.next_tenth * self.total:
            self.out.write(line + "\n")
            self.next_tenth = self.done * 10 // max(self.total, 1) + 1
        self.out.flush()


def populate_products(store: SqlStore, merchant_id: int, count: int, rng: random.Random | None = None) -> int:
    """Insert ``count`` products, made by addProduct's rules; returns how many."""
    rng = rng or random.Random()
    # AvangateIds are unique across merchants; codes (SEED-<id>) follow from them, so they are new too.
    ids = sorted(_fresh(rng, range(1_000_000, 10_000_000), count, _taken(store, "products", "avangate_id")))
    for start in range(0, count, BATCH):
        rows = [
            (avangate_id, merchant_id, *catalogue_values(_product(avangate_id, rng)))
            for avangate_id in ids[start : start + BATCH]
        ]
        with store.transaction():
            store.dialect.bulk_insert("products", PRODUCT_INSERT, rows)
    store.dialect.refresh_statistics(("products",))
    return count


def _product(avangate_id: int, rng: random.Random) -> ProductFields:
    """A monthly subscription product (most of them) or a one-time one, priced in USD."""
    monthly = rng.random() < 0.8
    price = [{"Amount": rng.choice([4.99, 9.99, 19.99, 49.0, 99.0]), "Currency": "USD"}]
    product = {
        "ProductCode": f"SEED-{avangate_id}",
        "ProductName": f"{rng.choice(_PRODUCTS)} {avangate_id}",
        "ProductVersion": "1.0",
        "GeneratesSubscription": monthly,
        "PricingConfigurations": [{"Prices": {"Regular": price, "Renewal": price if monthly else []}}],
    }
    return validated_product(product, GENERAL_GROUP, lambda: f"{rng.randrange(16**10):010X}")


def populate(
    store: SqlStore,
    merchant_id: int,
    customers: int,
    subscriptions_per_customer: int,
    rng: random.Random | None = None,
    out: TextIO = sys.stderr,
) -> tuple[int, int]:
    """Insert the customers and their subscriptions, of the merchant's products if it has any;
    returns how many of each."""
    rng = rng or random.Random()
    found, _ = store.search_products(merchant_id, {}, None)
    catalogue = [(p["ProductCode"], p["AvangateId"], p["ProductName"], p["ProductVersion"]) for p in found]
    # Random references, inserted in ascending order: every index grows at its end, which is fast.
    references = sorted(_fresh(rng, range(100_000_000, 1_000_000_000), customers, _taken(store, "customers")))
    subscription_count = customers * subscriptions_per_customer
    subscription_references = iter(
        f"{value:010X}"
        for value in sorted(_fresh(rng, range(16**10), subscription_count, _taken(store, "subscriptions")))
    )
    progress = Progress("customers", customers, out)
    for start in range(0, customers, BATCH):
        batch = references[start : start + BATCH]
        customer_rows = [_customer_row(merchant_id, reference, rng) for reference in batch]
        subscription_rows = [
            _subscription_row(merchant_id, row, next(subscription_references), rng, catalogue)
            for row in customer_rows
            for _ in range(subscriptions_per_customer)
        ]
        with store.transaction():
            store.dialect.bulk_insert("customers", _CUSTOMER_INSERT, customer_rows)
            if subscription_rows:
                store.dialect.bulk_insert("subscriptions", _SUBSCRIPTION_INSERT, subscription_rows)
        progress.advance(len(batch))
    store.dialect.refresh_statistics(("customers", "subscriptions"))
    return customers, customers * subscriptions_per_customer


def _taken(store: SqlStore, table: str, column: str = "reference") -> set[int]:
    """The references (or ids) a table holds already, as numbers (subscription references are hex)."""
    with store.transaction(write=False) as cursor:
        rows = cursor.execute(f"SELECT {column} FROM {table}").fetchall()
    base = 16 if table == "subscriptions" else 10
    numbers = (_number(str(row[0]), base) for row in rows)
    return {number for number in numbers if number is not None}


def _number(text: str, base: int) -> int | None:
    try:
        return int(text, base)
    except ValueError:
        return None


def _fresh(rng: random.Random, population: range, count: int, taken: set[int]) -> list[int]:
    """``count`` distinct random values from ``population`` that are not ``taken``."""
    return [value for value in rng.sample(population, count + len(taken)) if value not in taken][:count]


_CUSTOMER_INSERT = ("merchant_id", *CUSTOMER_COLUMNS.values())
_SUBSCRIPTION_INSERT = (
    "merchant_id",
    "customer_reference",
    *SUBSCRIPTION_COLUMNS.values(),
    *PRODUCT_COLUMNS.values(),
    *END_USER_COLUMNS.values(),
)


def _customer_row(merchant_id: int, reference: int, rng: random.Random) -> tuple[object, ...]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    values = {
        "AvangateCustomerReference": reference,
        "ExternalCustomerReference": f"SEED-{reference}",
        "FirstName": first,
        "LastName": last,
        "Company": None,
        "FiscalCode": None,
        "Address1": f"{rng.randint(1, 999)} Example Street",
        "Address2": None,
        "City": "Springfield",
        "State": None,
        "Zip": f"{rng.randint(10000, 99999)}",
        "CountryCode": rng.choice(_COUNTRIES),
        "Phone": None,
        "Fax": None,
        "Email": f"{first.lower()}.{last.lower()}.{reference}@example.com",
        "Language": "en",
    }
    return (merchant_id, *(values[name] for name in CUSTOMER_COLUMNS))


def _subscription_row(
    merchant_id: int,
    customer: tuple[object, ...],
    reference: str,
    rng: random.Random,
    catalogue: list[tuple[str, int, str, str]],
) -> tuple[object, ...]:
    person = dict(zip(CUSTOMER_COLUMNS, customer[1:]))
    start_year = rng.randint(2020, 2026)
    values = {
        "SubscriptionReference": reference,
        "StartDate": f"{start_year}-01-01",
        "ExpirationDate": f"{start_year + rng.randint(1, 5)}-01-01",
        "RecurringEnabled": True,
        "SubscriptionEnabled": True,
        "SKU": None,
        "ReceiveNotifications": True,
        "Lifetime": False,
        "PartnerCode": None,
        "TestSubscription": False,
        "IsTrial": rng.random() < 0.1,
        "ExternalSubscriptionReference": f"SEED-{reference}",
    }
    code, avangate_id, name, version = (
        rng.choice(catalogue) if catalogue else ("SEED-PRODUCT", 1, "Seeded product", "1.0")
    )
    product = (code, avangate_id, name, version, 1, "null")
    end_user = tuple(person[name] for name in END_USER_COLUMNS)
    subscription = (values.get(name) for name in SUBSCRIPTION_COLUMNS)  # the optional rest: NULL
    return (merchant_id, person["AvangateCustomerReference"], *subscription, *product, *end_user)
