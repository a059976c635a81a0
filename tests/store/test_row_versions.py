"""PostgreSQL: an update without the end-user push reads the customer, then changes it only if
no other call changed the row in between (its xmin), in two round trips; a call that lost that
race makes its change again under the row's lock, on the row as the other call left it
(issue 14, item 4). SQLite has one writer at a time: it keeps the one locked transaction."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.clients import now_utc
from tests.clocks import FixedClock
from tests.data import customer_data
from tests.servers import POSTGRES_ONLY, new_store_url
from twoco.core.auth import login_hash
from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.ids import ReferenceGenerator
from twoco.core.registry import Caller
from twoco.core.service import Service
from twoco.core.settings import Settings
from twoco.domains.customers import operations as customers
from twoco.protocols.rest import RestAdapter
from twoco.store import open_store
from twoco.store.sql import SqlStore

pytestmark = pytest.mark.parametrize("store_kind", POSTGRES_ONLY)


@pytest.fixture
def store(store_kind: str, tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(new_store_url(store_kind, tmp_path))
    store.migrate()
    store.add_merchant("ROWS", "rows-secret", "2026-01-01T00:00:00+00:00")
    yield store
    store.close()


def _service(store: SqlStore) -> tuple[Service, Caller]:
    service = Service(store, FixedClock(time.time()), ReferenceGenerator(seed=7), Settings())
    merchant = store.merchant("ROWS")
    assert merchant is not None
    return service, Caller("6.0", "soap", merchant.id, operation="updateCustomerInformation")


def _round_trips(store: SqlStore, tmp_path: Path, call) -> int:
    """How many times the server said it was ready for the next query during ``call``: its
    round trips, as libpq's own protocol trace of this thread's connection shows them."""
    trace = tmp_path / f"trace-{time.monotonic_ns()}.txt"
    connection = store.dialect._connection()
    with trace.open("w") as sink:
        connection.pgconn.trace(sink.fileno())
        try:
            call()
        finally:
            connection.pgconn.untrace()
    messages = [line.split("\t")[1:4] for line in trace.read_text().splitlines()]  # time, sender, length, type
    return sum(sender == "B" and kind == "ReadyForQuery" for sender, _, kind in messages)


def _race(store: SqlStore, merchant_id: int, held: int, call: Callable[[], None], meanwhile: str, changed: int) -> None:
    """Run ``call`` on a thread while another connection holds customer ``held``'s row (without
    changing it); once the call waits for that row, the other connection runs ``meanwhile`` on
    customer ``changed`` and commits."""
    with psycopg.connect(store.url) as other:
        row = "WHERE merchant_id = %s AND reference = %s"
        other.execute(f"SELECT 1 FROM customers {row} FOR UPDATE", (merchant_id, held))
        racer = threading.Thread(target=call)
        racer.start()
        _wait_for_lock_wait(store.url)  # its read is done; its conditional change waits for the row
        other.execute(f"{meanwhile} {row}", (merchant_id, changed))
        other.commit()
    racer.join(timeout=30)
    assert not racer.is_alive()


def _wait_for_lock_wait(url: str) -> None:
    """Until some connection waits for a row lock (asked outside a transaction: one would see
    pg_stat_activity as it was at its start)."""
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(500):
            if watcher.execute("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone():
                return
            time.sleep(0.01)
    raise AssertionError("no call came to wait for the row lock")


def test_an_update_takes_two_round_trips(store: SqlStore, tmp_path: Path) -> None:
    service, caller = _service(store)
    reference = customers.create_customer(service.context, caller, customer_data())
    before = len(store.customer_history(caller.merchant_id, reference))

    def update() -> None:
        assert customers.update_customer(
            service.context, caller, {"AvangateCustomerReference": reference, "City": "Oslo"}, False
        )

    assert _round_trips(store, tmp_path, update) == 2
    assert store.customer(caller.merchant_id, reference)["City"] == "Oslo"
    entries = store.customer_history(caller.merchant_id, reference)
    assert len(entries) == before + 1
    assert entries[-1]["operation"] == "updateCustomerInformation"
    assert entries[-1]["changes"] == [{"field": "City", "old": "London", "new": "Oslo"}]

    # The push locks the customer, then its subscriptions: it keeps the transaction.
    def push() -> None:
        assert customers.update_customer(
            service.context, caller, {"AvangateCustomerReference": reference, "City": "Rome"}, True
        )

    assert _round_trips(store, tmp_path, push) > 2
    assert store.customer(caller.merchant_id, reference)["City"] == "Rome"


def test_a_rest_update_takes_three_round_trips(store: SqlStore, tmp_path: Path) -> None:
    """REST authenticates each request: the merchant, remembered for a second, costs no round
    trip after the first; then the path's customer is resolved, read and changed."""
    service, caller = _service(store)
    reference = customers.create_customer(service.context, caller, customer_data())
    rest = RestAdapter(service, "6.0")

    def put(city: str) -> None:
        date = now_utc()
        header = f'code="ROWS" date="{date}" hash="{login_hash("rows-secret", "ROWS", date, "sha256")}" algo="sha256"'
        body = json.dumps({"City": city}).encode()
        headers = {"x-avangate-authentication": header, "content-type": "application/json"}
        answer = rest.handle("PUT", f"customers/{reference}/", "", headers, body, Exchange())
        assert answer.status == 200, answer.body

    assert _round_trips(store, tmp_path, lambda: put("Oslo")) == 4  # the merchant read, then three
    assert _round_trips(store, tmp_path, lambda: put("Rome")) == 3
    assert store.customer(caller.merchant_id, reference)["City"] == "Rome"


def test_an_update_that_lost_the_race_is_made_on_the_row_as_the_other_left_it(store: SqlStore, tmp_path: Path) -> None:
    service, caller = _service(store)
    credit = {"Limit": 100.0, "Remaining": 100.0, "Currency": "EUR"}
    reference = customers.create_customer(service.context, caller, customer_data(Credit=credit))
    results: list[object] = []

    def update_remaining() -> None:
        # Its Credit is merged with the stored one: made on a stale read, it would undo the new Limit.
        change = {"AvangateCustomerReference": reference, "Credit": {"Remaining": 5.0}}
        results.append(
            _round_trips(store, tmp_path, lambda: customers.update_customer(service.context, caller, change, False))
        )

    _race(store, caller.merchant_id, reference, update_remaining, "UPDATE customers SET credit_limit = 200", reference)

    assert store.customer(caller.merchant_id, reference)["Credit"] == {
        "Limit": 200.0,
        "Remaining": 5.0,
        "Currency": "EUR",
    }
    assert results[0] > 2  # the two of the lost race, then the locked transaction's
    entry = store.customer_history(caller.merchant_id, reference)[-1]
    assert entry["changes"] == [{"field": "Credit.Remaining", "old": 100.0, "new": 5.0}]


def test_an_external_reference_taken_meanwhile_is_refused_and_changes_nothing(store: SqlStore) -> None:
    service, caller = _service(store)
    target = customers.create_customer(service.context, caller, customer_data(FirstName="Target"))
    rival = customers.create_customer(service.context, caller, customer_data(FirstName="Rival"))
    history_before = len(store.customer_history(caller.merchant_id, target))
    failures: list[ApiError] = []

    def claim() -> None:
        change = {"AvangateCustomerReference": target, "ExternalCustomerReference": "EXT-RACE", "City": "Oslo"}
        try:
            customers.update_customer(service.context, caller, change, False)
        except ApiError as error:
            failures.append(error)

    _race(store, caller.merchant_id, target, claim, "UPDATE customers SET external_reference = 'EXT-RACE'", rival)

    assert [error.code for error in failures] == ["DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE"]
    unchanged = store.customer(caller.merchant_id, target)
    assert (unchanged["ExternalCustomerReference"], unchanged["City"]) == (None, "London")
    assert len(store.customer_history(caller.merchant_id, target)) == history_before
