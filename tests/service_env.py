"""The environment of the service's unit tests (tests/customers, tests/subscriptions, tests/sessions,
tests/core): twoco.core.service without any server or wire format.

The ``env`` fixture (registered by tests/conftest.py) builds a Service over a fresh store of each
kind with two merchants (A and B), both logged in, a clock standing still at 2026-06-01 12:00:00
UTC and a seeded reference generator. Below it, valid records and the calls the tests share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.clocks import FixedClock
from tests.servers import new_store_url
from twoco.core import auth
from twoco.core.errors import ApiError
from twoco.core.ids import ReferenceGenerator
from twoco.core.registry import Caller, LoginCaller
from twoco.core.service import Service
from twoco.core.settings import Settings
from twoco.domains import LISTENERS, REGISTRY
from twoco.store import SqlStore, open_store

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()
LOGIN_DATE = "2026-06-01 12:00:00"
TODAY = "2026-06-01"
CODE_A, SECRET_A = "MERCHA", "secret-of-a"
CODE_B, SECRET_B = "MERCHB", "secret-of-b"
MISSING_CUSTOMER = 123456789  # a 9-digit reference no test customer gets (checked where used)


# --- the environment ------------------------------------------------------------------


class Session:
    """A logged-in merchant: calls operations the way an adapter does, through Service.call."""

    def __init__(self, service: Service, session_id: str, merchant_id: int, version: str = "4.0") -> None:
        self.service = service
        self.id = session_id
        self.merchant_id = merchant_id
        self.version = version

    def __call__(self, operation: str, *args: object) -> Any:
        return self.service.call(REGISTRY.lookup(self.version, operation), [self.id, *args], "test", self.version)

    @property
    def caller(self) -> Caller:
        return Caller(self.version, "test", self.merchant_id)


@dataclass
class Env:
    service: Service
    store: SqlStore
    clock: FixedClock
    a: Session
    b: Session

    def login(
        self, code: str, secret: str, date: str = LOGIN_DATE, algo: str | None = None, version: str = "4.0"
    ) -> str:
        digest = auth.login_hash(secret, code, date, algo or "md5")
        return self.service.sessions.login(LoginCaller(version, "test"), code, date, digest, algo)

    def a_at(self, version: str) -> Session:
        """Merchant A, logged in on API ``version`` (searchProducts pages from 5.0)."""
        session_id = self.login(CODE_A, SECRET_A, algo="sha256", version=version)
        return Session(self.service, session_id, self.a.merchant_id, version)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a raw query, straight from the database."""
        with self.store.transaction(write=False) as cursor:
            return [tuple(row) for row in cursor.execute(sql).fetchall()]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the customer and subscription tables."""
        return {
            table: self.rows(f"SELECT * FROM {table} ORDER BY reference") for table in ("customers", "subscriptions")
        }


@pytest.fixture
def env(tmp_path: Path, store_kind: str) -> Iterator[Env]:
    store = open_store(new_store_url(store_kind, tmp_path))
    store.migrate()
    store.add_merchant(CODE_A, SECRET_A, "2026-01-01T00:00:00+00:00")
    store.add_merchant(CODE_B, SECRET_B, "2026-01-01T00:00:00+00:00")
    clock = FixedClock(NOW)
    service = Service(store, clock, ReferenceGenerator(seed=1), Settings(), LISTENERS)  # the outbox too
    environment = Env(service, store, clock, None, None)  # type: ignore[arg-type]
    environment.a = Session(service, environment.login(CODE_A, SECRET_A), store.merchant(CODE_A).id)
    environment.b = Session(service, environment.login(CODE_B, SECRET_B), store.merchant(CODE_B).id)
    yield environment
    store.close()


def error_of(call, *args: object, **kwargs: object) -> ApiError:
    """The ApiError that call(*args, **kwargs) raises (and fails the test if it raises none)."""
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- valid objects --------------------------------------------------------------------


def customer(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical Engines Ltd",
        "Address1": "12 St James's Square",
        "City": "London",
        "Zip": "SW1Y 4JH",
        "CountryCode": "gb",
        "Phone": "+44 20 7946 0000",
        "Email": "ada@example.com",
        "Language": "en",
    }
    record.update(overrides)
    return record


def without(record: dict[str, object], name: str) -> dict[str, object]:
    return {key: value for key, value in record.items() if key != name}


def end_user(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "FirstName": "Charles",
        "LastName": "Babbage",
        "Email": "charles@example.org",
        "Company": "Difference Engines",
        "Phone": "+44 1",
        "Fax": "+44 2",
        "Address1": "1 Dorset Street",
        "Address2": "Marylebone",
        "Zip": "W1U 4EG",
        "City": "London",
        "State": "Greater London",
        "CountryCode": "gb",
        "Language": "en",
    }
    record.update(overrides)
    return record


_subscription_numbers = iter(range(1, 1_000_000))


def subscription(
    customer_reference: int | None = None, external_customer: str | None = None, **overrides: object
) -> dict[str, object]:
    record: dict[str, object] = {
        "ExternalSubscriptionReference": f"EXT-SUB-{next(_subscription_numbers)}",
        "StartDate": "2026-01-01",
        "ExpirationDate": "2027-01-01",
        "Product": {"ProductCode": "PROD-1", "ProductName": "Engine", "ProductVersion": "1.0"},
        "EndUser": end_user(),
        "AvangateCustomerReference": customer_reference,
        "ExternalCustomerReference": external_customer,
    }
    record.update(overrides)
    return record


def new_customer(session: Session, **overrides: object) -> int:
    return session("createCustomer", customer(**overrides))


def get_customer(session: Session, reference: int) -> dict[str, object]:
    return session("getCustomerInformation", reference, None)


def update(session: Session, reference: int, *push: object, **changes: object) -> bool:
    """updateCustomerInformation naming the customer by its AvangateCustomerReference."""
    return session("updateCustomerInformation", {"AvangateCustomerReference": reference, **changes}, *push)
