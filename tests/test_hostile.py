"""Hostile and odd input: a documented error, fast, and the server stays up."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.clients.api import JsonRpcApi, RestApi
from tests.conftest import start_server, stop_server
from tests.data import customer_data
from tests.test_soap_wire import envelope, post_soap, raw_login, read_fault


def rpc(server, payload: bytes, version: str = "4.0") -> dict:
    answer = server.post(f"/rpc/{version}/", content=payload, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    return answer.json()


def test_long_numbers_are_refused_without_parsing_them(server, merchant) -> None:
    session = raw_login(server, merchant)
    for digits in ("9" * 200_000 + "x", "1" * 5000):
        body = f"<o:getCustomerInformation><s>{session}</s><r>{digits}</r></o:getCustomerInformation>"
        _, message, code = read_fault(post_soap(server, envelope(body)))
        assert code == "INVALID_PARAMETERS" and "too long" in message
    answer = server.get("/rest/6.0/subscriptions/", params={"AvangateCustomerReference": "1" * 5000})
    assert answer.status_code == 401  # authentication comes first
    assert server.get("/_twoco/health").status_code == 200


def test_a_huge_authentication_header_is_refused(server) -> None:
    answer = server.get("/rest/6.0/customers/1/", headers={"X-Avangate-Authentication": "a" * 60_000})
    assert (answer.status_code, answer.json()["error_code"]) == (401, "AUTHENTICATION_ERROR")


def test_rest_path_segments_are_decoded_once(server, merchant) -> None:
    rest = RestApi(server.base_url, merchant.code, merchant.secret)
    slash = rest.call("createCustomer", customer_data(ExternalCustomerReference="a/b"))
    percent = rest.call("createCustomer", customer_data(ExternalCustomerReference="a%2Fb"))
    assert rest.call("getCustomerInformation", None, "a/b")["AvangateCustomerReference"] == slash
    assert rest.call("getCustomerInformation", None, "a%2Fb")["AvangateCustomerReference"] == percent
    rest.close()


@pytest.mark.parametrize(
    ("text", "code"),
    [("Jo\\ud800e", "INVALID_PARAMETERS"), ("Jo\\uffffe", "INVALID_FIELD_VALUE"), ("Jo\\u0000e", "INVALID_FIELD_VALUE")],
)
def test_text_xml_cannot_carry_is_refused(server, merchant, text, code) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    payload = (
        '{"jsonrpc": "2.0", "id": 1, "method": "createCustomer", "params": ["%s", {"FirstName": "%s", "LastName": "L",'
        ' "Address1": "A", "City": "C", "Zip": "Z", "CountryCode": "de", "Email": "a@b.de"}]}' % (api.session, text)
    )
    assert rpc(server, payload.encode())["error"]["data"]["error_code"] == code
    api.close()


def test_odd_json_rpc_ids_and_numbers(server) -> None:
    overflow = rpc(server, b'{"jsonrpc": "2.0", "id": 1e400, "method": "login", "params": []}')
    assert overflow["error"]["code"] == -32700
    surrogate_id = rpc(server, b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "nope", "params": []}')
    assert surrogate_id["error"]["code"] == -32601
    nan = rpc(server, b'{"jsonrpc": "2.0", "id": NaN, "method": "login", "params": []}')
    assert nan["error"]["code"] == -32700


def test_sessions_belong_to_their_api_version(server, merchant) -> None:
    on_4 = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    answer = rpc(server, b'{"jsonrpc": "2.0", "id": 1, "method": "getSubscription", "params": ["%s", "X"]}' % on_4.session.encode(), "6.0")
    assert answer["error"]["data"]["error_code"] == "INVALID_SESSION"
    on_4.close()


def test_credit_sub_fields_left_out_keep_their_values(server, merchant) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    reference = api.call("createCustomer", customer_data(Credit={"Limit": 5.0, "Remaining": 2.0, "Currency": "eur"}))
    api.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Credit": {"Limit": 7.0}}, False)
    assert api.call("getCustomerInformation", reference, None)["Credit"] == {"Limit": 7.0, "Remaining": 2.0, "Currency": "EUR"}
    api.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Credit": None}, False)
    assert api.call("getCustomerInformation", reference, None)["Credit"] is None
    api.close()


@pytest.mark.parametrize(
    "command",
    [b'{"advance": 1e300}', b'{"advance": NaN}', b'{"set": "0001-01-01T00:00:00+05:00"}', b'{"set": "soon"}', b"[]"],
)
def test_clock_commands_are_checked(server, command) -> None:
    answer = server.post("/_twoco/clock", content=command)
    assert (answer.status_code, answer.json()["error_code"]) == (400, "MALFORMED_REQUEST")
    assert server.get("/_twoco/clock").json()["offset_seconds"] == 0


def test_the_control_plane_can_be_turned_off(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/off.sqlite3", "--no-control-plane")
    try:
        assert server.get("/_twoco/health").status_code == 200
        moved = httpx.post(server.base_url + "/_twoco/clock", json={"advance": 86400})
        assert (moved.status_code, moved.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    finally:
        stop_server(server)


def test_a_store_from_a_newer_twoco_is_left_alone(tmp_path) -> None:
    db = tmp_path / "newer.sqlite3"
    done = subprocess.run([sys.executable, "-m", "twoco", "db", "upgrade", "--db", f"sqlite:///{db}"], capture_output=True)
    assert done.returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    done = subprocess.run(
        [sys.executable, "-m", "twoco", "db", "upgrade", "--db", f"sqlite:///{db}"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "newer than this twoco" in done.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (99,)
