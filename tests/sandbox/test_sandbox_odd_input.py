"""Odd values at every dashboard page and control-plane endpoint: never a 500, and the server stays up.

Each store kind gets a server of its own: the values below reset it, move its clock and inject faults.
"""

from __future__ import annotations

import http.client
import json
import re
import time

import pytest
from lxml import etree

from tests.clients import Fault
from tests.clients.api import JsonRpcApi, RestApi
from tests.protocols.test_soap_wire import envelope, raw_login
from tests.servers import Merchant, Server, new_store_url, start_server, stop_server
from twoco.sandbox.demo import DEMO_CUSTOMER
from twoco.server.process import DEMO_MERCHANT

CUSTOMER = str(DEMO_CUSTOMER["AvangateCustomerReference"])

# As they go into a URL: NUL, a digit int() refuses, a lone surrogate and a byte that is no UTF-8
# (both percent-encoded), numbers too large or negative, a long text, a bare %, CR LF, U+0085.
ODD_TEXTS = [
    "%00", "%C2%B2", "%ED%A0%80", "%FF", "9" * 400, "-1", "-99999999999999999999", "a" * 10_000, "%",
    "%25", "%0D%0A", "%C2%85", "1e999", "NaN", "", "0", "%2F..%2F", "<script>",
]  # fmt: skip

# As they go into a JSON body (a lone surrogate as the escape \ud800).
ODD_VALUES: list[object] = [
    None, True, False, 0, -1, 0.5, 1e308, -1e308, 10**30, -(10**30), 2**63, "", "\x00", "²", "\ud800",
    "a" * 10_000, "DEMO\x00", "login", "9999-12-31", "0001-01-01", "\t\r\n", [], {}, [None], {"": None},
]  # fmt: skip

ODD_BODIES = [
    b"\xff\xfe", b"\x00", b"[" * 100_000, b"1e999", b'{"a":' * 50 + b"1" + b"}" * 50, b"null", b'"x"', b"{" * 10_000,
    "\ufeff{}".encode(), b"- - - -",
]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(store_kind: str, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"odd-{store_kind}")
    running = start_server(tmp, new_store_url(store_kind, tmp))  # with the demo merchant and its customer
    yield running
    stop_server(running)


def send(server: Server, method: str, target: str, body: bytes | None = None) -> int:
    """The status of one request, its target sent exactly as written (http.client encodes nothing)."""
    return fetch(server, method, target, body)[0]


def fetch(server: Server, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def pages_of_merchant(server: Server, code: str) -> list[tuple[str, str, None]]:
    """The dashboard's pages showing what a merchant holds: its customer list and each customer's page."""
    listing = fetch(server, "GET", f"/_twoco/customers?merchant={code}")[1].decode()
    links = re.findall(r'href="(/_twoco/customers/[^"?]+)"', listing)
    return [("GET", target, None) for target in ["/_twoco/", f"/_twoco/customers?merchant={code}", *links]]


def refuse_no_500(server: Server, requests: list[tuple[str, str, bytes | None]]) -> None:
    logged = len(server.log_path.read_bytes())
    failures = []
    for method, target, body in requests:
        status = send(server, method, target, body)
        if status >= 500:
            failures.append(f"{status} {method} {target[:120]} {body[:200] if body else b''!r}")
    assert send(server, "GET", "/_twoco/health") == 200
    assert not failures, "\n".join(failures[:20])
    assert b"Traceback" not in server.log_path.read_bytes()[logged:]


def page_targets(odd: str) -> list[str]:
    return [
        f"/_twoco/?q={odd}",
        f"/_twoco/{odd}",
        f"/_twoco/customers?q={odd}",
        f"/_twoco/customers?merchant={odd}",
        f"/_twoco/customers?page={odd}",
        f"/_twoco/customers?q={odd}&merchant={DEMO_MERCHANT}&page={odd}",
        f"/_twoco/customers?{odd}={odd}",
        f"/_twoco/customers/{odd}",
        f"/_twoco/customers/{odd}/{CUSTOMER}",
        f"/_twoco/customers/{DEMO_MERCHANT}/{odd}",
        f"/_twoco/customers/{odd}/{odd}",
        f"/_twoco/customers/{DEMO_MERCHANT}/{CUSTOMER}?{odd}",
        f"/_twoco/journal?{odd}",
        f"/_twoco/static/{odd}",
        f"/_twoco/static/dashboard.css?{odd}",
        f"/_twoco/static/journal.js?v={odd}",
        f"/_twoco/health?{odd}",
        f"/_twoco/clock?{odd}",
        f"/_twoco/requests?limit={odd}",
        f"/_twoco/requests?merchant={odd}",
        f"/_twoco/requests?limit=5&merchant={odd}",
        f"/_twoco/faults?{odd}",
        f"/myaccount/?logintoken={odd}",
        f"/order/checkout.php?logintoken={odd}&PRODS={odd}",
        f"/support/{odd}?logintoken={odd}",
    ]


@pytest.mark.parametrize("odd", ODD_TEXTS, ids=lambda odd: odd[:12] or "empty")
def test_pages_and_queries_answer_odd_values_without_a_500(sandbox, odd) -> None:
    targets = page_targets(odd)
    refuse_no_500(
        sandbox,
        [("GET", target, None) for target in targets]
        + [("HEAD", target, None) for target in targets[:6]]
        + [("DELETE", f"/_twoco/requests?merchant={odd}", None), ("POST", f"/_twoco/customers?q={odd}", b"{}")],
    )


def commands(value: object) -> list[tuple[str, object]]:
    """Every control-plane command with ``value`` in each of its fields."""
    fixture_customer = {
        "FirstName": "Ada", "LastName": "L", "Address1": "A", "City": "C", "Zip": "Z", "CountryCode": "gb",
        "Email": "ada@example.com",
    }  # fmt: skip
    subscription = {"ExternalSubscriptionReference": "S-1", "StartDate": "2026-01-01", "ExpirationDate": "2027-01-01",
                    "Product": {"ProductCode": "PRO"}}  # fmt: skip

    def fixture(merchant=None, customer=None, subscription_fields=None) -> dict[str, object]:
        record = {"code": "ODD", "customers": [{**fixture_customer, **(customer or {})}], **(merchant or {})}
        if subscription_fields is not None:
            record["customers"][0]["subscriptions"] = [{**subscription, **subscription_fields}]  # type: ignore[index]
        return {"merchants": [record]}

    return [
        ("clock", {"advance": value}),
        ("clock", {"set": value}),
        ("clock", {"reset": value}),
        ("clock", value),
        ("reset", {"merchant": value}),
        ("reset", {"seed": value}),
        ("reset", value),
        ("faults", {"operation": value, "error": "INTERNAL_ERROR"}),
        ("faults", {"operation": "getSubscription", "error": value}),
        ("faults", {"operation": "getSubscription", "error": "SUBSCRIPTION_NOT_FOUND", "message": value}),
        ("faults", {"operation": "getSubscription", "error": "SUBSCRIPTION_NOT_FOUND", "count": value}),
        ("faults", {"operation": "getSubscription", "delay": value}),
        ("faults", value),
        ("fixtures", value),
        ("fixtures", {"merchants": value}),
        ("fixtures", {"merchants": [value]}),
        ("fixtures", fixture({"code": value})),
        ("fixtures", fixture({"secret_key": value})),
        ("fixtures", fixture({"secret_key": f"{value}-padded-to-be-long-enough" if isinstance(value, str) else value})),
        ("fixtures", fixture({"customers": value})),
        ("fixtures", fixture(customer={"FirstName": value})),
        ("fixtures", fixture(customer={"AvangateCustomerReference": value})),
        ("fixtures", fixture(customer={"ExternalCustomerReference": value})),
        ("fixtures", fixture(customer={"Credit": value})),
        ("fixtures", fixture(customer={"subscriptions": value})),
        ("fixtures", fixture(subscription_fields={"SubscriptionReference": value})),
        ("fixtures", fixture(subscription_fields={"ExternalSubscriptionReference": value})),
        ("fixtures", fixture(subscription_fields={"StartDate": value})),
        ("fixtures", fixture(subscription_fields={"Product": {"ProductCode": "PRO", "ProductQuantity": value}})),
        ("fixtures", fixture(subscription_fields={"EndUser": value})),
    ]


@pytest.mark.parametrize("value", ODD_VALUES, ids=lambda value: repr(value)[:12])
def test_control_plane_bodies_with_odd_values_get_no_500(sandbox, value) -> None:
    requests = [("POST", f"/_twoco/{path}", json.dumps(command).encode()) for path, command in commands(value)]
    requests.append(("DELETE", "/_twoco/faults", None))
    try:
        refuse_no_500(sandbox, requests)
        refuse_no_500(sandbox, pages_of_merchant(sandbox, "ODD"))  # whatever a fixture could store, shown
    finally:
        send(sandbox, "DELETE", "/_twoco/faults")
        send(sandbox, "POST", "/_twoco/clock", b'{"reset": true}')


@pytest.mark.parametrize("body", ODD_BODIES, ids=lambda body: repr(body[:10]))
def test_control_plane_bodies_that_are_odd_themselves_get_no_500(sandbox, body) -> None:
    refuse_no_500(sandbox, [("POST", f"/_twoco/{path}", body) for path in ("clock", "reset", "fixtures", "faults")])


def test_a_yaml_alias_bomb_is_refused_quickly(sandbox) -> None:
    """Aliases cost nothing to parse but each one is walked again: nine levels of ten are 10^9 nodes."""
    levels = "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 10))
    body = f"l0: &l0 [lol]\n{levels}merchants: [*l9]\n".encode()
    started = time.monotonic()
    status = send(sandbox, "POST", "/_twoco/fixtures", body)
    assert status == 400 and time.monotonic() - started < 2
    assert send(sandbox, "GET", "/_twoco/health") == 200


def demo_merchant(server: Server) -> Merchant:
    """The demo merchant ``serve`` created, with the secret key it printed."""
    return Merchant(DEMO_MERCHANT, re.search(r"secret key: +(\S+)", server.log_path.read_text()).group(1))


def soap_fault_string(server: Server, merchant: Merchant) -> str:
    session = raw_login(server, merchant)
    body = envelope(f"<o:getSubscription><s>{session}</s><r>NOPE</r></o:getSubscription>")
    answer = send_soap(server, body)
    return etree.fromstring(answer).findtext(".//faultstring")  # the answer must be XML a client can read


def send_soap(server: Server, body: bytes) -> bytes:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", "/soap/4.0/", body=body, headers={"Content-Type": "text/xml"})
    answer = connection.getresponse()
    content = answer.read()
    connection.close()
    assert answer.getheader("content-type").startswith("text/xml"), content[:300]
    return content


@pytest.mark.parametrize("message", ["\ud800", "\x00", "\x1b", "\u0085", "multi\r\nline\ttext", "a" * 1000])
def test_an_injected_fault_message_reaches_every_protocol_as_given_or_is_refused(sandbox, message) -> None:
    """A message SOAP cannot write (a control character, a surrogate) is refused when the fault is made."""
    command = {"operation": "getSubscription", "error": "SUBSCRIPTION_NOT_FOUND", "message": message, "count": 3}
    status = send(sandbox, "POST", "/_twoco/faults", json.dumps(command).encode())
    try:
        if status == 400:
            assert re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", message)
            return
        assert status == 200
        merchant = demo_merchant(sandbox)
        assert soap_fault_string(sandbox, merchant) == message
        apis = (
            JsonRpcApi(sandbox.base_url, merchant.code, merchant.secret, "6.0"),
            RestApi(sandbox.base_url, merchant.code, merchant.secret),
        )
        for api in apis:
            with pytest.raises(Fault) as answered:
                api.call("getSubscription", "NOPE")
            api.close()
            assert (answered.value.code, answered.value.message) == ("SUBSCRIPTION_NOT_FOUND", message)
    finally:
        send(sandbox, "DELETE", "/_twoco/faults")
