"""Hostile and odd input: a documented error, fast, and the server stays up."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from tests.clients import now_utc
from tests.clients.api import JsonRpcApi, RestApi
from tests.data import customer_data
from tests.protocols.test_soap_wire import envelope, post_soap, raw_login, read_fault
from tests.servers import start_server, stop_server
from twoco.protocols.limits import MAX_DEPTH, MAX_ELEMENTS


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
    [
        ("Jo\\ud800e", "INVALID_PARAMETERS"),
        ("Jo\\uffffe", "INVALID_FIELD_VALUE"),
        ("Jo\\u0000e", "INVALID_FIELD_VALUE"),
    ],
)
def test_text_xml_cannot_carry_is_refused(server, merchant, text, code) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    payload = (
        '{"jsonrpc": "2.0", "id": 1, "method": "createCustomer", "params": ["%s", {"FirstName": "%s", "LastName": "L",'  # noqa: UP031 (JSON's braces)
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
    answer = rpc(
        server,
        b'{"jsonrpc": "2.0", "id": 1, "method": "getSubscription", "params": ["%s", "X"]}' % on_4.session.encode(),
        "6.0",
    )
    assert answer["error"]["data"]["error_code"] == "INVALID_SESSION"
    on_4.close()


def test_credit_sub_fields_left_out_keep_their_values(server, merchant) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    reference = api.call("createCustomer", customer_data(Credit={"Limit": 5.0, "Remaining": 2.0, "Currency": "eur"}))
    api.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Credit": {"Limit": 7.0}}, False)
    assert api.call("getCustomerInformation", reference, None)["Credit"] == {
        "Limit": 7.0,
        "Remaining": 2.0,
        "Currency": "EUR",
    }
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
    done = subprocess.run(
        [sys.executable, "-m", "twoco", "db", "upgrade", "--db", f"sqlite:///{db}"], capture_output=True
    )
    assert done.returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    done = subprocess.run(
        [sys.executable, "-m", "twoco", "db", "upgrade", "--db", f"sqlite:///{db}"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "newer than this twoco" in done.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (99,)


# --- XML attacks and limits: a Client fault, fast, and nothing read or expanded ------------------

LAUGHS = "".join(f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10))


def _soap_fault(server, body: bytes, seconds: float = 2.0, **headers: str) -> tuple[str, str, str]:
    started = time.monotonic()
    answer = post_soap(server, body, **headers)
    assert time.monotonic() - started < seconds, "a hostile request must be refused in bounded time"
    return read_fault(answer)


@pytest.mark.parametrize(
    "prolog",
    [
        f'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "lol">{LAUGHS}]>',  # billion laughs
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',  # a local file
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',  # an external DTD
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]>',  # parameter entity
    ],
)
def test_dtds_and_entities_are_refused(server, prolog) -> None:
    body = (prolog + envelope("<o:login><a>&e;&l9;</a></o:login>").decode().split("?>", 1)[1]).encode()
    faultcode, message, code = _soap_fault(server, body)
    assert (faultcode, code) == ("SOAP-ENV:Client", "MALFORMED_REQUEST") and "DTD" in message
    assert "root:" not in message


def test_xml_nesting_and_element_count_are_limited(server, merchant) -> None:
    session = raw_login(server, merchant)
    fits = "<a>" * 25 + "</a>" * 25  # the envelope's 3 levels, login, its parameter: 30 in all
    _, message, code = _soap_fault(server, envelope(f"<o:getSubscription><s>{session}</s>{fits}</o:getSubscription>"))
    assert code == "INVALID_PARAMETERS"  # read, then refused for its content, not its depth
    deep = "<a>" * (MAX_DEPTH + 1) + "</a>" * (MAX_DEPTH + 1)
    _, message, code = _soap_fault(server, envelope(f"<o:login>{deep}</o:login>"))
    assert code == "MALFORMED_REQUEST" and f"nested more than {MAX_DEPTH}" in message
    _, message, code = _soap_fault(server, envelope("<o:login>" + "<a/>" * MAX_ELEMENTS + "</o:login>"))
    assert code == "MALFORMED_REQUEST" and f"more than {MAX_ELEMENTS} elements" in message
    # 1 MiB of empty elements: still refused quickly.
    _, _, code = _soap_fault(server, envelope("<o:login>" + "<a/>" * 250_000 + "</o:login>"))
    assert code == "MALFORMED_REQUEST"


def test_multiref_values_cannot_multiply(server, merchant) -> None:
    """A value referred to many times (billion laughs through href) runs out of budget."""
    session = raw_login(server, merchant)
    items = '<item href="#big"/>' * 9_000
    body = envelope(
        f"<o:addSubscription><s>{session}</s><sub><Product><PriceOptionCodes>{items}</PriceOptionCodes></Product></sub>"
        f'</o:addSubscription><m id="big">{"x" * 800_000}</m>'
    )
    _, message, code = _soap_fault(server, body)
    assert code == "INVALID_PARAMETERS" and "multiRef" in message


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>'
            + envelope("<o:login><a>\xe9</a></o:login>").split(b"?>", 1)[1].decode().encode("latin-1"),
            "encoding 'ISO-8859-1'",
        ),
        ('<?xml version="1.0" encoding="UTF-16"?><x/>'.encode("utf-16"), "not UTF-8"),
        (envelope("<o:login><a>\xe9</a></o:login>").decode().encode("latin-1"), "not UTF-8"),
        (envelope("<o:login><a>x</a></o:login>")[:-20], "not well-formed"),
        (b"", "not well-formed"),
    ],
    ids=["declared-latin-1", "utf-16", "latin-1-bytes", "truncated", "empty"],
)
def test_bad_encodings_and_truncated_bodies_are_client_faults(server, body, reason) -> None:
    faultcode, message, code = _soap_fault(server, body)
    assert (faultcode, code) == ("SOAP-ENV:Client", "MALFORMED_REQUEST") and reason in message


def test_soap_content_type_and_soap_action(server, merchant) -> None:
    session = raw_login(server, merchant)
    call = envelope(f"<o:getSubscription><s>{session}</s><r>NOPE</r></o:getSubscription>")
    for content_type in ("application/json", "text/xml; charset=iso-8859-1", "text/plain"):
        answer = server.post("/soap/4.0/", content=call, headers={"Content-Type": content_type})
        assert read_fault(answer)[2] == "UNSUPPORTED_MEDIA_TYPE"
    for content_type in ("text/xml", "application/xml", 'text/xml; charset="UTF-8"', "application/soap+xml"):
        answer = server.post("/soap/4.0/", content=call, headers={"Content-Type": content_type})
        assert read_fault(answer)[2] == "SUBSCRIPTION_NOT_FOUND", content_type
    # SOAPAction: absent, empty, or naming the body's operation is fine; naming another is a fault.
    for action in (None, '""', '"urn:order#getSubscription"', "urn:order#getSubscription", '"something"'):
        headers = {} if action is None else {"SOAPAction": action}
        assert read_fault(post_soap(server, call, **headers))[2] == "SUBSCRIPTION_NOT_FOUND", action
    faultcode, message, code = read_fault(post_soap(server, call, SOAPAction='"urn:order#login"'))
    assert (faultcode, code) == ("SOAP-ENV:Client", "SOAP_ACTION_MISMATCH") and "#login'" in message


def test_soap_1_2_is_a_version_mismatch(server) -> None:
    body = envelope("<o:login/>").replace(
        b"http://schemas.xmlsoap.org/soap/envelope/", b"http://www.w3.org/2003/05/soap-envelope"
    )
    answer = server.post("/soap/4.0/", content=body, headers={"Content-Type": "application/soap+xml; charset=utf-8"})
    faultcode, message, code = read_fault(answer)
    assert (faultcode, code) == ("SOAP-ENV:VersionMismatch", "MALFORMED_REQUEST") and "SOAP 1.1" in message


# --- JSON-RPC and REST ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH}"),
        (b"[" * 100_000, "not valid JSON"),
        (b"[" + b",".join([b"1"] * (MAX_ELEMENTS + 1)) + b"]", f"more than {MAX_ELEMENTS}"),
        (b'{"jsonrpc": "2.0", "id": 1, "id": 2, "method": "login", "params": []}', "given twice"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "login", "params": [' + b"1" * 5000 + b"]}", "not valid JSON"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "login", "params": [1e999]}', "out of range"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "lo', "not valid JSON"),
        (b'\xff\xfe{"jsonrpc": "2.0"}', "not UTF-8"),
    ],
    ids=["deep", "very-deep", "wide", "duplicate-key", "huge-integer", "huge-float", "truncated", "not-utf-8"],
)
def test_json_rpc_bodies_are_bounded(server, payload, reason) -> None:
    answer = rpc(server, payload)
    assert answer["error"]["code"] == -32700 and answer["id"] is None
    assert reason in answer["error"]["message"]


def test_json_rpc_wrong_types_and_content_type(server, merchant) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    for params, reason in (
        ([api.session, "twelve"], "expected an integer"),
        ([api.session, 2**40], "out of range"),
        ([api.session, customer_data(City=["x"])], "expected a string"),
        ([api.session, 1, None, "extra"], "at most 3"),
    ):
        method = "createCustomer" if isinstance(params[1], dict) else "getCustomerInformation"
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer = rpc(server, json.dumps(payload).encode())
        assert answer["error"]["data"]["error_code"] == "INVALID_PARAMETERS" and reason in answer["error"]["message"]
    odd = server.post(
        "/rpc/4.0/", content=b'{"jsonrpc": "2.0", "id": 1, "method": "login"}', headers={"Content-Type": "text/plain"}
    )
    assert odd.status_code == 200 and odd.json()["error"]["data"]["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert odd.json()["error"]["code"] == -32600
    api.close()


def test_rest_bodies_are_checked_like_json_rpc(server, merchant) -> None:
    rest = RestApi(server.base_url, merchant.code, merchant.secret)
    headers = rest.headers()
    for content, content_type, status, code in (
        (b'{"FirstName": "A", "FirstName": "B"}', "application/json", 400, "MALFORMED_REQUEST"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "application/json", 400, "MALFORMED_REQUEST"),
        (json.dumps(customer_data(City={"x": 1})).encode(), "application/json", 400, "INVALID_PARAMETERS"),
        (json.dumps(customer_data()).encode(), "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (json.dumps(customer_data()).encode(), "application/json; charset=latin-1", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b"x" * (1024 * 1024 + 1), "application/json", 413, "REQUEST_TOO_LARGE"),
    ):
        answer = rest.http.post("/customers/", content=content, headers={**headers, "Content-Type": content_type})
        assert (answer.status_code, answer.json()["error_code"]) == (status, code), answer.text
    rest.close()


def test_the_body_limit_is_configurable(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/limit.sqlite3", "--max-body", "2000")
    try:
        small = server.post(
            "/rpc/4.0/", content=b"[" + b" " * 1990 + b"]", headers={"Content-Type": "application/json"}
        )
        assert small.json()["error"]["data"]["error_code"] == "INVALID_REQUEST"  # read: an empty batch

        def chunks():
            yield b"[" + b" " * 1500
            yield b" " * 1500 + b"]"

        for body in (b"[" + b" " * 2000 + b"]", chunks()):
            large = httpx.post(
                server.base_url + "/rpc/4.0/", content=body, headers={"Content-Type": "application/json"}
            )
            assert (large.status_code, large.json()["error_code"]) == (413, "REQUEST_TOO_LARGE")
            assert "2000 bytes" in large.json()["message"]
        assert server.get("/_twoco/health").status_code == 200
    finally:
        stop_server(server)
    refused = subprocess.run(
        [sys.executable, "-m", "twoco", "serve", "--max-body", "0"], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2 and "--max-body" in refused.stderr


def test_nul_in_a_lookup_names_nothing(server, merchant) -> None:
    """PostgreSQL text cannot hold NUL: a reference or merchant code with one is simply not found."""
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    payload = {"jsonrpc": "2.0", "id": 1, "method": "getSubscription", "params": [api.session, "AB\u0000"]}
    assert rpc(server, json.dumps(payload).encode())["error"]["data"]["error_code"] == "SUBSCRIPTION_NOT_FOUND"
    date = now_utc()
    login = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": [merchant.code + "\u0000", date, "0" * 32]}
    assert rpc(server, json.dumps(login).encode())["error"]["data"]["error_code"] == "AUTHENTICATION_FAILED"
    rest = RestApi(server.base_url, merchant.code, merchant.secret)
    answer = rest.http.get("/subscriptions/AB%00/", headers=rest.headers())
    assert (answer.status_code, answer.json()["error_code"]) == (404, "SUBSCRIPTION_NOT_FOUND")
    rest.close()
    api.close()


# --- what docs/ promises: UTF-8 only, text read back as stored, no 500 from sandbox pages ------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "latin-1"])
def test_json_bodies_that_are_not_utf8_are_refused_and_change_nothing(server, merchant, store, encoding) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "createCustomer",
        "params": [api.session, customer_data(City="Zürich")],
    }
    before = store_rows(store)
    answer = rpc(server, json.dumps(request, ensure_ascii=False).encode(encoding), "6.0")
    assert answer["error"]["data"]["error_code"] == "MALFORMED_REQUEST" and "not UTF-8" in answer["error"]["message"]
    rest = RestApi(server.base_url, merchant.code, merchant.secret)
    body = json.dumps(customer_data(City="Zürich"), ensure_ascii=False).encode(encoding)
    refused = rest.http.post(
        "/customers/", content=body, headers={**rest.headers(), "Content-Type": "application/json"}
    )
    assert (refused.status_code, refused.json()["error_code"]) == (400, "MALFORMED_REQUEST")
    assert store_rows(store) == before
    api.close()
    rest.close()


def store_rows(store) -> int:
    with store.transaction(write=False) as cursor:
        return cursor.execute("SELECT COUNT(*) FROM customers").fetchone()[0]


def test_a_carriage_return_stored_over_json_reads_back_over_soap(server, merchant) -> None:
    """SOAP writes CR as &#13;: written as itself, XML parsers hand it to the client as LF."""
    from tests.clients import PhpClient, SudsClient

    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    reference = api.call("createCustomer", customer_data(Address2="Flat 1\r\nLevel 2\rBack"))
    for client in (PhpClient(server.base_url), SudsClient(server.base_url)):
        session = client.login(merchant.code, merchant.secret)
        assert client.call("getCustomerInformation", session, reference, None)["Address2"] == "Flat 1\r\nLevel 2\rBack"
    assert api.call("getCustomerInformation", reference, None)["Address2"] == "Flat 1\r\nLevel 2\rBack"
    api.close()


@pytest.mark.parametrize(
    "path",
    [
        "/_twoco/customers?page=%C2%B2",
        "/_twoco/customers?q=%00",
        "/_twoco/customers?merchant=%00",
        "/_twoco/customers?q=%C2%B2",
        "/_twoco/customers/DEMO/%C2%B2",
        "/_twoco/customers/%00/1",
        "/_twoco/requests?limit=%C2%B2",
    ],
)
def test_sandbox_pages_answer_odd_input_without_an_internal_error(server, path) -> None:
    """Digits str.isdigit takes and int refuses ("²"), and NUL, which PostgreSQL text refuses."""
    answer = server.get(path)
    assert answer.status_code in (200, 400, 404), answer.text[:300]
