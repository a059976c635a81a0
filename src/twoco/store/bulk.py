"""Bulk data: ``twoco populate`` fills a store with valid customers and subscriptions, fast.

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
from twoco.store import SqlStore
from twoco.store.customers import CUSTOMER_COLUMNS, END_USER_COLUMNS
from twoco.store.subscriptions import PRODUCT_COLUMNS, SUBSCRIPTION_COLUMNS

BATCH = 10_000
_FIRST = ["Ada", "Alan", "Grace", "Linus", "Marie", "Niklaus", "Barbara", "Edsger", "Frances", "Ken"]
_LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Curie", "Wirth", "Liskov", "Dijkstra", "Allen", "Thompson"]
_COUNTRIES = sorted(COUNTRY_CODES)


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


def populate(
    store: SqlStore,
    merchant_id: int,
    customers: int,
    subscriptions_per_customer: int,
    rng: random.Random | None = None,
    out: TextIO = sys.stderr,
) -> tuple[int, int]:
    """Insert the customers and their subscriptions; returns how many of each."""
    rng = rng or random.Random()
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
            _subscription_row(merchant_id, row, next(subscription_references), rng)
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


def _taken(store: SqlStore, table: str) -> set[int]:
    """The references a table holds already, as numbers (subscription references are hex)."""
    with store.transaction(write=False) as cursor:
        rows = cursor.execute(f"SELECT reference FROM {table}").fetchall()
    base = 10 if table == "customers" else 16
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
    merchant_id: int, customer: tuple[object, ...], reference: str, rng: random.Random
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
    product = ("SEED-PRODUCT", 1, "Seeded product", "1.0", 1, "null")
    end_user = tuple(person[name] for name in END_USER_COLUMNS)
    subscription = (values.get(name) for name in SUBSCRIPTION_COLUMNS)  # the optional rest: NULL
    return (merchant_id, person["AvangateCustomerReference"], *subscription, *product, *end_user)
