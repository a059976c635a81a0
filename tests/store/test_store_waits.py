"""Bounded waits on PostgreSQL (issue 12, item 2): a call whose row another connection holds waits
at most ``--lock-wait`` seconds and then answers STORE_BUSY (retryable, Retry-After on REST); the
waiting calls hold none of the threads the others need, so health, the WSDL and calls on other
customers answer at once, however many wait.

The lock is held the way another instance, a migration or an operator's psql would hold it: a
second connection with an open transaction that locked the row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.clients.api import JsonRpcApi, RestApi
from tests.data import customer_data
from tests.servers import POSTGRES_ONLY, Merchant, new_store_url, start_server, stop_server, store_with_merchants

pytestmark = pytest.mark.slow  # lock waits, in real time

LOCK_WAIT = 3.0
WAITERS = 24  # more than the server's PostgreSQL connections (16) a process


@pytest.fixture
def lock_server(tmp_path) -> Iterator[tuple[object, Merchant]]:
    url = new_store_url("postgresql", tmp_path)
    merchant = Merchant("WAIT", "wait-secret")
    store_with_merchants(url, {merchant.code: merchant.secret})
    server = start_server(tmp_path, url, "--login-throttle", "off", "--lock-wait", str(LOCK_WAIT))
    yield server, merchant
    stop_server(server)


def hold_row(url: str, reference: int) -> psycopg.Connection:
    """A connection holding the lock on one customer's row, until it rolls back."""
    holder = psycopg.connect(url)
    holder.execute("SELECT 1 FROM customers WHERE reference = %s FOR UPDATE", (reference,))
    return holder


def rest_update(rest: RestApi, reference: int, city: str) -> httpx.Response:
    return rest.http.put(f"/customers/{reference}/", headers=rest.headers(), json={"City": city})


def timed(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_calls_on_a_held_row_end_busy_while_everything_else_answers(store_kind, lock_server) -> None:
    server, merchant = lock_server
    rpc = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    held, free = (rpc.call("createCustomer", customer_data(City=city)) for city in ("Held", "Free"))
    holder = hold_row(server.db_url, held)
    answers: list[tuple[httpx.Response, float]] = []

    def waiter() -> None:
        with RestApi(server.base_url, merchant.code, merchant.secret) as rest:
            started = time.monotonic()
            answer = rest_update(rest, held, "Changed")
            answers.append((answer, time.monotonic() - started))

    waiters = [threading.Thread(target=waiter) for _ in range(WAITERS)]
    for thread in waiters:
        thread.start()
    time.sleep(0.5)  # every waiter has reached the server and found the row held
    try:
        assert timed(lambda: server.get("/_twoco/health").raise_for_status()) < 1
        assert timed(lambda: server.get("/soap/6.0/?wsdl").raise_for_status()) < 1
        for n in range(10):
            assert (
                timed(
                    lambda n=n: rpc.call(
                        "updateCustomerInformation", {"AvangateCustomerReference": free, "City": f"F{n}"}, False
                    )
                )
                < 1.5
            )
        assert rpc.call("getCustomerInformation", free, None)["City"] == "F9"
    finally:
        for thread in waiters:
            thread.join(30)
        holder.rollback()
        holder.close()
    assert len(answers) == WAITERS
    for answer, seconds in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json()["error_code"] == "STORE_BUSY" and answer.headers["retry-after"] == "1"
        assert LOCK_WAIT - 0.5 < seconds < LOCK_WAIT + 3, seconds
    # Nothing of theirs was written; with the row free again the same call goes through.
    assert rpc.call("getCustomerInformation", held, None)["City"] == "Held"
    with RestApi(server.base_url, merchant.code, merchant.secret) as rest:
        assert rest_update(rest, held, "Changed").status_code == 200
    assert rpc.call("getCustomerInformation", held, None)["City"] == "Changed"
    # JSON-RPC names the same error by its code.
    holder = hold_row(server.db_url, held)
    try:
        answer = rpc.http.post(
            "",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "updateCustomerInformation",
                "params": [rpc.session, {"AvangateCustomerReference": held, "City": "X"}, False],
            },
        )
    finally:
        holder.rollback()
        holder.close()
    assert answer.json()["error"]["code"] == 16002 and answer.json()["error"]["data"]["error_code"] == "STORE_BUSY"
    assert "Traceback" not in server.log_path.read_text()
    rpc.close()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_row_released_within_the_wait_lets_every_waiting_call_through(store_kind, lock_server) -> None:
    server, merchant = lock_server
    rpc = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    held = rpc.call("createCustomer", customer_data())
    holder = hold_row(server.db_url, held)
    statuses: list[int] = []

    def waiter(n: int) -> None:
        with RestApi(server.base_url, merchant.code, merchant.secret) as rest:
            statuses.append(rest_update(rest, held, f"City{n}").status_code)

    waiters = [threading.Thread(target=waiter, args=(n,)) for n in range(WAITERS)]
    for thread in waiters:
        thread.start()
    time.sleep(1.0)  # longer than one attempt's lock timeout: every waiter is retrying by now
    holder.rollback()
    holder.close()
    for thread in waiters:
        thread.join(30)
    assert statuses == [200] * WAITERS
    assert rpc.call("getCustomerInformation", held, None)["City"].startswith("City")
    rpc.close()
