"""SQLite's group commit (issue 14, item 2): commits are flushed to disk in groups, off the event
loop, and an update answers only once its flush is done.

Real SQLite files and a real server (``run_twoco``: uvicorn in a thread, over a socket). Where a
test must hold a flush open, it swaps the server's own flusher for one that waits on an event:
the rest is the code that runs in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi
from tests.data import customer_data
from twoco.client import TwoCheckoutError
from twoco.core.outage import UNFLUSHED, StoreUnconfirmed
from twoco.store import open_store
from twoco.store.wal_sync import CHECKPOINT_EVERY, WalSync
from twoco.testing import TwocoServer, run_twoco

SECRET = "group-commit-secret"


@pytest.fixture
def twoco() -> Iterator[TwocoServer]:
    with run_twoco("GROUP", SECRET) as server:
        yield server


@pytest.fixture
def closing() -> Iterator[ExitStack]:
    """Clients the test opens, closed at its end."""
    with ExitStack() as stack:
        yield stack


def wal_sync_of(server: TwocoServer) -> WalSync:
    wal_sync = server.app.store.dialect.wal_sync  # type: ignore[attr-defined]
    assert isinstance(wal_sync, WalSync)
    return wal_sync


class CountedFlushes:
    """Counts the flushes of a WalSync: each call of the flusher's ``_flush``, one per group of commits,
    counted once it has returned (as the commits it covered are answered only after that)."""

    def __init__(self, wal_sync: WalSync, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real_flush = wal_sync._flush

        def counted_flush() -> StoreUnconfirmed | None:
            try:
                return real_flush()
            finally:
                self.count += 1  # only the flusher thread calls it

        monkeypatch.setattr(wal_sync, "_flush", counted_flush)


class HeldFlushes:
    """The server's flusher, made to wait at each flush until the test lets it go."""

    def __init__(self, wal_sync: WalSync, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        real_flush = wal_sync._flush

        def held_flush() -> StoreUnconfirmed | None:
            self.started.set()
            assert self.go.wait(30), "the test never let the flush go"
            return real_flush()

        monkeypatch.setattr(wal_sync, "_flush", held_flush)


def customer_city(api: JsonRpcApi, reference: int) -> str:
    customer = api.call("getCustomerInformation", reference)
    assert isinstance(customer, dict)
    return str(customer["City"])


def new_customer(api: JsonRpcApi, **fields: object) -> int:
    reference = api.call("createCustomer", customer_data(**fields))
    assert isinstance(reference, int)
    return reference


def update_city(api: JsonRpcApi, reference: int, city: str) -> object:
    return api.call(
        "updateCustomerInformation", {**customer_data(), "AvangateCustomerReference": reference, "City": city}
    )


def test_a_lone_commit_is_flushed_without_waiting_for_others(tmp_path, monkeypatch) -> None:
    wal = tmp_path / "store.sqlite3-wal"
    wal.write_bytes(b"frames")
    wal_sync = WalSync(str(wal), checkpoint=lambda: None)
    flushes = CountedFlushes(wal_sync, monkeypatch)
    try:
        wal_sync.committed().result(timeout=10)  # no second commit comes to start it
        assert flushes.count == 1
    finally:
        wal_sync.close()


def test_commits_made_during_a_flush_share_the_next_one(tmp_path, monkeypatch) -> None:
    wal = tmp_path / "store.sqlite3-wal"
    wal.write_bytes(b"frames")
    wal_sync = WalSync(str(wal), checkpoint=lambda: None)
    flushes = CountedFlushes(wal_sync, monkeypatch)
    held = HeldFlushes(wal_sync, monkeypatch)
    try:
        first = wal_sync.committed()
        assert held.started.wait(10)  # the first flush runs, and holds
        later = [wal_sync.committed() for _ in range(20)]
        time.sleep(0.05)
        assert not first.done() and not any(done.done() for done in later)  # none answered before its flush
        held.go.set()
        first.result(timeout=10)
        for done in later:
            done.result(timeout=10)
        assert flushes.count == 2  # the 20 later commits shared one flush
    finally:
        held.go.set()
        wal_sync.close()


def test_a_failed_flush_fails_the_commits_it_covered_and_not_later_ones(tmp_path, monkeypatch) -> None:
    wal = tmp_path / "store.sqlite3-wal"
    wal.write_bytes(b"frames")
    wal_sync = WalSync(str(wal), checkpoint=lambda: None)
    outcomes = iter([StoreUnconfirmed(UNFLUSHED, "flushing failed: Input/output error"), None])
    monkeypatch.setattr(wal_sync, "_flush", lambda: next(outcomes))
    try:
        with pytest.raises(StoreUnconfirmed) as failed:
            wal_sync.committed().result(timeout=10)
        assert failed.value.code == "STORE_UNCONFIRMED" and failed.value.state == UNFLUSHED
        wal_sync.committed().result(timeout=10)  # the next flush worked: so does its commit
    finally:
        wal_sync.close()


def test_an_update_answers_after_its_flush_while_reads_and_health_answer_at_once(twoco, monkeypatch, closing) -> None:
    api = closing.enter_context(JsonRpcApi(twoco.url, "GROUP", SECRET, "6.0"))
    # Logged in now: a login writes its session, whose commit would wait for the held flush.
    reader = closing.enter_context(JsonRpcApi(twoco.url, "GROUP", SECRET, "6.0"))
    reference = new_customer(api)
    held = HeldFlushes(wal_sync_of(twoco), monkeypatch)
    with ThreadPoolExecutor(1) as pool:
        update = pool.submit(update_city, api, reference, "Paris")
        assert held.started.wait(10)
        time.sleep(0.1)
        assert not update.done()  # committed, not yet on disk: not acknowledged
        for _ in range(20):  # reads wait for no flush (they may see the commit: it is made)
            assert customer_city(reader, reference) in ("London", "Paris")
        assert httpx.get(f"{twoco.url}/_twoco/health", timeout=5).json()["store"]["state"] == "ok"
        assert httpx.get(f"{twoco.url}/soap/6.0/?wsdl", timeout=5).status_code == 200
        assert not update.done()
        held.go.set()
        assert update.result(timeout=10) is True
    assert customer_city(api, reference) == "Paris"


def test_a_failed_flush_answers_store_unconfirmed_on_every_protocol(twoco, monkeypatch, closing) -> None:
    clients = {
        protocol: closing.enter_context(twoco.client(protocol, "6.0")) for protocol in ("soap", "jsonrpc", "rest")
    }
    reference = clients["jsonrpc"].create_customer(customer_data())
    for client in clients.values():
        client.get_customer_information(reference)  # each logged in (SOAP, JSON-RPC) before flushes fail
    failure = StoreUnconfirmed(UNFLUSHED, "flushing twoco.sqlite3-wal failed: Input/output error")
    monkeypatch.setattr(wal_sync_of(twoco), "_flush", lambda: failure)
    for protocol, client in clients.items():
        with pytest.raises(TwoCheckoutError) as refused:
            client.update_customer_information({**customer_data(), "AvangateCustomerReference": reference})
        assert refused.value.code == "STORE_UNCONFIRMED", protocol
        assert "may or may not have been made" in str(refused.value), protocol
    health = httpx.get(f"{twoco.url}/_twoco/health", timeout=5).json()["store"]
    assert health["state"] == UNFLUSHED and health["refused_calls"] == 3
    monkeypatch.undo()
    assert clients["rest"].update_customer_information({**customer_data(), "AvangateCustomerReference": reference})
    assert httpx.get(f"{twoco.url}/_twoco/health", timeout=5).json()["store"]["state"] == "ok"


def test_a_failing_request_among_those_sharing_a_flush_changes_nothing_of_them(twoco, monkeypatch, closing) -> None:
    api = closing.enter_context(JsonRpcApi(twoco.url, "GROUP", SECRET, "6.0"))
    references = [new_customer(api, ExternalCustomerReference=f"SHARE-{n}") for n in range(8)]
    callers = [closing.enter_context(JsonRpcApi(twoco.url, "GROUP", SECRET, "6.0")) for _ in references]
    wal_sync = wal_sync_of(twoco)
    counted = CountedFlushes(wal_sync, monkeypatch)
    held = HeldFlushes(wal_sync, monkeypatch)

    def update(index: int) -> object:
        # The last one names another customer's external reference: refused inside its transaction,
        # once the stored customer is read.
        external = "SHARE-0" if index == len(references) - 1 else f"SHARE-{index}"
        changes = {"AvangateCustomerReference": references[index], "ExternalCustomerReference": external}
        changes["City"] = f"City {index}"
        try:
            return callers[index].call("updateCustomerInformation", {**customer_data(), **changes})
        except Fault as fault:
            return fault.code

    with ThreadPoolExecutor(len(references) + 1) as pool, ExitStack() as releasing:
        releasing.callback(held.go.set)  # whatever fails, the server's flusher goes on
        first = pool.submit(new_customer, api)  # its flush holds: the updates below pile up behind it
        assert held.started.wait(10)
        flushes = counted.count
        updates = [pool.submit(update, index) for index in range(len(references))]
        time.sleep(0.3)
        assert not any(done.done() for done in updates[:-1])  # committed, waiting for the next flush
        held.go.set()
        answers = [done.result(timeout=10) for done in updates]
        assert isinstance(first.result(timeout=10), int)
    assert answers[:-1] == [True] * (len(references) - 1)
    assert answers[-1] == "CUSTOMER_REFERENCE_MISMATCH"
    assert counted.count - flushes == 2  # the held one, then one for the seven commits made meanwhile
    for index, reference in enumerate(references[:-1]):
        assert customer_city(api, reference) == f"City {index}"
    assert customer_city(api, references[-1]) == "London"  # as created


def test_checkpoints_run_on_their_own_thread_not_in_a_commit(tmp_path, monkeypatch) -> None:
    store = open_store(f"sqlite:///{tmp_path}/checkpoints.sqlite3")
    store.migrate()
    dialect = store.dialect
    ran_on: list[str] = []
    real_checkpoint = dialect._checkpoint  # type: ignore[attr-defined]

    def recorded_checkpoint() -> None:
        ran_on.append(threading.current_thread().name)
        real_checkpoint()

    monkeypatch.setattr(dialect.wal_sync, "_checkpoint", recorded_checkpoint)  # type: ignore[attr-defined]
    try:
        for number in range(CHECKPOINT_EVERY * 2):
            store.add_merchant(f"M{number}", "key", "2026-01-01T00:00:00+00:00")
        deadline = time.monotonic() + 10
        while len(ran_on) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ran_on == ["twoco-checkpoint", "twoco-checkpoint"]
        with store.transaction(write=False) as cursor:  # the commits' own connections never checkpoint
            assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert len(store.merchants()) == CHECKPOINT_EVERY * 2
    finally:
        store.close()
