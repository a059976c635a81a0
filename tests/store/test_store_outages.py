"""Outages answered as outages (issue 12, items 3 and 5).

A store that is down, frozen, full, read-only or whose file was replaced gives STORE_UNAVAILABLE
on every protocol (REST: 503 with Retry-After), one log line when the outage starts and one when
it ends, and `/_twoco/health` and `/_twoco/ready` say which; recovery needs no restart. The
faults are real: a PostgreSQL cluster of the test's own stopped, SIGSTOPped and set read-only; a
small tmpfs filled up; a store file deleted or replaced; `chattr +i` (these need root, as CI has).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.clients import Fault, now_utc
from tests.clients.api import JsonRpcApi, RestApi
from tests.data import customer_data
from tests.private_postgres import PrivatePostgres
from tests.protocols.test_soap_wire import envelope, post_soap, raw_login, read_fault
from tests.servers import (
    POSTGRES_ONLY,
    Merchant,
    Server,
    start_server,
    stop_server,
    store_with_merchants,
    twoco_command,
)
from twoco.core.auth import login_hash

pytestmark = pytest.mark.slow  # real outages of the store, waited out

MERCHANT = Merchant("OUTAGE", "outage-secret")


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    yield postgres
    postgres.remove()


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 2 MiB tmpfs, to fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the file that holds the space."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass  # ENOSPC: full
    return filler


@dataclass
class Served:
    """A server on the store, and a client of each protocol logged in, with one customer."""

    server: Server
    rpc: JsonRpcApi
    rest: RestApi
    soap_session: str
    reference: int


@contextmanager
def served(tmp_path: Path, url: str, *options: str) -> Iterator[Served]:
    store_with_merchants(url, {MERCHANT.code: MERCHANT.secret})
    server = start_server(tmp_path, url, "--login-throttle", "off", *options)
    try:
        with (
            JsonRpcApi(server.base_url, MERCHANT.code, MERCHANT.secret, "6.0") as rpc,
            RestApi(server.base_url, MERCHANT.code, MERCHANT.secret) as rest,
        ):
            reference = rpc.call("createCustomer", customer_data(City="Before"))
            yield Served(server, rpc, rest, raw_login(server, MERCHANT), reference)
    finally:
        stop_server(server)


def update(rpc: JsonRpcApi, reference: int, city: str) -> object:
    return rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "City": city}, False)


def rpc_error(rpc: JsonRpcApi, method: str, *params: object) -> dict:
    answer = rpc.http.post("", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": [rpc.session, *params]})
    return answer.json()["error"]


def health(server) -> dict:
    answer = server.get("/_twoco/health")
    assert answer.status_code == 200, answer.text  # alive, whatever the store's state
    return answer.json()


def assert_unavailable_everywhere(served: Served, state: str) -> None:
    server, rpc, rest, soap_session, reference = (
        served.server,
        served.rpc,
        served.rest,
        served.soap_session,
        served.reference,
    )
    error = (
        rpc_error(rpc, "getCustomerInformation", reference, None)
        if state in ("down", "slow")
        else rpc_error(rpc, "updateCustomerInformation", {"AvangateCustomerReference": reference, "City": "No"}, False)
    )
    assert (error["code"], error["data"]["error_code"]) == (16001, "STORE_UNAVAILABLE"), error
    assert f"({state})" in error["message"]
    method, body = ("GET", None) if state in ("down", "slow") else ("PUT", {"City": "No"})
    answer = rest.http.request(method, f"/customers/{reference}/", headers=rest.headers(), json=body)
    assert (answer.status_code, answer.json()["error_code"], answer.headers.get("retry-after")) == (
        503,
        "STORE_UNAVAILABLE",
        "5",
    ), answer.text
    call = (
        f"<o:getCustomerInformation><s>{soap_session}</s><r>{reference}</r></o:getCustomerInformation>"
        if state in ("down", "slow")
        else f"<o:updateCustomerInformation><s>{soap_session}</s><c><AvangateCustomerReference>{reference}"
        "</AvangateCustomerReference><City>No</City></c></o:updateCustomerInformation>"
    )
    faultcode, message, code = read_fault(post_soap(server, envelope(call)))
    assert (faultcode.split(":")[-1], code) == ("Server", "STORE_UNAVAILABLE") and f"({state})" in message


def log_lines(server, text: str) -> int:
    return server.log_path.read_text().count(text)


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_postgresql_down_is_an_outage_logged_once_and_over_without_a_restart(store_kind, cluster, tmp_path) -> None:
    with served(tmp_path, cluster.url) as it:
        server = it.server
        cluster.stop()
        for _ in range(10):
            assert_unavailable_everywhere(it, "down")
        store = health(server)
        assert store["status"] == "degraded" and store["store"]["state"] == "down"
        assert store["store"]["refused_calls"] >= 30
        ready = server.get("/_twoco/ready")
        assert (ready.status_code, ready.json()["ready"], ready.headers["retry-after"]) == (503, False, "5")
        assert log_lines(server, "store unavailable (down)") == 1
        assert "Traceback" not in server.log_path.read_text()

        cluster.start()
        assert update(it.rpc, it.reference, "After") is True  # the same session, no restart
        assert it.rpc.call("getCustomerInformation", it.reference, None)["City"] == "After"
        assert health(server)["store"]["state"] == "ok" and server.get("/_twoco/ready").status_code == 200
        assert log_lines(server, "store available again") == 1


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_frozen_postgresql_holds_no_call_for_ever_and_health_answers_meanwhile(store_kind, cluster, tmp_path) -> None:
    # --store-timeout 1: a server that answers nothing is given up after 1 + 3 seconds.
    with served(tmp_path, cluster.url, "--store-timeout", "1") as it:
        frozen_calls_end_and_health_answers(cluster, it)


def frozen_calls_end_and_health_answers(cluster: PrivatePostgres, it: Served) -> None:
    server = it.server
    answers: list[tuple[str, float]] = []

    def reader() -> None:
        started = time.monotonic()
        date = now_utc()
        login = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "login",
            "params": [MERCHANT.code, date, login_hash(MERCHANT.secret, MERCHANT.code, date, "sha256"), "sha256"],
        }
        with httpx.Client(timeout=60) as http:  # a login reads the merchant from the store
            body = http.post(f"{server.base_url}/rpc/6.0/", json=login).json()
        answers.append((body["error"]["data"]["error_code"] if "error" in body else "ok", time.monotonic() - started))

    try:
        cluster.freeze()
        readers = [threading.Thread(target=reader) for _ in range(20)]  # more than its connections (16)
        for thread in readers:
            thread.start()
        time.sleep(0.5)
        for path in ("/_twoco/health", "/soap/6.0/?wsdl", "/rest/6.0/openapi.json"):
            started = time.monotonic()
            assert server.get(path).status_code == 200
            assert time.monotonic() - started < 1, path
        for thread in readers:
            thread.join(40)
        assert len(answers) == 20
        assert {code for code, _ in answers} == {"STORE_UNAVAILABLE"}, answers
        assert max(seconds for _, seconds in answers) < 30, answers
        assert health(server)["store"]["state"] in ("slow", "down")
    finally:
        cluster.thaw()
    deadline = time.monotonic() + 20
    while True:  # the connections the freeze broke are made anew
        try:
            assert update(it.rpc, it.reference, "Thawed") is True
            break
        except Fault as fault:
            assert fault.code == "STORE_UNAVAILABLE" and time.monotonic() < deadline
            time.sleep(0.2)
    assert health(server)["store"]["state"] == "ok"
    assert "Traceback" not in server.log_path.read_text()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_read_only_postgresql_refuses_writes_reads_go_on_and_logins_work(store_kind, cluster, tmp_path) -> None:
    with served(tmp_path, cluster.url) as it:
        server = it.server
        cluster.execute("ALTER SYSTEM SET default_transaction_read_only = on")
        cluster.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # every backend has read the new configuration
        assert_unavailable_everywhere(it, "read-only")
        assert it.rpc.call("getCustomerInformation", it.reference, None)["City"] == "Before"
        # A login cannot write its session: this process keeps it, and it reads (see docs/store.md).
        with JsonRpcApi(server.base_url, MERCHANT.code, MERCHANT.secret, "6.0") as late:
            assert late.call("getCustomerInformation", it.reference, None)["City"] == "Before"
            state = health(server)["store"]
            assert state["state"] == "read-only" and "writes are refused" in state["advice"]
            assert server.get("/_twoco/ready").status_code == 200  # reads go on: keep sending them
            cluster.execute("ALTER SYSTEM RESET default_transaction_read_only")
            cluster.execute("SELECT pg_reload_conf()")
            time.sleep(0.5)
            assert update(late, it.reference, "After") is True
        assert health(server)["store"]["state"] == "ok"
        assert log_lines(server, "store unavailable (read-only)") == 1
        assert "Traceback" not in server.log_path.read_text()


# --- SQLite -------------------------------------------------------------------------------


def test_a_full_disk_refuses_writes_reads_go_on_and_freed_space_ends_it(small_disk, tmp_path) -> None:
    with served(tmp_path, f"sqlite:///{small_disk}/twoco.sqlite3") as it:
        server, rpc = it.server, it.rpc
        filler = fill(small_disk)
        refused = None
        for n in range(200):  # the write-ahead log grows into the last free pages, then cannot
            try:
                update(rpc, it.reference, f"Full{n}" + "x" * 200)
            except Fault as fault:
                refused = fault
                break
        assert refused is not None and refused.code == "STORE_UNAVAILABLE" and "(full)" in refused.message
        assert_unavailable_everywhere(it, "full")
        assert rpc.call("getCustomerInformation", it.reference, None)["City"].startswith(("Full", "Before"))
        assert health(server)["store"]["state"] == "full" and server.get("/_twoco/ready").status_code == 200
        filler.unlink()
        assert update(rpc, it.reference, "After") is True
        assert rpc.call("getCustomerInformation", it.reference, None)["City"] == "After"
        assert health(server)["store"]["state"] == "ok"
        assert log_lines(server, "store unavailable (full)") == 1 and log_lines(server, "store available again") == 1
        assert "Traceback" not in server.log_path.read_text()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_store_file_deleted_or_replaced_while_serving_refuses_writes(how, tmp_path) -> None:
    path = tmp_path / "store.sqlite3"
    with served(tmp_path, f"sqlite:///{path}") as it:
        if how == "deleted":
            path.unlink()
        else:
            shutil.copy(path, tmp_path / "copy.sqlite3")
            os.replace(tmp_path / "copy.sqlite3", path)
        for _ in range(3):
            lost = {"AvangateCustomerReference": it.reference, "City": "Lost"}
            error = rpc_error(it.rpc, "updateCustomerInformation", lost, False)
            assert (error["code"], error["data"]["error_code"]) == (16001, "STORE_UNAVAILABLE")
            assert "(replaced)" in error["message"]
        state = health(it.server)["store"]
        assert state["state"] == "replaced" and how in state["detail"] and "restart twoco" in state["advice"]
        assert it.server.get("/_twoco/ready").status_code == 503
        assert log_lines(it.server, "store unavailable (replaced)") == 1
        assert "Traceback" not in it.server.log_path.read_text()


def test_start_up_on_a_full_disk_prints_one_line_and_exits(small_disk) -> None:
    fill(small_disk)
    result = twoco_command("db", "upgrade", "--db", f"sqlite:///{small_disk}/new.sqlite3")
    assert result.returncode == 1, result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("twoco: the store is full"), result.stderr


def test_start_up_on_an_immutable_store_file_prints_one_line_and_exits(tmp_path) -> None:
    path = tmp_path / "store.sqlite3"
    store_with_merchants(f"sqlite:///{path}", {MERCHANT.code: MERCHANT.secret})
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        result = twoco_command("serve", "--port", "0", "--db", f"sqlite:///{path}")
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert result.returncode == 1, result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("twoco: the store is "), result.stderr
