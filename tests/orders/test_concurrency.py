"""Orders under concurrency and faults, against a real ``twoco serve`` process with real clients
(JSON-RPC and REST 6.0), on SQLite and PostgreSQL.

- Concurrent placeOrder calls naming one new ExternalCustomerReference make one customer, every
  order complete and attached to it, one subscription per order: whether the orders complete at
  once or on the server's background completion.
- An order due completes once, however many calls meet it at once (getOrder, issueRefund,
  searchOrders, the background completion): one customer, one subscription.
- Concurrent refunds never refund more than the order's GrossPrice; every acknowledged refund is
  listed, every refused one was refused for want of what was left.
- A refund, a control-plane complete and a control-plane cancel racing on an AUTHRECEIVED order:
  either the cancel wins (nothing refunded, nothing made) or the completion does (the cancel is
  refused, the subscription made once, refunds within the total).
- A PENDING order waiting for 3-D Secure, approved on its page, paid again and canceled at once:
  paid once or canceled, never both. A shopper answering the page of an order canceled meanwhile
  is sent to the merchant's cancel address.
- kill -9 loses no acknowledged order, nor its subscriptions; an order due when the server died
  completes after the restart, on the background completion alone; a kill while due orders
  complete leaves each whole. Two instances on one store complete each due order once.
- kill -9 loses no acknowledged refund.
- Orders for a customer that other clients update and move subscriptions from never fail.
- A reset of the merchant racing its orders answers, and leaves each order whole or gone (on
  PostgreSQL its DELETEs once let a customer and subscription commit between them).
- Concurrent refused orders change nothing.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients import Fault
from tests.clients.api import Api, JsonRpcApi, RestApi
from tests.data import customer_data, dynamic_order, subscription_data
from tests.data import test_payment as card_payment  # not test_*: pytest would collect it
from tests.servers import Merchant, Server, new_store_url, start_server, stop_server, store_with_merchants
from twoco.store import SqlStore, open_store

pytestmark = pytest.mark.slow  # many clients at once, in real time; servers killed and restarted

_numbers = itertools.count(1)


def _item(amount: float = 100.0) -> dict[str, Any]:
    """dynamic_order()'s item (a monthly subscription) at ``amount``."""
    item = dict(dynamic_order()["Items"][0])  # type: ignore[index]
    item["Price"] = {"Amount": amount, "Type": "CUSTOM"}
    return item


def order_for(external: str | None, amount: float = 100.0, **overrides: object) -> dict[str, Any]:
    """dynamic_order() (one item that makes a subscription), naming ``external`` as its customer."""
    order = dynamic_order(Items=[_item(amount)], PaymentDetails=card_payment())
    order.update(overrides)
    if external is not None:
        order["ExternalCustomerReference"] = external
    return order


class Client:
    """One logged-in client, JSON-RPC or REST 6.0, with the order calls these tests make."""

    def __init__(self, base_url: str, merchant: Merchant, protocol: str) -> None:
        kind = JsonRpcApi if protocol == "jsonrpc" else RestApi
        self.api: Api = kind(base_url, merchant.code, merchant.secret, "6.0")
        self.protocol = protocol

    def place(self, order: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.api, RestApi):
            return self.api.request("POST", "/orders/", body=order)  # type: ignore[return-value]
        return self.api.call("placeOrder", order)  # type: ignore[return-value]

    def get(self, ref_no: str) -> dict[str, Any]:
        if isinstance(self.api, RestApi):
            return self.api.request("GET", f"/orders/{ref_no}/")  # type: ignore[return-value]
        return self.api.call("getOrder", ref_no)  # type: ignore[return-value]

    def search(self) -> object:
        if isinstance(self.api, RestApi):
            return self.api.request("GET", "/orders/", {"IncludeTestOrders": "YES"})
        return self.api.call("searchOrders", {"IncludeTestOrders": "YES"})

    def refund(self, ref_no: str, amount: float, comment: str) -> object:
        if isinstance(self.api, RestApi):
            body = {"amount": amount, "comment": comment, "reason": "Other"}
            return self.api.request("POST", f"/orders/{ref_no}/refund/", body=body)
        return self.api.call("issueRefund", ref_no, amount, None, comment, "Other")

    def subscription(self, reference: str) -> dict[str, Any]:
        return self.api.call("getSubscription", reference)  # type: ignore[return-value]

    def close(self) -> None:
        self.api.close()


@dataclass
class Shop:
    """A server over a store of its own, and the store opened by the tests to check its rows."""

    server: Server
    url: str
    store: SqlStore
    tmp: Path

    def merchant(self, completion: str, delay: float = 0.0) -> Merchant:
        merchant = Merchant(f"CONC{next(_numbers)}{secrets.token_hex(3).upper()}", secrets.token_urlsafe(24))
        self.store.add_merchant(merchant.code, merchant.secret, "2026-01-01T00:00:00+00:00")
        settle(self.server, merchant, completion, delay)
        return merchant

    def clients(self, merchant: Merchant, count: int) -> list[Client]:
        """``count`` clients, JSON-RPC and REST in turn."""
        return [Client(self.server.base_url, merchant, ("jsonrpc", "rest")[n % 2]) for n in range(count)]

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with self.store.transaction(write=False) as cursor:
            return [tuple(row) for row in cursor.execute(sql, params).fetchall()]

    def merchant_id(self, merchant: Merchant) -> int:
        found = self.store.merchant(merchant.code)
        assert found is not None
        return found.id

    def tables(self, merchant: Merchant) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the merchant's orders, customers and subscriptions."""
        owner = self.merchant_id(merchant)
        return {
            table: sorted(self.rows(f"SELECT * FROM {table} WHERE merchant_id = ?", owner), key=repr)
            for table in ("orders", "customers", "subscriptions")
        }


def settle(server: Server, merchant: Merchant, completion: str, delay: float = 0.0) -> None:
    """How the merchant's orders complete, through the control plane."""
    answer = server.request(
        "PUT", f"/_twoco/merchants/{merchant.code}/orders", json={"completion": completion, "delay": delay}
    )
    assert answer.status_code == 200, answer.text


def act(server: Server, merchant: Merchant, ref_no: str, action: str) -> httpx.Response:
    return server.post(f"/_twoco/orders/{merchant.code}/{ref_no}/{action}")


def subscription_references(order: dict[str, Any]) -> list[str]:
    return [
        entry["SubscriptionReference"]
        for item in order["Items"]
        for entry in item["ProductDetails"]["Subscriptions"] or ()
    ]


def at_once(calls: list[Callable[[], object]], delays: list[float] | None = None) -> list[object]:
    """Run the calls together (each in a thread of its own, released by one barrier; ``delays``:
    seconds each waits after it): each one's answer, or the Fault it raised."""
    barrier = threading.Barrier(len(calls))
    waits = iter(delays or [0.0] * len(calls))

    def run(call: Callable[[], object], wait: float) -> object:
        barrier.wait(10)
        time.sleep(wait)
        try:
            return call()
        except Fault as fault:
            return fault

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls, [next(waits) for _ in calls]))


def no_tracebacks(server: Server) -> None:
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def shop(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp(f"orders-concurrency-{store_kind}")
    url = store_with_merchants(new_store_url(store_kind, tmp), {})
    server = start_server(tmp, url, "--login-throttle", "off")
    store = open_store(url)
    yield Shop(server, url, store, tmp)
    store.close()
    stop_server(server)
    no_tracebacks(server)


# --- 1, 2: one new customer, named by many orders at once ----------------------------------------


@pytest.mark.parametrize("count", [2, 8])
def test_orders_naming_one_new_customer_at_once_complete_on_one_customer(shop: Shop, count: int) -> None:
    merchant = shop.merchant("immediate")
    clients = shop.clients(merchant, count)
    try:
        for round_ in range(5):
            external = f"NEW-{count}-{round_}-{secrets.token_hex(3)}"
            placed = at_once([partial(client.place, order_for(external)) for client in clients])
            assert all(isinstance(order, dict) for order in placed), placed
            assert [order["Status"] for order in placed] == ["COMPLETE"] * count  # type: ignore[index]
            check_one_customer(shop, merchant, clients[0], external, placed)  # type: ignore[arg-type]
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize("count", [2, 8])
def test_orders_naming_one_new_customer_complete_on_the_background_completion(shop: Shop, count: int) -> None:
    merchant = shop.merchant("time", 0)
    clients = shop.clients(merchant, count)
    try:
        for round_ in range(3):
            external = f"LATER-{count}-{round_}-{secrets.token_hex(3)}"
            placed = at_once([partial(client.place, order_for(external)) for client in clients])
            assert all(isinstance(order, dict) for order in placed), placed
            assert {order["Status"] for order in placed} <= {"AUTHRECEIVED", "COMPLETE"}  # type: ignore[index]
            refs = [order["RefNo"] for order in placed]  # type: ignore[index]
            # Left to the server's background completion (every 0.25 s): the store shows them
            # COMPLETE without a read completing them.
            wait_for(partial(all_complete, shop, refs), 15, f"orders {refs} completed in the background")
            completed = [clients[0].get(ref) for ref in refs]
            assert [order["Status"] for order in completed] == ["COMPLETE"] * count
            check_one_customer(shop, merchant, clients[0], external, completed)
            by = {entry["by"] for ref in refs for entry in history(shop, ref) if entry["status"] == "COMPLETE"}
            assert by == {"sandbox clock"}, by
    finally:
        for client in clients:
            client.close()


def check_one_customer(shop: Shop, merchant: Merchant, client: Client, external: str, orders: list[dict]) -> None:
    """One customer has ``external``; every order is attached to it and has one subscription of its own,
    the customer's."""
    owner = shop.merchant_id(merchant)
    customers = shop.rows(
        "SELECT reference FROM customers WHERE merchant_id = ? AND external_reference = ?", owner, external
    )
    assert len(customers) == 1, customers
    ((customer,),) = customers
    refs = [int(order["RefNo"]) for order in orders]
    attached = {ref_no: reference for ref_no, reference in shop.rows(
        "SELECT ref_no, customer_reference FROM orders WHERE merchant_id = ?", owner
    ) if ref_no in refs}  # fmt: skip
    assert attached == dict.fromkeys(refs, customer)
    made = [subscription_references(order) for order in orders]
    assert all(len(references) == 1 for references in made), made
    flat = [reference for references in made for reference in references]
    assert len(set(flat)) == len(flat)
    for reference in flat:
        assert client.subscription(reference)["AvangateCustomerReference"] == customer
    held = shop.rows("SELECT reference FROM subscriptions WHERE customer_reference = ?", customer)
    assert sorted(reference for (reference,) in held) == sorted(flat)


def statuses(shop: Shop, refs: list[str]) -> set[str]:
    marks = ", ".join("?" for _ in refs)
    return {status for (status,) in shop.rows(f"SELECT status FROM orders WHERE ref_no IN ({marks})", *map(int, refs))}


def all_complete(shop: Shop, refs: list[str]) -> bool:
    return statuses(shop, refs) == {"COMPLETE"}


def history(shop: Shop, ref_no: str) -> list[dict[str, Any]]:
    ((text,),) = shop.rows("SELECT history FROM orders WHERE ref_no = ?", int(ref_no))
    return json.loads(text)  # type: ignore[no-any-return]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not in {seconds} s: {what}"
        time.sleep(0.05)


# --- an order due, met by many calls at once -------------------------------------------------------


def test_an_order_due_completes_once_whatever_meets_it(shop: Shop) -> None:
    """getOrder, issueRefund and searchOrders each complete a due order they meet, as the
    background completion does: racing, they complete it once (one customer, one subscription)."""
    merchant = shop.merchant("time", 0.3)
    clients = shop.clients(merchant, 8)
    owner = shop.merchant_id(merchant)
    try:
        for round_ in range(4):
            external = f"DUE-{round_}-{secrets.token_hex(3)}"
            order = clients[0].place(order_for(external))
            assert order["Status"] == "AUTHRECEIVED"
            ref_no = order["RefNo"]
            time.sleep(0.3)  # due now, or nearly: the background completion may take it first
            calls: list[Callable[[], object]] = []
            for n, client in enumerate(clients):
                if n % 3 == 0:
                    calls.append(partial(client.get, ref_no))
                elif n % 3 == 1:
                    calls.append(partial(client.refund, ref_no, 10.0, f"part {n}"))
                else:
                    calls.append(client.search)
            answers = at_once(calls)
            for answer in answers:  # a refund before the completion is refused for the order's status
                assert not isinstance(answer, Fault) or answer.code == "REFUND_NOT_ALLOWED", answer
            final = clients[0].get(ref_no)
            assert final["Status"] in ("COMPLETE", "REFUND")
            made = subscription_references(final)
            assert len(made) == 1, final["Items"]
            customers = shop.rows(
                "SELECT reference FROM customers WHERE merchant_id = ? AND external_reference = ?", owner, external
            )
            assert len(customers) == 1
            held = shop.rows("SELECT reference FROM subscriptions WHERE customer_reference = ?", customers[0][0])
            assert [reference for (reference,) in held] == made
            completions = [entry for entry in history(shop, ref_no) if entry["status"] == "COMPLETE"]
            assert len(completions) == 1, completions
            acknowledged = sum(answer is True for answer in answers)
            assert len(final["Refunds"] or ()) == acknowledged
    finally:
        for client in clients:
            client.close()


# --- 3: refunds racing ----------------------------------------------------------------------------


@pytest.mark.parametrize("parts", [[30.0] * 8, [40.0, 35.5, 30.0, 25.0, 20.0, 15.25, 10.0, 5.0]])
def test_concurrent_refunds_never_exceed_the_total(shop: Shop, parts: list[float]) -> None:
    merchant = shop.merchant("immediate")
    clients = shop.clients(merchant, len(parts))
    try:
        for round_ in range(3):
            order = clients[0].place(order_for(None))
            assert order["Status"] == "COMPLETE"
            gross = order["GrossPrice"]
            ref_no = order["RefNo"]
            comments = [f"round {round_} part {n}" for n in range(len(parts))]
            answers = at_once(
                [
                    partial(client.refund, ref_no, amount, comment)
                    for client, amount, comment in zip(clients, parts, comments, strict=True)
                ]
            )
            refused = [n for n, answer in enumerate(answers) if isinstance(answer, Fault)]
            acknowledged = [n for n, answer in enumerate(answers) if answer is True]
            assert sorted(refused + acknowledged) == list(range(len(parts))), answers
            assert {answers[n].code for n in refused} <= {"REFUND_NOT_ALLOWED"}, answers  # type: ignore[union-attr]
            final = clients[0].get(ref_no)
            listed = final["Refunds"] or []
            assert sorted(refund["Comment"] for refund in listed) == sorted(comments[n] for n in acknowledged)
            assert [refund["Amount"] for refund in listed] == [
                parts[comments.index(refund["Comment"])] for refund in listed
            ]
            total = round(sum(refund["Amount"] for refund in listed), 2)
            assert total <= gross + 0.005, (total, gross)
            assert final["Status"] == ("REFUND" if listed else "COMPLETE")
            # What was left only shrank: each refusal was for an amount more than what is left now.
            left = gross - total
            for n in refused:
                assert parts[n] > left - 0.005, (parts[n], left, answers[n])
            if len(set(parts)) == 1:  # equal parts: as many as fit
                assert len(acknowledged) == int(gross // parts[0]), answers
    finally:
        for client in clients:
            client.close()


def test_a_refund_a_completion_and_a_cancel_racing_have_one_outcome(shop: Shop) -> None:
    """On an AUTHRECEIVED order (manual completion), the control plane's cancel and complete race
    with refunds. Either the cancel wins (the complete is refused, every refund refused, nothing
    made) or the completion does (the cancel refused, one subscription, refunds within the total).
    Both outcomes are seen over the rounds, or the race is not a race."""
    merchant = shop.merchant("manual")
    clients = shop.clients(merchant, 4)
    owner = shop.merchant_id(merchant)
    outcomes: set[str] = set()
    try:
        for round_ in range(12):
            external = f"RACE-{round_}-{secrets.token_hex(3)}"
            order = clients[0].place(order_for(external))
            assert order["Status"] == "AUTHRECEIVED"
            ref_no = order["RefNo"]
            first, second = ("cancel", "complete") if round_ % 2 else ("complete", "cancel")
            calls: list[Callable[[], object]] = [
                partial(act, shop.server, merchant, ref_no, first),
                partial(act, shop.server, merchant, ref_no, second),
            ]
            calls += [partial(client.refund, ref_no, 40.0, f"race {n}") for n, client in enumerate(clients)]
            answers = at_once(calls)
            actions = dict(zip((first, second), answers[:2], strict=True))
            refunds = answers[2:]
            won = [name for name, answer in actions.items() if answer.status_code == 200]  # type: ignore[attr-defined]
            assert len(won) == 1, {name: answer.text for name, answer in actions.items()}  # type: ignore[attr-defined]
            (lost,) = set(actions) - set(won)
            assert actions[lost].status_code == 409, actions[lost].text  # type: ignore[attr-defined]
            assert actions[lost].json()["error_code"] == "ORDER_STATUS_CONFLICT"  # type: ignore[attr-defined]
            outcomes.add(won[0])
            final = clients[0].get(ref_no)
            customers = shop.rows(
                "SELECT reference FROM customers WHERE merchant_id = ? AND external_reference = ?", owner, external
            )
            for answer in refunds:
                assert answer is True or (isinstance(answer, Fault) and answer.code == "REFUND_NOT_ALLOWED"), answer
            if won == ["cancel"]:
                assert final["Status"] == "CANCELED"
                assert all(answer is not True for answer in refunds), refunds
                assert not final["Refunds"] and subscription_references(final) == [] and customers == []
            else:
                acknowledged = sum(answer is True for answer in refunds)
                assert acknowledged <= 2  # 40 + 40 of 100
                assert len(final["Refunds"] or ()) == acknowledged
                assert final["Status"] == ("REFUND" if acknowledged else "COMPLETE")
                assert len(customers) == 1 and len(subscription_references(final)) == 1
    finally:
        for client in clients:
            client.close()
    assert outcomes == {"cancel", "complete"}, outcomes


def test_a_cancel_racing_the_background_completion_has_one_outcome(shop: Shop) -> None:
    """An AUTHRECEIVED order due on the sandbox clock: the cancel and the background completion
    race. Either the order is CANCELED (and nothing made) or it is COMPLETE (the cancel refused)."""
    merchant = shop.merchant("time", 0.25)
    client = shop.clients(merchant, 1)[0]
    owner = shop.merchant_id(merchant)
    outcomes: set[str] = set()
    try:
        for round_ in range(16):
            external = f"BG-{round_}-{secrets.token_hex(3)}"
            order = client.place(order_for(external))
            time.sleep(0.25 + (round_ % 4) * 0.1)  # around the time it falls due and the next run
            answer = act(shop.server, merchant, order["RefNo"], "cancel")
            wait_for(lambda ref=order["RefNo"]: statuses(shop, [ref]) <= {"CANCELED", "COMPLETE"}, 10, "an outcome")
            time.sleep(0.3)  # one more run of the background completion: it must leave a CANCELED order alone
            final = client.get(order["RefNo"])
            customers = shop.rows(
                "SELECT reference FROM customers WHERE merchant_id = ? AND external_reference = ?", owner, external
            )
            if answer.status_code == 200:
                assert final["Status"] == "CANCELED"
                assert subscription_references(final) == [] and customers == []
                assert shop.rows("SELECT due_at FROM orders WHERE ref_no = ?", int(order["RefNo"])) == [(None,)]
            else:
                assert answer.json()["error_code"] == "ORDER_STATUS_CONFLICT", answer.text
                assert final["Status"] == "COMPLETE"
                assert len(customers) == 1 and len(subscription_references(final)) == 1
            outcomes.add(final["Status"])
    finally:
        client.close()
    assert outcomes == {"CANCELED", "COMPLETE"}, outcomes


# --- 5: refusals change nothing -------------------------------------------------------------------


def test_concurrent_refused_orders_change_nothing(shop: Shop) -> None:
    merchant = shop.merchant("immediate")
    before = shop.tables(merchant)
    external = f"REFUSED-{secrets.token_hex(3)}"
    refused = [
        # an unknown product code
        order_for(external, Items=[{"Code": "NO-SUCH-PRODUCT", "Quantity": 1}]),
        # a customer that does not exist
        order_for(None, CustomerReference=987654321),
        # FREE, for an order of 100
        order_for(external, PaymentDetails={"Type": "FREE", "Currency": "USD"}),
        # no items
        order_for(external, Items=[]),
    ]
    expected = ["ORDER_PRODUCT_CODE_INVALID", "CUSTOMER_NOT_FOUND", "INVALID_FIELD_VALUE", "ORDER_PRODUCTS_EMPTY"]
    clients = shop.clients(merchant, 8)
    try:
        for _ in range(5):
            answers = at_once(
                [lambda client=client, n=n: client.place(refused[n % len(refused)]) for n, client in enumerate(clients)]
            )
            assert all(isinstance(answer, Fault) for answer in answers), answers
            codes = [answer.code for answer in answers]  # type: ignore[union-attr]
            assert codes == [expected[n % len(expected)] for n in range(len(clients))], codes
        assert shop.tables(merchant) == before
    finally:
        for client in clients:
            client.close()


# --- 4: kill -9 -----------------------------------------------------------------------------------


@pytest.fixture
def own_store(store_kind: str, tmp_path: Path) -> tuple[str, Merchant]:
    """A store of its own, for a server killed with SIGKILL."""
    merchant = Merchant("KILLED", "killed-secret-key")
    url = store_with_merchants(new_store_url(store_kind, tmp_path), {merchant.code: merchant.secret})
    return url, merchant


def kill_9(server: Server) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()


def test_kill_9_loses_no_acknowledged_order(own_store, tmp_path: Path) -> None:
    url, merchant = own_store
    server = start_server(tmp_path, url, "--login-throttle", "off")
    settle(server, merchant, "immediate")
    acknowledged: dict[str, dict[str, Any]] = {}
    stop = threading.Event()

    def place(n: int) -> None:
        client = Client(server.base_url, merchant, ("jsonrpc", "rest")[n % 2])
        counter = 0
        try:
            while not stop.is_set():
                counter += 1
                # Every third order names the thread's returning customer, the others a new one each.
                external = f"KILL-{n}" if counter % 3 == 0 else f"KILL-{n}-{counter}"
                order = client.place(order_for(external, amount=float(counter)))
                acknowledged[order["RefNo"]] = order
        except (httpx.TransportError, Fault, AssertionError, ValueError):
            pass  # the server died mid-request: that order was never acknowledged
        finally:
            client.close()

    threads = [threading.Thread(target=place, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(acknowledged) >= 40, 60, "40 orders acknowledged")
    kill_9(server)
    stop.set()
    for thread in threads:
        thread.join(30)

    restarted = start_server(tmp_path, url, "--login-throttle", "off")
    try:
        reader = Client(restarted.base_url, merchant, "jsonrpc")
        for ref_no, placed in acknowledged.items():
            assert placed["Status"] == "COMPLETE"
            found = reader.get(ref_no)
            assert (found["Status"], found["GrossPrice"]) == ("COMPLETE", placed["GrossPrice"])
            assert found["Items"] == placed["Items"]
            (reference,) = subscription_references(found)
            assert reader.subscription(reference)["AvangateCustomerReference"]
        reader.close()
        # Nothing half written: every stored order (the acknowledged, and at most one in flight per
        # thread) has its subscription and customer, and nothing else is stored.
        store = open_store(url)
        with store.transaction(write=False) as cursor:
            orders = cursor.execute("SELECT ref_no, status, customer_reference, document FROM orders").fetchall()
            subscriptions = cursor.execute("SELECT reference, customer_reference FROM subscriptions").fetchall()
            customers = cursor.execute("SELECT reference, external_reference FROM customers").fetchall()
        store.close()
        assert {str(row[0]) for row in orders} >= set(acknowledged)
        assert len(orders) <= len(acknowledged) + len(threads)
        made = {}
        for _ref_no, status, customer, document in orders:
            assert status == "COMPLETE"
            (reference,) = subscription_references(json.loads(document))
            made[reference] = customer
        assert dict(subscriptions) == made
        externals = {json.loads(document)["_customer"]["external"] for *_, document in orders}
        assert sorted(external for _, external in customers) == sorted(externals)
        assert {reference for reference, _ in customers} == set(made.values())
    finally:
        stop_server(restarted)
    no_tracebacks(restarted)


def test_an_order_due_when_the_server_died_completes_after_the_restart(own_store, tmp_path: Path) -> None:
    url, merchant = own_store
    server = start_server(tmp_path, url, "--login-throttle", "off")
    settle(server, merchant, "time", 2)
    client = Client(server.base_url, merchant, "rest")
    placed = [client.place(order_for(f"DUE-{n}")) for n in range(3)]
    client.close()
    assert [order["Status"] for order in placed] == ["AUTHRECEIVED"] * 3
    kill_9(server)  # well before the 2 s
    refs = [order["RefNo"] for order in placed]
    restarted = start_server(tmp_path, url, "--login-throttle", "off")
    store = open_store(url)
    shop = Shop(restarted, url, store, tmp_path)
    try:
        # Nobody reads them: the restarted server's background completion completes them.
        wait_for(partial(all_complete, shop, refs), 15, "the due orders completed after the restart")
        reader = Client(restarted.base_url, merchant, "jsonrpc")
        for ref_no in refs:
            found = reader.get(ref_no)
            assert found["Status"] == "COMPLETE"
            (reference,) = subscription_references(found)
            assert reader.subscription(reference)["Product"]["ProductName"] == "Dynamic product"
            assert [entry["by"] for entry in history(shop, ref_no) if entry["status"] == "COMPLETE"] == [
                "sandbox clock"
            ]
        reader.close()
    finally:
        store.close()
        stop_server(restarted)
    no_tracebacks(restarted)


# --- a PENDING order paid again, approved on its 3-D Secure page and canceled at once ------------

THREE_D_SECURE_CARD = "4000000000003220"  # asks for 3-D Secure (payments.SANDBOX_CARDS)


def answer_page(server: Server, token: str, answer: str) -> httpx.Response:
    """The shopper's answer on the 3-D Secure page (a POST of the page's form)."""
    return server.post(
        "/scripts/credit_card/authorize",
        data={"avng8apitoken": token, "answer": answer},
        follow_redirects=False,
    )


def test_a_pending_order_paid_three_ways_at_once_is_paid_or_canceled_once(shop: Shop) -> None:
    """An order waiting for 3-D Secure (PENDING): the shopper's approval (twice: a double click),
    two payment retries with a good card and the control plane's cancel, at once. The order ends
    COMPLETE (one subscription, one customer, the cancel refused) or CANCELED (nothing made, the
    retries refused); never both, never completed twice."""
    merchant = shop.merchant("immediate")
    clients = shop.clients(merchant, 3)
    owner = shop.merchant_id(merchant)
    outcomes: set[str] = set()
    try:
        for round_ in range(18):
            external = f"3DS-{round_}-{secrets.token_hex(3)}"
            order = clients[0].place(order_for(external, PaymentDetails=card_payment(THREE_D_SECURE_CARD)))
            assert order["Status"] == "PENDING"
            ref_no = order["RefNo"]
            token = order["PaymentDetails"]["PaymentMethod"]["Authorize3DS"]["Params"]["avng8apitoken"]
            retry = {"RefNo": ref_no, "PaymentDetails": card_payment()}
            answers = at_once(
                [
                    partial(answer_page, shop.server, token, "approve"),
                    partial(answer_page, shop.server, token, "approve"),
                    partial(clients[1].place, retry),
                    partial(clients[2].place, retry),
                    partial(act, shop.server, merchant, ref_no, "cancel"),
                ],
                head_start(round_),
            )
            pages, retries, cancel = answers[:2], answers[2:4], answers[4]
            assert all(page.status_code in (200, 303, 404) for page in pages), pages  # type: ignore[attr-defined]
            for answer in retries:
                assert isinstance(answer, dict) or answer.code == "ORDER_STATUS_CONFLICT", answer  # type: ignore[attr-defined]
            final = clients[0].get(ref_no)
            customers = shop.rows(
                "SELECT reference FROM customers WHERE merchant_id = ? AND external_reference = ?", owner, external
            )
            completions = [entry for entry in history(shop, ref_no) if entry["status"] == "COMPLETE"]
            if final["Status"] == "CANCELED":
                assert cancel.status_code == 200, cancel.text  # type: ignore[attr-defined]
                assert not any(isinstance(answer, dict) for answer in retries), retries
                assert subscription_references(final) == [] and customers == [] and completions == []
            else:
                assert final["Status"] == "COMPLETE", final["Status"]
                assert cancel.status_code == 409, cancel.text  # type: ignore[attr-defined]
                assert sum(isinstance(answer, dict) for answer in retries) <= 1, retries
                assert len(completions) == 1, completions
                assert len(customers) == 1 and len(subscription_references(final)) == 1
                assert (
                    len(shop.rows("SELECT reference FROM subscriptions WHERE customer_reference = ?", customers[0][0]))
                    == 1
                )
            entries = history(shop, ref_no)
            assert [entry["status"] for entry in entries[:2]] == [
                "PENDING",
                final["Status"] if final["Status"] == "CANCELED" else "AUTHRECEIVED",
            ]
            outcomes.add(entries[1]["by"])
    finally:
        for client in clients:
            client.close()
    assert outcomes == {"3-D Secure page", "placeOrder (retry)", "control plane"}, outcomes


def head_start(round_: int) -> list[float]:
    """Each round one of the page, the retries and the cancel is ahead (in turn), by 0, 50 or 150 ms:
    the page's clients, and the control plane's, connect anew and would lose every race."""
    leader, lead = round_ % 3, (0.0, 0.05, 0.15)[(round_ // 3) % 3]
    groups = [0, 0, 1, 1, 2]  # pages, retries, cancel
    return [0.0 if group == leader else lead for group in groups]


def test_a_refusal_on_the_page_of_an_order_canceled_meanwhile_returns_to_the_cancel_address(shop: Shop) -> None:
    merchant = shop.merchant("immediate")
    client = shop.clients(merchant, 1)[0]
    try:
        order = client.place(order_for(None, PaymentDetails=card_payment(THREE_D_SECURE_CARD)))
        token = order["PaymentDetails"]["PaymentMethod"]["Authorize3DS"]["Params"]["avng8apitoken"]
        # The operator cancels the order while the shopper is on the 3-D Secure page.
        assert act(shop.server, merchant, order["RefNo"], "cancel").status_code == 200
        refused = answer_page(shop.server, token, "refuse")
        assert client.get(order["RefNo"])["Status"] == "CANCELED"
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("https://shop.example/3ds/cancel"), refused.headers["location"]
    finally:
        client.close()


# --- several instances on one store, and a kill -9 while due orders complete ------------------------


def test_two_instances_complete_each_due_order_once(store_kind: str, tmp_path: Path) -> None:
    """Two servers on one store, both running the background completion: each due order
    completes once (one subscription of its own, one customer per ExternalCustomerReference).
    Then orders placed on both at once, completing at once, naming one new customer: one customer."""
    merchant = Merchant("TWICE", "twice-secret-key")
    url = store_with_merchants(new_store_url(store_kind, tmp_path), {merchant.code: merchant.secret})
    servers = [start_server(tmp_path, url, "--login-throttle", "off") for _ in range(2)]
    store = open_store(url)
    shop = Shop(servers[0], url, store, tmp_path)
    try:
        settle(servers[0], merchant, "time", 0.5)
        clients = [
            Client(server.base_url, merchant, protocol) for server in servers for protocol in ("jsonrpc", "rest")
        ]
        refs: list[str] = []
        for round_ in range(5):
            external = f"TWICE-{round_}"
            placed = at_once([partial(client.place, order_for(external)) for client in clients])
            assert all(isinstance(order, dict) for order in placed), placed
            refs += [order["RefNo"] for order in placed]  # type: ignore[index]
        wait_for(partial(all_complete, shop, refs), 20, "every order completed in the background")
        for client in clients:
            client.close()
        subscriptions = shop.rows("SELECT reference, customer_reference FROM subscriptions")
        assert len(subscriptions) == len(refs)
        customers = shop.rows("SELECT reference, external_reference FROM customers")
        assert sorted(external for _, external in customers) == [f"TWICE-{n}" for n in range(5)]
        for ref_no in refs:
            assert len([entry for entry in history(shop, ref_no) if entry["status"] == "COMPLETE"]) == 1
        # Completing at once, on both: eight orders naming one new customer, four on each server.
        settle(servers[1], merchant, "immediate")
        clients = [
            Client(server.base_url, merchant, protocol) for server in servers for protocol in ("jsonrpc", "rest")
        ]
        for round_ in range(5):
            external = f"TWICE-NOW-{round_}"
            placed = at_once([partial(client.place, order_for(external)) for client in clients * 2])
            assert all(isinstance(order, dict) for order in placed), placed
            check_one_customer(shop, merchant, clients[0], external, placed)  # type: ignore[arg-type]
        for client in clients:
            client.close()
    finally:
        store.close()
        for server in servers:
            stop_server(server)
    for server in servers:
        no_tracebacks(server)


def test_kill_9_while_due_orders_complete_leaves_each_whole(own_store, tmp_path: Path) -> None:
    """Orders fall due together and the server is killed while its background completion works
    through them: after the restart each is COMPLETE once, with its subscription and customer,
    and nothing half made is left (an order, its customer and subscription are one transaction)."""
    url, merchant = own_store
    server = start_server(tmp_path, url, "--login-throttle", "off")
    settle(server, merchant, "time", 1)
    clients = [Client(server.base_url, merchant, protocol) for protocol in ("jsonrpc", "rest")]
    refs = [clients[n % 2].place(order_for(f"DUE-KILL-{n}"))["RefNo"] for n in range(150)]
    for client in clients:
        client.close()
    store = open_store(url)
    shop = Shop(server, url, store, tmp_path)
    try:
        # Killed once some (not all) are complete, if the timing allows.
        wait_for(lambda: "COMPLETE" in statuses(shop, refs), 20, "the background completion started")
        kill_9(server)
        restarted = start_server(tmp_path, url, "--login-throttle", "off")
        try:
            wait_for(partial(all_complete, shop, refs), 30, "every order completed after the restart")
        finally:
            stop_server(restarted)
        no_tracebacks(restarted)
        orders = shop.rows("SELECT ref_no, customer_reference, document, history FROM orders")
        made: dict[str, int] = {}
        for ref_no, customer, document, entries in orders:
            (reference,) = subscription_references(json.loads(document))
            made[reference] = customer
            assert len([e for e in json.loads(entries) if e["status"] == "COMPLETE"]) == 1, ref_no
        assert dict(shop.rows("SELECT reference, customer_reference FROM subscriptions")) == made
        customers = shop.rows("SELECT reference, external_reference FROM customers")
        assert sorted(external for _, external in customers) == sorted(f"DUE-KILL-{n}" for n in range(150))
        assert {reference for reference, _ in customers} == set(made.values())
    finally:
        store.close()


# --- a reset racing orders --------------------------------------------------------------------------


def test_a_reset_racing_orders_leaves_each_order_whole_or_gone(
    request: pytest.FixtureRequest, store_kind: str, tmp_path: Path
) -> None:
    """The control plane's reset of one merchant while its orders are placed (and complete at once):
    each reset answers, and every order left has its customer and its subscription, every
    subscription its order: an order is deleted whole or kept whole."""
    merchant = Merchant("RESET", "reset-secret-key")
    url = store_with_merchants(new_store_url(store_kind, tmp_path), {merchant.code: merchant.secret})
    server = start_server(tmp_path, url, "--login-throttle", "off")
    store = open_store(url)
    shop = Shop(server, url, store, tmp_path)
    stop = threading.Event()
    failures: list[str] = []
    placed = [0]

    def place(n: int) -> None:
        client = Client(server.base_url, merchant, "rest")  # signed each request: a reset ends no session
        counter = 0
        try:
            while not stop.is_set():
                counter += 1
                try:
                    client.place(order_for(f"RESET-{n}-{counter}"))
                    placed[0] += 1
                except Fault as fault:
                    failures.append(str(fault))
        finally:
            client.close()

    try:
        settle(server, merchant, "immediate")
        threads = [threading.Thread(target=place, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        resets = []
        try:
            for _ in range(40):
                time.sleep(0.1)
                answer = server.post("/_twoco/reset", json={"merchant": merchant.code})
                resets.append((answer.status_code, answer.text[:300]))
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        assert placed[0] > 0
        assert failures == [], failures[:5]
        orders = shop.rows("SELECT ref_no, customer_reference, document FROM orders")
        subscriptions = dict(shop.rows("SELECT reference, customer_reference FROM subscriptions"))
        customers = {reference for (reference,) in shop.rows("SELECT reference FROM customers")}
        made = {}
        for _, customer, document in orders:
            (reference,) = subscription_references(json.loads(document))
            made[reference] = customer
        broken = {ref_no for ref_no, customer, _ in orders if customer not in customers}
        assert broken == set(), f"{len(broken)} of {len(orders)} orders left without their customer"
        assert subscriptions == made
        assert [status for status, _ in resets] == [200] * len(resets), [r for r in resets if r[0] != 200][:3]
    finally:
        store.close()
        stop_server(server)
    no_tracebacks(server)


# --- orders for a customer others change at the same time -------------------------------------------


def test_orders_for_a_customer_being_changed_and_moved_never_fail(shop: Shop) -> None:
    """Orders naming an existing customer (by reference, and by ExternalCustomerReference) complete
    while other clients update that customer (pushing the change to its subscriptions) and move
    subscriptions between it and another customer: none fails, and each order's subscription is
    the customer's it named (or where a move took it: nothing is lost)."""
    merchant = shop.merchant("immediate")
    setup = Client(shop.server.base_url, merchant, "jsonrpc")
    first = setup.api.call("createCustomer", customer_data(ExternalCustomerReference="BUSY-1"))
    second = setup.api.call("createCustomer", customer_data(ExternalCustomerReference="BUSY-2"))
    moved = [setup.api.call("addSubscription", subscription_data(first, f"BUSY-SUB-{n}")) for n in range(4)]
    errors: list[str] = []
    placed: list[str] = []
    deadline = time.monotonic() + 8

    def loop(step: Callable[[Client, int], None], protocol: str) -> None:
        client = Client(shop.server.base_url, merchant, protocol)
        n = 0
        try:
            while time.monotonic() < deadline:
                n += 1
                try:
                    step(client, n)
                except Fault as fault:
                    errors.append(str(fault))
        finally:
            client.close()

    def order_by_reference(client: Client, n: int) -> None:
        placed.append(client.place(order_for(None, CustomerReference=first))["RefNo"])

    def order_by_external(client: Client, n: int) -> None:
        placed.append(client.place(order_for("BUSY-1"))["RefNo"])

    def update(client: Client, n: int) -> None:
        change = {"AvangateCustomerReference": first, "FirstName": f"Busy{n}"}
        client.api.call("updateCustomerInformation", change, True)

    def move(client: Client, n: int) -> None:
        client.api.call("setSubscriptionCustomer", moved[n % 4], (first, second)[n % 2], None)

    steps = [(order_by_reference, "jsonrpc"), (order_by_reference, "rest"), (order_by_external, "rest")]
    steps += [(order_by_external, "jsonrpc"), (update, "jsonrpc"), (update, "jsonrpc"), (move, "jsonrpc")]
    threads = [threading.Thread(target=loop, args=step) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == [], errors[:5]
        assert len(placed) > 20
        held = {s["SubscriptionReference"] for s in setup.api.call("getCustomerSubscriptions", first, None)}  # type: ignore[union-attr]
        for ref_no in placed:
            order = setup.get(ref_no)
            (reference,) = subscription_references(order)
            assert reference in held, (ref_no, reference)
    finally:
        setup.close()


def test_kill_9_loses_no_acknowledged_refund(own_store, tmp_path: Path) -> None:
    """Refunds of 1.00 issued in a loop on complete orders while the server is killed: after the
    restart each order lists every acknowledged refund (and at most the one in flight more)."""
    url, merchant = own_store
    server = start_server(tmp_path, url, "--login-throttle", "off")
    settle(server, merchant, "immediate")
    setup = Client(server.base_url, merchant, "rest")
    refs = [setup.place(order_for(None))["RefNo"] for _ in range(4)]
    setup.close()
    acknowledged = dict.fromkeys(refs, 0)

    def refund(n: int) -> None:
        client = Client(server.base_url, merchant, ("jsonrpc", "rest")[n % 2])
        try:
            while True:
                assert client.refund(refs[n], 1.0, f"refund {acknowledged[refs[n]] + 1}") is True
                acknowledged[refs[n]] += 1
        except (httpx.TransportError, Fault, AssertionError, ValueError):
            pass  # the server died mid-request: that refund was never acknowledged
        finally:
            client.close()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(len(refs))]
    for thread in threads:
        thread.start()
    wait_for(lambda: min(acknowledged.values()) >= 10, 60, "10 refunds acknowledged on each order")
    kill_9(server)
    for thread in threads:
        thread.join(30)
    restarted = start_server(tmp_path, url, "--login-throttle", "off")
    try:
        reader = Client(restarted.base_url, merchant, "jsonrpc")
        for ref_no, count in acknowledged.items():
            listed = reader.get(ref_no)["Refunds"]
            assert count <= len(listed) <= count + 1, (ref_no, count, len(listed))
            assert [refund["Comment"] for refund in listed] == [f"refund {n + 1}" for n in range(len(listed))]
        reader.close()
    finally:
        stop_server(restarted)
    no_tracebacks(restarted)
