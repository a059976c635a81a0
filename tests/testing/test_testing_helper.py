"""twoco.testing and its pytest plugin: a real server in a background thread, reset between tests."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.data import customer_data
from tests.server.test_slow_clients import read_answer
from tests.servers import new_store_url
from twoco.client import Client, TwoCheckoutError
from twoco.testing import TwocoServer, run_twoco

ROOT = Path(__file__).parents[2]


def twoco_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("twoco-server-")]


def test_the_fixture_serves_every_protocol(twoco_server: TwocoServer) -> None:
    assert twoco_server.url.startswith("http://127.0.0.1:") and twoco_server.merchant_code == "TEST"
    assert httpx.get(f"{twoco_server.url}/_twoco/health").json()["status"] == "ok"
    for protocol, version in [
        ("soap", "4.0"),
        ("soap", "6.0"),
        ("jsonrpc", "4.0"),
        ("jsonrpc", "6.0"),
        ("rest", "6.0"),
    ]:
        with twoco_server.client(protocol, version) as client:
            reference = client.create_customer(customer_data())
            assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference


def test_the_client_follows_the_moved_clock(twoco_server: TwocoServer) -> None:
    with twoco_server.client("jsonrpc") as client:
        reference = client.create_customer(customer_data())
        session = client.session_id
        twoco_server.move_clock(601)
        assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
        assert client.session_id != session  # the first expired; the client logged in again
    # A client on real time, 601 s behind, is accepted too while the clock is moved (issue 24).
    real_time = Client(twoco_server.url, twoco_server.merchant_code, twoco_server.secret_key, "rest")
    with real_time:
        assert real_time.get_customer_information(reference)["AvangateCustomerReference"] == reference


def test_reset_empties_the_store_and_puts_the_clock_back(twoco_server: TwocoServer) -> None:
    other_secret = twoco_server.add_merchant("OTHER")
    with twoco_server.client("soap") as client:
        reference = client.create_customer(customer_data())
        client.add_subscription(
            {"AvangateCustomerReference": reference, "ExternalSubscriptionReference": "S1", "StartDate": "2026-01-01",
             "ExpirationDate": "2027-01-01", "Product": {"ProductCode": "P"},
             "EndUser": {"FirstName": "A", "LastName": "B", "Email": "a@b.co", "City": "C", "CountryCode": "ro"}}
        )  # fmt: skip
        stale_session = client.session_id
        twoco_server.move_clock(3600)

        twoco_server.reset()

        assert abs(twoco_server.now().timestamp() - time.time()) < 5
        with pytest.raises(TwoCheckoutError) as caught:
            client.call("getCustomerInformation", reference)
        assert caught.value.code == "CUSTOMER_NOT_FOUND"
        assert client.session_id != stale_session  # the old session went with the reset
    with Client(twoco_server.url, "OTHER", other_secret, "jsonrpc") as other:
        assert isinstance(other.create_customer(customer_data()), int)  # merchants stay


@pytest.fixture
def store_url(store_kind: str, tmp_path: Path) -> str:
    return new_store_url(store_kind, tmp_path)


def test_the_context_manager_stops_its_thread_and_removes_its_store(store_kind: str, store_url: str) -> None:
    before = twoco_threads()
    with run_twoco("SHOP", "shop-secret") as twoco:
        assert (twoco.merchant_code, twoco.secret_key) == ("SHOP", "shop-secret")
        assert len(twoco_threads()) == len(before) + 1
        with twoco.client("rest") as client:
            client.create_customer(customer_data())
        path = Path(twoco.db_url.removeprefix("sqlite:///"))
        assert path.exists()
        url = twoco.url
    assert twoco_threads() == before
    assert not path.exists() and not path.parent.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_twoco/health")

    with run_twoco("SHOP", "shop-secret", db=store_url) as twoco, twoco.client("soap", "4.0") as client:
        reference = client.create_customer(customer_data())  # a store of one's own stays
    with run_twoco("SHOP", db=store_url) as twoco:
        assert twoco.secret_key == "shop-secret"
        with twoco.client("soap", "4.0") as client:
            assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
    assert twoco_threads() == before
    if store_kind == "sqlite":
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("SELECT count(*) FROM customers").fetchone() == (1,)


def test_the_server_stops_when_the_block_raises() -> None:
    before = twoco_threads()
    with pytest.raises(ZeroDivisionError), run_twoco() as twoco:
        url = twoco.url
        raise ZeroDivisionError
    assert twoco_threads() == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_twoco/health")


def test_a_merchant_with_another_key_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shop.sqlite3"
    with run_twoco("SHOP", "one", db=url):
        pass
    with pytest.raises(ValueError, match="another secret key"), run_twoco("SHOP", "two", db=url):
        pass


USER_TESTS = """
from twoco.client import TwoCheckoutError

created = {}


def test_first(twoco_server):
    client = twoco_server.client("soap")
    created["reference"] = client.create_customer({
        "FirstName": "Ada", "LastName": "Lovelace", "Address1": "12 St James Sq", "City": "London",
        "Zip": "SW1Y 4JH", "CountryCode": "GB", "Email": "ada@example.com"})
    created["url"] = twoco_server.url


def test_second_sees_a_reset_store(twoco_server):
    assert twoco_server.url == created["url"]  # the same server, emptied
    try:
        twoco_server.client("jsonrpc").get_customer_information(created["reference"])
    except TwoCheckoutError as error:
        assert error.code == "CUSTOMER_NOT_FOUND"
    else:
        raise AssertionError("the customer survived the reset")
"""


@pytest.mark.slow  # a pytest run of its own, in a subprocess
def test_installed_twoco_gives_pytest_the_fixtures(pytester: pytest.Pytester, monkeypatch) -> None:
    """The pytest11 entry point pyproject.toml declares, in an installed distribution's
    metadata as setuptools writes it: a user's suite gets twoco_server without any -p."""
    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    site = pytester.mkdir("site")
    dist_info = site / "twoco_entry_point_check-0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: twoco-entry-point-check\nVersion: 0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[pytest11]\n{lines}")
    monkeypatch.setenv("PYTHONPATH", f"{site}:{ROOT / 'src'}")
    pytester.makepyfile(test_user=USER_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_it_serves_as_twoco_serve_does() -> None:
    """The same uvicorn protocol and settings: 431 for oversized headers, 408 for a stalled request."""
    with run_twoco(read_timeout=1) as twoco:
        host, port = twoco.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(b"GET /_twoco/health HTTP/1.1\r\nHost: twoco\r\nX-Padding: " + b"p" * 100 * 1024 + b"\r\n\r\n")
            assert read_answer(sock).startswith(b"HTTP/1.1 431 ")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /_twoco/health HTTP/1.1\r\nHost: twoco\r\n")  # and nothing more
            assert read_answer(sock).startswith(b"HTTP/1.1 408 ")
            assert time.monotonic() - started < 3
