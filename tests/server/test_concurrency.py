"""Calls that change a customer and its subscriptions at once, from many clients: none fails.

On PostgreSQL a move, an EndUser update and the end-user push lock rows of both tables; taken
in different orders they deadlocked, and a locking read joined to the old owner lost a
subscription that had just moved (issue 12, item 1). SQLite serialises writers: the same
mix must pass there too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi
from tests.clocks import FixedClock
from tests.data import customer_data, subscription_data
from tests.servers import (
    POSTGRES_ONLY,
    Merchant,
    new_store_url,
    start_server,
    stop_server,
    store_with_merchants,
)
from twoco.core.ids import ReferenceGenerator
from twoco.core.outage import StoreBusy
from twoco.core.registry import Caller
from twoco.core.service import Service
from twoco.core.settings import Settings
from twoco.domains.customers import operations as customers
from twoco.store import open_store

pytestmark = pytest.mark.slow  # many clients at once, in real time

SECONDS = 20  # each client's loop stops then (and after at most CALLS calls)
CALLS = 2000


@pytest.fixture
def mix_server(store_kind, tmp_path) -> Iterator[tuple[object, Merchant]]:
    url = new_store_url(store_kind, tmp_path)
    merchant = Merchant("MIX", "mix-secret")
    store_with_merchants(url, {merchant.code: merchant.secret})
    server = start_server(tmp_path, url, "--login-throttle", "off")
    yield server, merchant
    stop_server(server)


def test_moves_end_user_updates_and_pushes_together_never_fail(mix_server) -> None:
    server, merchant = mix_server

    def api() -> JsonRpcApi:
        return JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")

    setup = api()
    customers = [setup.call("createCustomer", customer_data(FirstName=name)) for name in ("A", "B")]
    subscriptions = [setup.call("addSubscription", subscription_data(customers[i % 2], f"MIX-{i}")) for i in range(6)]
    # Each mover alone moves its own two subscriptions, so it knows where each one ends.
    owners = {reference: customers[i % 2] for i, reference in enumerate(subscriptions)}
    errors: list[str] = []
    counts: dict[str, int] = {}
    deadline = time.monotonic() + SECONDS

    def loop(name: str, step) -> None:
        client = api()
        done = 0
        try:
            while done < CALLS and time.monotonic() < deadline:
                try:
                    step(client, done)
                except Fault as fault:
                    errors.append(f"{name}: {fault}")
                done += 1
        finally:
            counts[name] = done
            client.close()

    def push(customer: int):
        return lambda client, n: client.call(
            "updateCustomerInformation", {"AvangateCustomerReference": customer, "FirstName": f"Push{n}"}, True
        )

    def end_user(offset: int):
        return lambda client, n: client.call(
            "updateSubscriptionEndUser", subscriptions[(n + offset) % 6], {"FirstName": f"EndUser{n}"}
        )

    def mover(mine: list[str]):
        def step(client: JsonRpcApi, n: int) -> None:
            reference = mine[n % 2]
            target = customers[1] if owners[reference] == customers[0] else customers[0]
            if n % 4 < 2:
                client.call("setSubscriptionCustomer", reference, target, None)
            else:  # updateSubscription moves too when the references name another customer
                client.call(
                    "updateSubscription", {"SubscriptionReference": reference, "AvangateCustomerReference": target}
                )
            owners[reference] = target

        return step

    steps = {f"push-{i}": push(customer) for i, customer in enumerate(customers)}
    steps.update({f"end-user-{i}": end_user(i) for i in range(4)})
    steps.update({f"mover-{i}": mover(subscriptions[2 * i : 2 * i + 2]) for i in range(3)})
    threads = [threading.Thread(target=loop, args=item) for item in steps.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [], f"{len(errors)} of {sum(counts.values())} calls failed: {errors[:5]}"
    assert all(counts[name] > 0 for name in steps), counts
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    # Every subscription exists, under exactly one owner: the target of its last move.
    held = {
        customer: {found["SubscriptionReference"] for found in setup.call("getCustomerSubscriptions", customer, None)}
        for customer in customers
    }
    assert held[customers[0]] | held[customers[1]] == set(subscriptions) and not held[customers[0]] & held[customers[1]]
    for reference, owner in owners.items():
        assert reference in held[owner]
        assert setup.call("getSubscription", reference)["AvangateCustomerReference"] == owner
    # The change history, replayed in order from the first state, ends in the state the API reports.
    first = {customer: name for customer, name in zip(customers, ("A", "B"))}
    store = open_store(server.db_url)
    replayed = replay(
        store, store.merchant(merchant.code).id, first, {s: customers[i % 2] for i, s in enumerate(subscriptions)}
    )
    store.close()
    assert replayed == {
        "customers": {c: setup.call("getCustomerInformation", c, None)["FirstName"] for c in customers},
        "owners": owners,
        "end_users": {s: setup.call("getSubscription", s)["EndUser"]["FirstName"] for s in subscriptions},
    }
    setup.close()


def test_imports_naming_one_new_customer_at_once_all_land_on_it(mix_server) -> None:
    server, merchant = mix_server
    clients = [JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0") for _ in range(6)]
    try:
        for round_ in range(15):
            external = f"IMPORTED-{round_}"
            made: list[object] = []

            def add(
                client: JsonRpcApi, n: int, round_: int = round_, external: str = external, made: list[object] = made
            ) -> None:
                subscription = subscription_data(0, f"IMP-{round_}-{n}")
                del subscription["AvangateCustomerReference"]
                subscription["ExternalCustomerReference"] = external  # new: the import creates it
                try:
                    made.append(client.call("addSubscription", subscription))
                except Fault as fault:
                    made.append(fault)

            threads = [threading.Thread(target=add, args=(client, n)) for n, client in enumerate(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert all(isinstance(reference, str) for reference in made), made
            owners = {clients[0].call("getSubscription", reference)["AvangateCustomerReference"] for reference in made}
            assert len(owners) == 1, owners
            (owner,) = owners
            assert clients[0].call("getCustomerInformation", owner, None)["ExternalCustomerReference"] == external
    finally:
        for client in clients:
            client.close()


def replay(store, merchant_id: int, customers: dict[int, str], owners: dict[str, int]) -> dict[str, dict]:
    """The customers' FirstName, the subscriptions' owners and EndUser FirstName after every change in
    the history of ``customers``, applied in the order it was written. A push must have changed as many
    end users as the subscriptions the customer held then whose FirstName differed."""
    end_users = {reference: "End" for reference in owners}
    entries = {entry["id"]: entry for customer in customers for entry in store.customer_history(merchant_id, customer)}
    for _, entry in sorted(entries.items()):
        for change in entry["changes"]:
            field, new, subscription = change["field"], change["new"], entry["subscription"]
            if field == "AvangateCustomerReference" and subscription:  # a move, noted for both owners
                assert owners[subscription] in (change["old"], new), entry
                owners[subscription] = new
            elif field == "FirstName":
                customers[entry["customer"]] = new
            elif field == "EndUser.FirstName" and subscription:
                assert owners[subscription] == entry["customer"], entry  # noted under its owner of the time
                end_users[subscription] = new
            elif field == "EndUser.FirstName":  # the push to every subscription the customer holds
                pushed = [s for s, owner in owners.items() if owner == entry["customer"] and end_users[s] != new]
                assert change["subscriptions"] == len(pushed), (entry, pushed)
                end_users.update(dict.fromkeys(pushed, new))
    return {"customers": customers, "owners": owners, "end_users": end_users}


# PostgreSQL only: SQLite writers take the whole database first, so none can deadlock.
@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_call_the_database_ends_over_a_deadlock_runs_again(store_kind, tmp_path, monkeypatch) -> None:
    from psycopg import errors as pg

    store = open_store(new_store_url(store_kind, tmp_path))
    store.migrate()
    store.add_merchant("RETRY", "retry-secret", "2026-01-01T00:00:00+00:00")
    service = Service(store, FixedClock(time.time()), ReferenceGenerator(seed=1), Settings())
    caller = Caller("6.0", "test", store.merchant("RETRY").id)
    reference = customers.create_customer(service.context, caller, customer_data())
    real_update, failures = store.update_customer, []

    def update_after_deadlocks(*args: object) -> None:
        if len(failures) < deadlocks:
            failures.append(1)
            raise pg.DeadlockDetected("deadlock detected")
        real_update(*args)

    monkeypatch.setattr(store, "update_customer", update_after_deadlocks)
    deadlocks = 4  # the 5th run succeeds
    # With the end-user push: an update that locks rows (one without takes none: it cannot deadlock).
    assert customers.update_customer(
        service.context, caller, {"AvangateCustomerReference": reference, "City": "Oslo"}, True
    )
    assert store.customer(caller.merchant_id, reference)["City"] == "Oslo"
    failures.clear()
    deadlocks = 5  # no 6th run: the caller hears the store was busy, retryable
    with pytest.raises(StoreBusy):
        customers.update_customer(
            service.context, caller, {"AvangateCustomerReference": reference, "City": "Rome"}, True
        )
    assert store.customer(caller.merchant_id, reference)["City"] == "Oslo"
    store.close()
