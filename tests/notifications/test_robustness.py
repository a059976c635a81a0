"""Notifications under faults, against real servers (twoco in a thread, or ``twoco serve``
processes) and real HTTP handlers (tests/notifications/handler.py), on SQLite and PostgreSQL.

- A handler that hangs holds up its own URLs only: another merchant's notifications go at once,
  API calls do not wait for it, and its attempts time out after ``--notify-timeout``, each kept
  with its reason and the next attempt on 2Checkout's ladder.
- A URL refusing connections: "connection refused", tried again 150 s later on the sandbox clock.
- kill -9 between a change and its delivery (the handler hanging, or stopped): every acknowledged
  change has its notifications in the outbox, and after a restart every one is delivered.
- Two instances on one PostgreSQL database deliver each notification once: a claim another
  instance commits between this one's look for a lease and its SELECT is not claimed again (that
  interleaving, met by chance there, is made every time on the store), and a transaction of the
  merchant's under way (an order's) neither hides its due notifications nor holds up an attempt's
  record.
- A server restarted resumes a notification's ladder where it was.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi
from tests.data import dynamic_order
from tests.data import test_payment as card_payment  # not test_*: pytest would collect it
from tests.notifications.handler import Handler, Received, running_handler
from tests.servers import (
    POSTGRES_ONLY,
    Server,
    free_port,
    new_store_url,
    start_server,
    stop_server,
    store_with_merchants,
)
from twoco.domains.notifications.records import Notification
from twoco.store import SqlStore, open_store
from twoco.testing import run_twoco

pytestmark = pytest.mark.slow  # real time: attempts time out, servers are killed and restarted

_T = TypeVar("_T")
FIRST_RETRY = 150.0  # seconds after its making (sandbox clock) a failed notification is tried again
NOTIFY_TIMEOUT = "1"  # seconds an attempt may take (--notify-timeout)


# --- helpers ----------------------------------------------------------------------------------


def order() -> dict[str, Any]:
    """An order of a monthly subscription: an IPN when paid, one when complete, an LCN for its subscription."""
    return dynamic_order(PaymentDetails=card_payment())


def subscription_references(placed: dict[str, Any]) -> list[str]:
    return [
        entry["SubscriptionReference"]
        for item in placed["Items"]
        for entry in item["ProductDetails"]["Subscriptions"] or ()
    ]


def configure(base_url: str, code: str, endpoint: str) -> None:
    """The merchant's orders complete at once (their IPNs and LCN written by placeOrder), and its
    notifications go to ``endpoint``/ipn and ``endpoint``/lcn (unprobed: it may be down)."""
    answer = httpx.put(f"{base_url}/_twoco/merchants/{code}/orders", json={"completion": "immediate"}, timeout=30)
    assert answer.status_code == 200, answer.text
    urls = {"ipn_url": f"{endpoint}/ipn", "lcn_url": f"{endpoint}/lcn", "probe": False}
    answer = httpx.put(f"{base_url}/_twoco/merchants/{code}/notifications", json=urls, timeout=30)
    assert answer.status_code == 200, answer.text


def inbox(base_url: str, **filters: str) -> list[dict[str, Any]]:
    """Every notification the control plane lists (``filters``: merchant, kind, state, …), oldest first."""
    found: list[dict[str, Any]] = []
    while True:
        query = {**filters, "limit": "500", "offset": str(len(found))}
        answer = httpx.get(f"{base_url}/_twoco/notifications", params=query, timeout=30)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found += page["notifications"]
        if len(found) >= page["total"] or not page["notifications"]:
            return found[::-1]


def inbox_when(base_url: str, test: Callable[[dict[str, Any]], bool], **filters: str) -> list[dict[str, Any]] | None:
    """The inbox (as :func:`inbox`) once it is not empty and ``test`` holds for each notification; else None."""
    found = inbox(base_url, **filters)
    return found if found and all(test(notification) for notification in found) else None


def detail(base_url: str, notification_id: int) -> dict[str, Any]:
    """One notification with its attempts ("history")."""
    answer = httpx.get(f"{base_url}/_twoco/notifications/{notification_id}", timeout=30)
    assert answer.status_code == 200, answer.text
    notification: dict[str, Any] = answer.json()["notification"]
    return notification


def wait_until(condition: Callable[[], _T], seconds: float, what: str) -> _T:
    """``condition()``'s first true answer, asked every 50 ms for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        got = condition()
        if got:
            return got
        assert time.monotonic() < deadline, f"not in {seconds} s: {what}"
        time.sleep(0.05)


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def stored_notifications(url: str) -> list[Any]:
    """Every notification of the store at ``url``, read from the store itself (oldest first)."""
    store = open_store(url)
    try:
        with store.transaction(write=False):
            found, _ = store.notifications({}, 100_000)
        return found[::-1]
    finally:
        store.close()


def leased(url: str) -> int:
    """How many notifications of the store at ``url`` are leased: an attempt under way."""
    store: SqlStore = open_store(url)
    try:
        with store.transaction(write=False) as cursor:
            return int(cursor.execute("SELECT COUNT(*) FROM notifications WHERE lease_until IS NOT NULL").fetchone()[0])
    finally:
        store.close()


def kill_9(server: Server) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()


def message_key(received: Received) -> tuple[str, ...]:
    """What tells one notification from another at the handler: an IPN's MESSAGE_ID, an LCN's
    LICENSE_CODE and DATE_UPDATED."""
    fields = received.fields
    if received.path.endswith("/ipn"):
        return ("IPN", fields["MESSAGE_ID"])
    return ("LCN", fields["LICENSE_CODE"], fields["DATE_UPDATED"])


# --- 1: a hanging endpoint beside a healthy one ---------------------------------------------------


def test_a_hanging_endpoint_holds_up_only_its_own_notifications(store_kind: str, tmp_path: Path) -> None:
    """Merchant A's handler hangs, B's answers: B's notifications go at once, API calls do not
    wait, and A's attempts time out after 1 s, each kept with its next attempt."""
    secret_a, secret_b = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with (
        running_handler(secret_a) as hanging,
        running_handler(secret_b) as healthy,
        run_twoco("HANGS", secret_a, db=new_store_url(store_kind, tmp_path), notify_timeout=1) as twoco,
    ):
        hanging.mode, hanging.hang_seconds = "hang", 4.0
        twoco.add_merchant("ANSWERS", secret_b)
        configure(twoco.url, "HANGS", hanging.url)
        configure(twoco.url, "ANSWERS", healthy.url)
        a = JsonRpcApi(twoco.url, "HANGS", secret_a, "6.0")
        b = JsonRpcApi(twoco.url, "ANSWERS", secret_b, "6.0")
        a_orders = [a.call("placeOrder", order()) for _ in range(3)]  # 6 IPNs and 3 LCNs, to a handler that hangs
        hanging.wait_for(1, 5, "/ipn")
        hanging.wait_for(1, 5, "/lcn")

        # While A's handler hangs, API calls answer at once.
        latencies = []
        for placed in a_orders:
            started = time.perf_counter()
            assert a.call("getOrder", placed["RefNo"])["Status"] == "COMPLETE"  # type: ignore[index]
            latencies.append(time.perf_counter() - started)
        assert max(latencies) < 0.5, latencies

        # B's notifications go at once (the deliveries look four times a second), not behind A's:
        # seven of A's at least are still to be tried, 7 s of timeouts were they in one queue.
        placed_at = time.time()
        b_orders = [b.call("placeOrder", order()) for _ in range(2)]
        got = healthy.wait_for(6, 5)
        delivered_in = max(received.at for received in got) - placed_at
        assert delivered_in < 2.0, delivered_in
        not_tried = [n for n in inbox(twoco.url, merchant="HANGS") if n["attempts"] == 0]
        assert len(not_tried) >= 3, not_tried  # A's queue is still there: B did not wait behind it
        print(
            f"getOrder during the hang: {max(latencies) * 1000:.0f} ms at most; B's 6 delivered in {delivered_in:.2f} s"
        )
        assert {received.fields.get("REFNO") for received in got if received.path == "/ipn"} == {
            str(placed["RefNo"]) for placed in b_orders
        }
        wait_until(
            lambda: all(n["state"] == "delivered" for n in inbox(twoco.url, merchant="ANSWERS")),
            5,
            "B's notifications delivered",
        )

        # A's attempts time out, one after another, each kept with its reason; A's stay pending.
        a_notifications = wait_until(
            lambda: inbox_when(twoco.url, lambda n: n["attempts"] == 1, merchant="HANGS"),
            15,
            "each of A's notifications tried once",
        )
        assert len(a_notifications) == 9
        for notification in a_notifications:
            assert notification["state"] == "pending"
            assert seconds_between(notification["made_at"], notification["next_attempt_at"]) == FIRST_RETRY
            (attempt,) = detail(twoco.url, notification["id"])["history"]
            assert attempt["reason"] == "timed out after 1 s"
            assert (attempt["status"], attempt["delivered"]) == (None, False)
            assert 0.9 <= attempt["seconds"] < 2.0, attempt
        a.close()
        b.close()


# --- 2: a connection refused ----------------------------------------------------------------------


def test_a_refused_connection_is_tried_again_on_the_ladder(store_kind: str, tmp_path: Path) -> None:
    with run_twoco("REFUSED", db=new_store_url(store_kind, tmp_path), notify_timeout=1) as twoco:
        closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        configure(twoco.url, "REFUSED", closed)
        api = JsonRpcApi(twoco.url, "REFUSED", twoco.secret_key, "6.0")
        api.call("placeOrder", order())
        api.close()
        tried = wait_until(
            lambda: inbox_when(twoco.url, lambda n: n["attempts"] == 1),
            5,
            "each notification tried once",
        )
        assert sorted(n["event"] for n in tried) == ["COMPLETE", "LICENCE_CHANGE", "PAYMENT_AUTHORIZED"]
        for notification in tried:
            assert notification["state"] == "pending"
            assert seconds_between(notification["made_at"], notification["next_attempt_at"]) == FIRST_RETRY
            (attempt,) = detail(twoco.url, notification["id"])["history"]
            assert (attempt["reason"], attempt["status"], attempt["delivered"]) == ("connection refused", None, False)
            assert attempt["url"] == notification["url"]
            assert 149 <= seconds_between(attempt["at"], notification["next_attempt_at"]) <= 150

        time.sleep(1.0)  # nothing before its time
        assert [n["attempts"] for n in inbox(twoco.url)] == [1, 1, 1]

        twoco.move_clock(FIRST_RETRY + 1)
        again = wait_until(
            lambda: inbox_when(twoco.url, lambda n: n["attempts"] == 2),
            5,
            "each notification tried a second time",
        )
        for notification in again:
            assert notification["state"] == "pending"
            assert seconds_between(notification["made_at"], notification["next_attempt_at"]) == 300
            second = detail(twoco.url, notification["id"])["history"][1]
            assert (second["number"], second["reason"]) == (2, "connection refused")


# --- 3: kill -9 between the change and the delivery -----------------------------------------------


def place_until_killed(
    server: Server, code: str, secret: str, at_least: int, attempted: Callable[[], bool]
) -> dict[str, dict[str, Any]]:
    """Orders placed from four clients at once, until ``at_least`` are acknowledged and
    ``attempted()`` (deliveries have begun); then the server is killed mid-flight. The orders
    acknowledged, by RefNo."""
    acknowledged: dict[str, dict[str, Any]] = {}
    stop = threading.Event()

    def place() -> None:
        try:
            with JsonRpcApi(server.base_url, code, secret, "6.0") as api:
                while not stop.is_set():
                    placed: dict[str, Any] = api.call("placeOrder", order())  # type: ignore[assignment]
                    acknowledged[str(placed["RefNo"])] = placed
        except (httpx.TransportError, Fault, AssertionError, ValueError):
            pass  # the server died mid-call: that order was never acknowledged

    threads = [threading.Thread(target=place) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(acknowledged) >= at_least, 30, f"{at_least} orders acknowledged")
        wait_until(attempted, 10, "deliveries begun")
    finally:
        kill_9(server)
        stop.set()
        for thread in threads:
            thread.join(30)
    return dict(acknowledged)


def assert_outbox_has(acknowledged: dict[str, dict[str, Any]], stored: list[Any]) -> None:
    """Every acknowledged order's IPNs (paid, complete) and its subscriptions' LCNs are in the outbox."""
    ipns = {(n.reference, n.event) for n in stored if n.kind == "IPN"}
    lcns = {n.reference for n in stored if n.kind == "LCN"}
    for ref_no, placed in acknowledged.items():
        assert placed["Status"] == "COMPLETE"
        assert {(ref_no, "PAYMENT_AUTHORIZED"), (ref_no, "COMPLETE")} <= ipns, ref_no
        references = subscription_references(placed)
        assert references and set(references) <= lcns, placed["Items"]


@pytest.mark.parametrize("endpoint", ["hanging", "stopped"])
def test_kill_9_between_a_change_and_its_delivery_loses_no_notification(
    store_kind: str, endpoint: str, tmp_path: Path
) -> None:
    """The server killed while orders are placed, its handler hanging (attempts under way) or
    stopped (refusing): every acknowledged order has its notifications in the outbox; restarted,
    with the handler answering, the server delivers every one."""
    code, secret = "KILLED", secrets.token_urlsafe(24)
    url = store_with_merchants(new_store_url(store_kind, tmp_path), {code: secret})
    port = free_port()
    with ExitStack() as stack:
        handler: Handler | None = None
        if endpoint == "hanging":
            handler = stack.enter_context(running_handler(secret, port))
            handler.mode, handler.hang_seconds = "hang", 3.0
        server = start_server(tmp_path, url, "--notify-timeout", NOTIFY_TIMEOUT, "--login-throttle", "off")
        try:
            configure(server.base_url, code, f"http://127.0.0.1:{port}")
        except BaseException:
            kill_9(server)
            raise

        def attempted() -> bool:  # deliveries have begun: the handler heard one, or one was refused
            return bool(handler.received) if handler is not None else any(n.attempts for n in stored_notifications(url))

        acknowledged = place_until_killed(server, code, secret, 20, attempted)

        stored = stored_notifications(url)
        assert_outbox_has(acknowledged, stored)
        assert all(n.state == "pending" for n in stored), [(n.id, n.state) for n in stored]
        if endpoint == "hanging":
            assert handler is not None and handler.received  # attempts were under way …
            assert leased(url) >= 1  # … one at least when the server died

        # Restarted, the handler answering: every notification delivered, none lost.
        if handler is None:
            handler = stack.enter_context(running_handler(secret, port))
        handler.mode = "receipt"
        restarted_at = time.time()
        server = start_server(tmp_path, url, "--notify-timeout", NOTIFY_TIMEOUT, "--login-throttle", "off")
        stack.callback(stop_server, server)
        server.move_clock(advance=FIRST_RETRY + 1)  # those that failed before the kill fall due
        started = time.monotonic()
        wait_until(
            lambda: all(n["state"] == "delivered" for n in inbox(server.base_url)), 30, "every notification delivered"
        )
        took = time.monotonic() - started
        after = stored_notifications(url)
        assert [n.id for n in after] == [n.id for n in stored]
        for notification in after:
            history = detail(server.base_url, notification.id)["history"]
            assert [attempt["delivered"] for attempt in history][-1:] == [True]
            assert sum(attempt["delivered"] for attempt in history) == 1
        heard = [r for r in handler.received if r.at >= restarted_at]
        heard_ipns = {(r.fields["REFNO"], r.fields["ORDERSTATUS"]) for r in heard if r.path == "/ipn"}
        heard_lcns = {r.fields["LICENSE_CODE"] for r in heard if r.path == "/lcn"}
        for ref_no, placed in acknowledged.items():
            assert {(ref_no, "PAYMENT_AUTHORIZED"), (ref_no, "COMPLETE")} <= heard_ipns, ref_no
            assert set(subscription_references(placed)) <= heard_lcns, ref_no
        print(
            f"{len(acknowledged)} orders acknowledged, {len(after)} notifications; all delivered {took:.1f} s after the restart"
        )


# --- 4: two instances on one PostgreSQL database --------------------------------------------------

MERCHANTS = 4  # each with its own URLs: eight lanes the two instances compete for


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_two_instances_deliver_each_notification_once(store_kind: str, tmp_path: Path) -> None:
    """Two ``twoco serve`` on one PostgreSQL database, one handler: 80 orders (40 through each)
    make 240 notifications; each is delivered once, by one instance, with one attempt."""
    secret = secrets.token_urlsafe(24)
    codes = [f"TWICE{n}" for n in range(MERCHANTS)]
    url = store_with_merchants(new_store_url(store_kind, tmp_path), dict.fromkeys(codes, secret))
    with running_handler(secret) as handler, ExitStack() as stack:
        servers = []
        for _ in range(2):
            servers.append(start_server(tmp_path, url, "--notify-timeout", "5", "--login-throttle", "off"))
            stack.callback(stop_server, servers[-1])
        for code in codes:
            configure(servers[0].base_url, code, f"{handler.url}/{code}")

        placed: list[str] = []
        lock = threading.Lock()

        def place(server: Server, code: str, count: int) -> None:
            with JsonRpcApi(server.base_url, code, secret, "6.0") as api:
                for _ in range(count):
                    answer: dict[str, Any] = api.call("placeOrder", order())  # type: ignore[assignment]
                    with lock:
                        placed.append(str(answer["RefNo"]))

        threads = [
            threading.Thread(target=place, args=(server, code, 40 // MERCHANTS)) for server in servers for code in codes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(placed) == 80

        started = time.monotonic()
        notifications = wait_until(
            lambda: inbox_when(servers[0].base_url, lambda n: n["state"] == "delivered"),
            30,
            "every notification delivered",
        )
        took = time.monotonic() - started
        assert len(notifications) == 240
        time.sleep(1.0)  # a second attempt, were one under way, would come now
        for notification in notifications:
            history = detail(servers[0].base_url, notification["id"])["history"]
            assert [(attempt["number"], attempt["delivered"]) for attempt in history] == [(1, True)], (
                notification["id"],
                history,
            )
        counts: dict[tuple[str, ...], int] = {}
        for received in handler.received:
            counts[message_key(received)] = counts.get(message_key(received), 0) + 1
        twice = {key: count for key, count in counts.items() if count != 1}
        assert not twice, twice
        assert len(counts) == 240
        for server in servers:
            log = server.log_path.read_text()
            assert "Traceback" not in log and "delivering to" not in log, log[-2000:]
        print(f"240 notifications delivered by two instances in {took:.1f} s")


def _store_with_a_due_notification(tmp_path: Path, lock_timeout: float) -> tuple[SqlStore, int, str]:
    """A new PostgreSQL store opened as a server opens it (row locks waited for briefly), with one
    merchant and two notifications due to one URL: the store, the merchant's id and the URL."""
    url = store_with_merchants(new_store_url("postgresql", tmp_path), {"CLAIMS": "claims-secret"})
    store = open_store(url, lock_timeout=lock_timeout)
    merchant = store.merchant("CLAIMS")
    assert merchant is not None
    endpoint = "http://127.0.0.1:9/ipn"
    with store.transaction():
        for reference in ("1", "2"):
            store.insert_notification(
                Notification(0, merchant.id, "IPN", reference, "COMPLETE", True, 0.0, endpoint, [], [], due_at=0.0)
            )
    return store, merchant.id, endpoint


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_claim_committed_meanwhile_is_not_claimed_again(
    store_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instance 2 looks for a lease under way to the URL and finds none; instance 1 then claims
    the oldest notification and commits, before instance 2's SELECT of the oldest due. Instance 2
    must lease neither that one (it would be delivered twice) nor the next (two under way to one
    URL). The interleaving the two-instance test above meets by chance, made every time."""
    first, _, endpoint = _store_with_a_due_notification(tmp_path, 0.2)
    second = open_store(first.url, lock_timeout=0.2)
    now = time.time()
    meanwhile: list[Any] = []
    looks = second._one

    def look_then_let_the_other_claim(sql: str, params: tuple[Any, ...]) -> Any:
        row = looks(sql, params)
        if sql.startswith("SELECT 1 FROM notifications WHERE url") and not meanwhile:
            other = threading.Thread(
                target=lambda: meanwhile.append(first.claim_notification(endpoint, now, now, now + 60))
            )  # a thread: a connection of its own, as another instance's
            other.start()
            other.join(10)
        return row

    monkeypatch.setattr(second, "_one", look_then_let_the_other_claim)
    try:
        claimed = second.claim_notification(endpoint, now, now, now + 60)
        claims = [(found.id, found.reference) for found in (claimed, *meanwhile) if found is not None]
        assert len(meanwhile) == 1 and len(claims) == 1, claims
        with first.transaction(write=False) as cursor:
            leases = cursor.execute("SELECT COUNT(*) FROM notifications WHERE lease_until IS NOT NULL").fetchone()
        assert leases[0] == 1
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_merchants_open_transaction_holds_up_no_delivery(store_kind: str, tmp_path: Path) -> None:
    """A transaction of the merchant's under way (an order being placed: its inserts hold a
    key-share lock of the merchant's row) neither hides its due notifications from a claim nor
    makes an attempt's record wait for it (and fail, STORE_BUSY, after the server's 0.2 s)."""
    import psycopg

    store, merchant_id, endpoint = _store_with_a_due_notification(tmp_path, 0.2)
    try:
        with psycopg.connect(store.url) as placing:
            placing.execute(
                "INSERT INTO notifications (merchant_id, kind, reference, event, test, made_at, url, algorithms,"
                " fields, state, attempts, due_at, ladder_at, ladder_base) VALUES"
                " (%s, 'IPN', '3', 'COMPLETE', true, 0, %s, '[]', '[]', 'pending', 0, 0, 0, 0)",
                (merchant_id, endpoint),
            )  # not committed: the merchant's row is key-share locked until it is
            now = time.time()
            claimed = store.claim_notification(endpoint, now, now, now + 60)
            assert claimed is not None and claimed.reference == "1"
            with store.transaction():
                locked = store.notification(claimed.id, lock=True)  # as an attempt's record reads it
            assert locked is not None and locked.id == claimed.id
            placing.rollback()
    finally:
        store.close()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_an_attempts_record_waits_for_a_row_lock(store_kind: str, tmp_path: Path) -> None:
    """The notification's row locked by another (an operator's transaction, say) while its attempt
    is under way, for longer than a server's call waits for a lock (0.2 s): the attempt is kept
    once the lock goes, not lost to STORE_BUSY and made again when its lease runs out (7 s)."""
    import psycopg

    secret = secrets.token_urlsafe(24)
    db = new_store_url(store_kind, tmp_path)
    with running_handler(secret) as handler, run_twoco("LOCKED", secret, db=db, notify_timeout=1) as twoco:
        locked = threading.Event()

        def hold_the_row(path: str) -> None:
            with psycopg.connect(db, autocommit=False) as holder:
                holder.execute(
                    "SELECT id FROM notifications WHERE url = %s AND lease_until IS NOT NULL FOR UPDATE",
                    (handler.url + path,),
                )
                locked.set()
                time.sleep(1.0)
                holder.rollback()

        answer = handler.answer

        def answer_once_locked(path: str, pairs: list[tuple[str, str]]) -> tuple[int, str]:
            if path == "/ipn" and not locked.is_set():
                threading.Thread(target=hold_the_row, args=(path,)).start()
                locked.wait(5)
            return answer(path, pairs)

        handler.answer = answer_once_locked  # type: ignore[method-assign]
        configure(twoco.url, "LOCKED", handler.url)
        api = JsonRpcApi(twoco.url, "LOCKED", secret, "6.0")
        api.call("placeOrder", order())
        api.close()
        delivered = wait_until(
            lambda: inbox_when(twoco.url, lambda n: n["state"] == "delivered"), 4, "every notification delivered"
        )
        assert locked.is_set()
        for notification in delivered:
            history = detail(twoco.url, notification["id"])["history"]
            assert [(attempt["number"], attempt["delivered"]) for attempt in history] == [(1, True)]
        assert sorted(message_key(r) for r in handler.received) == sorted(set(map(message_key, handler.received)))


# --- 5: a restart resumes what was due ------------------------------------------------------------


def test_a_restarted_server_resumes_the_ladder(store_kind: str, tmp_path: Path) -> None:
    """A notification whose first attempt failed (no receipt) waits for its second; the server
    stopped and started again, nothing moved, it still waits; the clock moved, it is made."""
    secret = secrets.token_urlsafe(24)
    db = new_store_url(store_kind, tmp_path)
    with running_handler(secret) as handler:
        handler.mode = "none"  # answers 200 without a read receipt
        with run_twoco("LADDER", secret, db=db, notify_timeout=1) as twoco:
            configure(twoco.url, "LADDER", handler.url)
            api = JsonRpcApi(twoco.url, "LADDER", secret, "6.0")
            api.call("placeOrder", order())
            api.close()
            first = wait_until(
                lambda: inbox_when(twoco.url, lambda n: n["attempts"] == 1),
                5,
                "each notification tried once",
            )
        assert len(first) == 3 and len(handler.received) == 3
        for notification in first:
            assert notification["state"] == "pending"
            assert seconds_between(notification["made_at"], notification["next_attempt_at"]) == FIRST_RETRY

        with run_twoco("LADDER", secret, db=db, notify_timeout=1) as twoco:
            time.sleep(1.0)  # the deliveries look four times a second: nothing is due yet
            assert len(handler.received) == 3
            assert [n["attempts"] for n in inbox(twoco.url)] == [1, 1, 1]
            twoco.move_clock(FIRST_RETRY + 1)
            handler.wait_for(6, 5)
            second = wait_until(
                lambda: inbox_when(twoco.url, lambda n: n["attempts"] == 2),
                5,
                "each notification tried a second time",
            )
            for notification in second:
                assert notification["state"] == "pending"
                assert seconds_between(notification["made_at"], notification["next_attempt_at"]) == 300
                history = detail(twoco.url, notification["id"])["history"]
                assert [attempt["number"] for attempt in history] == [1, 2]
                assert all(not attempt["delivered"] for attempt in history)
        assert len(handler.received) == 6
        assert sorted(message_key(r) for r in handler.received[3:]) == sorted(
            message_key(r) for r in handler.received[:3]
        )


def lease_of(url: str, notification_id: int) -> float | None:
    store = open_store(url)
    try:
        with store.transaction(write=False):
            row = store._one("SELECT lease_until FROM notifications WHERE id = ?", (notification_id,))
        return None if row is None else row[0]
    finally:
        store.close()


@pytest.mark.slow
def test_a_server_stopped_mid_attempt_gives_the_notification_back(store_kind: str, tmp_path: Path) -> None:
    """An attempt cut short by a clean stop (SIGTERM, the end of run_twoco) is not counted and its
    lease let go: the next start tries it at once, not once the lease (2 x timeout + 5 s) runs out."""
    secret = secrets.token_urlsafe(24)
    db = new_store_url(store_kind, tmp_path)
    with running_handler(secret) as handler:
        handler.mode, handler.hang_seconds = "hang", 30.0
        with run_twoco("STOPS", secret, db=db, notify_timeout=10) as twoco:
            configure(twoco.url, "STOPS", handler.url)
            api = JsonRpcApi(twoco.url, "STOPS", secret, "6.0")
            api.call("placeOrder", order())
            api.close()
            handler.wait_for(1, 5)  # an attempt under way, hanging
        (hung,) = [n for n in stored_notifications(db) if n.url and n.url.endswith("/ipn")][:1]
        assert lease_of(db, hung.id) is None
        assert (hung.state, hung.attempts) == ("pending", 0)
