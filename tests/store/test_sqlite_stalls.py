"""A stalled SQLite store (issue 14, item 2), against a ``twoco serve`` process.

Another program holding SQLite's write lock (``BEGIN IMMEDIATE``): health, the WSDL and reads keep
answering, the waiting write ends STORE_BUSY after ``--lock-wait``. A frozen disk (``fsfreeze``
of an ext4 file system on a loop device, which needs root, as CI has): a write that reaches the
disk waits for it, and the next write ends STORE_BUSY, while health, the WSDL and reads keep
answering; the held write completes after the thaw. Once a stall ends, writes go
through again with no restart.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi, RestApi
from tests.data import customer_data
from tests.servers import Merchant, Server, start_server, stop_server, store_with_merchants

pytestmark = pytest.mark.slow  # stalls, waited out in real time

MERCHANT = Merchant("STALL", "stall-secret")
LOCK_WAIT = 1.0
STORE_TIMEOUT = 2.0


def timed(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def serve_store_in(folder: Path, tmp_path: Path) -> Server:
    url = store_with_merchants(f"sqlite:///{folder}/stall.sqlite3", {MERCHANT.code: MERCHANT.secret})
    return start_server(
        tmp_path,
        url,
        "--login-throttle",
        "off",
        "--lock-wait",
        str(LOCK_WAIT),
        "--store-timeout",
        str(STORE_TIMEOUT),
    )


@contextmanager
def serving(folder: Path, tmp_path: Path) -> Iterator[tuple[Server, JsonRpcApi, RestApi, int]]:
    """A server on a store in ``folder``, its clients logged in, and a customer in City "Before"."""
    server = serve_store_in(folder, tmp_path)
    try:
        with (
            JsonRpcApi(server.base_url, MERCHANT.code, MERCHANT.secret, "6.0") as rpc,
            RestApi(server.base_url, MERCHANT.code, MERCHANT.secret) as rest,
        ):
            yield server, rpc, rest, rpc.call("createCustomer", customer_data(City="Before"))
    finally:
        stop_server(server)
    assert "Traceback" not in server.log_path.read_text()


def rest_update(rest: RestApi, reference: int, city: str) -> httpx.Response:
    return rest.http.put(f"/customers/{reference}/", headers=rest.headers(), json={"City": city})


def refused_update(rest: RestApi, reference: int, code: str) -> tuple[httpx.Response, float]:
    """A REST update that must be refused with ``code`` (503); the answer and the seconds it took."""
    started = time.monotonic()
    answer = rest_update(rest, reference, "During")
    waited = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert answer.json()["error_code"] == code, answer.text
    return answer, waited


def assert_everything_but_writes_answers(server: Server, rpc: JsonRpcApi, reference: int, city: str) -> None:
    assert timed(lambda: server.get("/_twoco/health").raise_for_status()) < 1
    assert timed(lambda: server.get("/soap/6.0/?wsdl").raise_for_status()) < 1
    for _ in range(5):
        assert timed(lambda: rpc.call("getCustomerInformation", reference)) < 1
    assert rpc.call("getCustomerInformation", reference)["City"] == city


def test_another_programs_write_lock_stalls_no_read_and_ends_the_write_busy(tmp_path) -> None:
    with serving(tmp_path, tmp_path) as (server, rpc, rest, reference):
        other_program = sqlite3.connect(f"{tmp_path}/stall.sqlite3", isolation_level=None)
        other_program.execute("BEGIN IMMEDIATE")  # SQLite's write lock, held as long as it likes
        try:
            assert_everything_but_writes_answers(server, rpc, reference, "Before")
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(refused_update, rest, reference, "STORE_BUSY")
                time.sleep(0.2)
                assert not waiting.done()
                # While it waits: all of it well within one busy wait of SQLite's own (--lock-wait).
                assert timed(lambda: assert_everything_but_writes_answers(server, rpc, reference, "Before")) < 0.5
                answer, waited = waiting.result(timeout=30)
            assert answer.headers["retry-after"] == "1"
            assert LOCK_WAIT - 0.3 < waited < LOCK_WAIT + 2, waited
            with pytest.raises(Fault) as busy:
                rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "City": "X"})
            assert busy.value.code == "STORE_BUSY"
            assert_everything_but_writes_answers(server, rpc, reference, "Before")  # nothing was written
        finally:
            other_program.rollback()
            other_program.close()
        assert rest_update(rest, reference, "After").status_code == 200
        assert rpc.call("getCustomerInformation", reference)["City"] == "After"


@pytest.fixture
def freezable_disk(tmp_path) -> Iterator[Path]:
    """A 64 MiB ext4 file system on a loop device, mounted in the test's folder: fsfreeze-able."""
    image, mount = tmp_path / "disk.img", tmp_path / "disk"
    mount.mkdir()
    with open(image, "wb") as out:
        out.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["fsfreeze", "--unfreeze", str(mount)], check=False, capture_output=True)
        subprocess.run(["umount", str(mount)], check=False)


def test_a_frozen_disk_holds_only_the_write_that_reaches_it_which_completes_after_the_thaw(
    tmp_path, freezable_disk
) -> None:
    with serving(freezable_disk, tmp_path) as (server, rpc, rest, reference):
        subprocess.run(["fsfreeze", "--freeze", str(freezable_disk)], check=True)
        with ThreadPoolExecutor(1) as pool:
            try:
                assert_everything_but_writes_answers(server, rpc, reference, "Before")
                # A write reaches the disk and waits for it: its commit, on a thread, not the loop.
                write = pool.submit(rest_update, rest, reference, "During")
                time.sleep(1)
                assert not write.done()
                assert_everything_but_writes_answers(server, rpc, reference, "Before")
                # It holds the process's turn to write: the next write ends busy.
                with pytest.raises(Fault) as busy:
                    rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "City": "X"})
                assert busy.value.code == "STORE_BUSY"
            finally:
                subprocess.run(["fsfreeze", "--unfreeze", str(freezable_disk)], check=True)
            assert write.result(timeout=30).status_code == 200  # answered once it is on disk
        assert rpc.call("getCustomerInformation", reference)["City"] == "During"
        assert rest_update(rest, reference, "After").status_code == 200
        assert server.get("/_twoco/health").json()["store"]["state"] == "ok"
