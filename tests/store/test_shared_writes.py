"""SQLite's writes on the event loop (``twoco.store.sqlite_loop``): the commit runs on a thread,
and the calls that write while it runs share the next transaction, each in a savepoint.

A real server (``run_twoco``: uvicorn in a thread, over a socket) on a real SQLite file. Where a
test must hold a commit, it swaps the dialect's commit for one that waits on an event first: the
rest is the code that runs in production.
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
from tests.store.test_group_commit import customer_city, new_customer
from twoco.store.sqlite import SqliteDialect
from twoco.testing import TwocoServer, run_twoco

SECRET = "shared-writes-secret"


@pytest.fixture
def twoco() -> Iterator[TwocoServer]:
    with run_twoco("SHARED", SECRET) as server:
        yield server


class HeldCommits:
    """The server's shared commits, counted, the first made to wait until the test lets it go."""

    def __init__(self, dialect: SqliteDialect, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.commits = 0
        real_commit = dialect._commit_shared

        def held_commit(connection):  # type: ignore[no-untyped-def]
            self.commits += 1
            self.started.set()
            assert self.go.wait(30), "the test never let the commit go"
            return real_commit(connection)

        monkeypatch.setattr(dialect, "_commit_shared", held_commit)


def update(api: JsonRpcApi, reference: int, external: str, city: str) -> object:
    changes = {"AvangateCustomerReference": reference, "ExternalCustomerReference": external, "City": city}
    try:
        return api.call("updateCustomerInformation", {**customer_data(), **changes})
    except Fault as fault:
        return fault.code


def test_writes_made_during_a_commit_share_the_next_and_a_failing_one_changes_nothing(twoco, monkeypatch) -> None:
    with ExitStack() as closing:
        api = closing.enter_context(JsonRpcApi(twoco.url, "SHARED", SECRET, "6.0"))
        references = [new_customer(api, ExternalCustomerReference=f"SHARED-{n}") for n in range(8)]
        callers = [closing.enter_context(JsonRpcApi(twoco.url, "SHARED", SECRET, "6.0")) for _ in references]
        held = HeldCommits(twoco.app.store.dialect, monkeypatch)  # type: ignore[arg-type]
        with ThreadPoolExecutor(len(references) + 1) as pool, ExitStack() as releasing:
            releasing.callback(held.go.set)  # whatever fails, the server's commits go on
            first = pool.submit(new_customer, api)  # its commit holds: the updates below queue behind it
            assert held.started.wait(10)
            # The last names another customer's external reference: refused inside its savepoint.
            externals = [f"SHARED-{n}" for n in range(len(references) - 1)] + ["SHARED-0"]
            updates = [
                pool.submit(update, callers[n], reference, externals[n], f"City {n}")
                for n, reference in enumerate(references)
            ]
            time.sleep(0.3)
            # The loop serves reads and health meanwhile; the writes wait for the connection.
            assert customer_city(api, references[0]) == "London"
            assert httpx.get(f"{twoco.url}/_twoco/health", timeout=5).json()["store"]["state"] == "ok"
            assert not any(done.done() for done in updates)
            held.go.set()
            assert isinstance(first.result(timeout=10), int)
            answers = [done.result(timeout=10) for done in updates]
        assert answers == [True] * (len(references) - 1) + ["CUSTOMER_REFERENCE_MISMATCH"]
        assert held.commits == 2  # the held one, then one for every update that came meanwhile
        for n, reference in enumerate(references[:-1]):
            assert customer_city(api, reference) == f"City {n}"
        assert customer_city(api, references[-1]) == "London"  # the failing one changed nothing


def test_a_commit_held_by_the_disk_holds_no_other_call(twoco, monkeypatch) -> None:
    with ExitStack() as closing:
        api = closing.enter_context(JsonRpcApi(twoco.url, "SHARED", SECRET, "6.0"))
        reader = closing.enter_context(JsonRpcApi(twoco.url, "SHARED", SECRET, "6.0"))
        reference = new_customer(api)
        held = HeldCommits(twoco.app.store.dialect, monkeypatch)  # type: ignore[arg-type]
        with ThreadPoolExecutor(1) as pool, ExitStack() as releasing:
            releasing.callback(held.go.set)
            write = pool.submit(update, api, reference, "", "Paris")
            assert held.started.wait(10)
            started = time.monotonic()
            for _ in range(20):
                assert customer_city(reader, reference) == "London"  # not committed yet: not seen
            assert httpx.get(f"{twoco.url}/soap/6.0/?wsdl", timeout=5).status_code == 200
            assert time.monotonic() - started < 2
            assert not write.done()
            held.go.set()
            assert write.result(timeout=10) is True
        assert customer_city(reader, reference) == "Paris"
