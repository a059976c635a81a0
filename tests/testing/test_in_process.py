"""twoco.testing.in_process: the app ``twoco serve`` builds, answering an httpx transport in this process."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest

from tests.data import customer_data
from tests.servers import new_store_url
from twoco.client import Client, TwoCheckoutError
from twoco.core.settings import Settings
from twoco.store import open_store
from twoco.testing import InProcessTransport, in_process


@pytest.mark.parametrize("protocol", ["soap", "jsonrpc", "rest"])
def test_a_client_over_the_transport_speaks_every_protocol(protocol: str) -> None:
    with in_process() as twoco, httpx.Client(transport=twoco.transport) as http:
        client = Client(twoco.url, twoco.merchant_code, twoco.secret_key, protocol, http=http)
        reference = client.create_customer(customer_data())
        assert client.get_customer_information(reference)["Email"] == "ada@example.com"
        with pytest.raises(TwoCheckoutError) as caught:
            client.get_subscription("0000000000")
        assert caught.value.code == "SUBSCRIPTION_NOT_FOUND"


def test_its_clients_follow_the_moved_clock_and_reset() -> None:
    with in_process("SHOP", "s3cret", settings=Settings(login_throttle=None)) as twoco:
        client = twoco.client("jsonrpc")
        reference = client.create_customer(customer_data())
        session = client.session_id
        twoco.move_clock(601)  # every session expires; the client logs in again, on the server's clock
        assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
        assert client.session_id != session
        twoco.reset()
        with pytest.raises(TwoCheckoutError) as caught:
            client.get_customer_information(reference)
        assert caught.value.code == "CUSTOMER_NOT_FOUND"


def test_a_body_over_the_limit_is_refused_as_the_server_refuses_it() -> None:
    with in_process(max_body=100) as twoco:
        declared = twoco.http.post("/rpc/6.0/", content=b"x" * 101)  # Content-Length: 101
        streamed = twoco.http.post("/rpc/6.0/", content=iter([b"x" * 60, b"x" * 60]))  # chunked, no length
        for refused in (declared, streamed):
            assert (refused.status_code, refused.json()["error_code"]) == (413, "REQUEST_TOO_LARGE")
            assert refused.headers["connection"] == "close"
        assert "Content-Length" not in streamed.request.headers
        at_the_limit = twoco.http.post("/rpc/6.0/", content=b"{" + b" " * 99)
        assert (at_the_limit.status_code, at_the_limit.json()["error"]["data"]["error_code"]) == (
            200,
            "MALFORMED_REQUEST",
        )


def test_the_request_is_the_one_the_asgi_wrapper_builds(tmp_path: Path) -> None:
    log = io.StringIO()
    with in_process(log=log, url="https://api.example.test", client="203.0.113.7") as twoco:
        missing = twoco.http.get("/nothing/%2Fhere?x=1")  # the raw path, percent-encoded, without the query
        assert "/nothing/%2Fhere" in missing.json()["message"] and "x=1" not in missing.json()["message"]
        wsdl = twoco.http.get("/soap/6.0/?wsdl", headers={"Host": "other.example.test"})  # scheme and Host
        assert b'location="https://other.example.test/soap/6.0/"' in wsdl.content
        head = twoco.http.head("/soap/6.0/?wsdl")
        assert head.content == b"" and int(head.headers["content-length"]) > 1000
        rest = twoco.http.get("/rest/6.0/customers/1/", headers={"X-AVANGATE-Authentication": "garbage"})
        assert rest.json()["error_code"] == "AUTHENTICATION_ERROR"  # header names lower-cased: it was read
        journal = twoco.http.get("/_twoco/requests", params={"limit": "1"}).json()["requests"][0]
        assert journal["path"] == "/rest/6.0/customers/1/"
    lines = log.getvalue().splitlines()
    assert len(lines) == 5 and all(" 203.0.113.7 " in line for line in lines), lines
    assert "AUTHENTICATION_ERROR 401" in lines[3]


def test_an_injected_delay_is_slept() -> None:
    with in_process() as twoco:
        fault = {"operation": "login", "delay": 0.3}
        assert twoco.http.post("/_twoco/faults", json=fault).status_code == 200
        started = time.monotonic()
        twoco.client("jsonrpc").login()
        assert time.monotonic() - started >= 0.3


def test_a_store_of_its_own_keeps_its_data(store_kind: str, tmp_path: Path) -> None:
    db = new_store_url(store_kind, tmp_path)
    with in_process("KEEP", db=db) as twoco:
        reference = twoco.client("rest").create_customer(customer_data())
        key = twoco.secret_key
    with in_process("KEEP", db=db) as again:
        assert again.secret_key == key  # the merchant was there: its key is kept
        assert again.client("soap").get_customer_information(reference)["AvangateCustomerReference"] == reference
    with pytest.raises(ValueError, match="another secret key"), in_process("KEEP", "other", db=db):
        pass
    store = open_store(db)
    assert [merchant.code for merchant in store.merchants()] == ["KEEP"]
    store.close()


def test_without_a_merchant_the_store_gets_only_its_schema(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/bare.sqlite3"
    with in_process(None, db=db) as twoco:
        assert (twoco.merchant_code, twoco.secret_key) == ("", "")
        assert twoco.http.get("/_twoco/health").json()["status"] == "ok"
    store = open_store(db)
    assert store.merchants() == []
    store.close()


def test_the_transport_alone_over_an_app() -> None:
    with in_process() as twoco:
        transport = InProcessTransport(twoco.app, client="198.51.100.1")
        with httpx.Client(transport=transport, base_url="http://anywhere") as http:
            assert http.get("/_twoco/health").json()["status"] == "ok"
