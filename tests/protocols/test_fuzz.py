"""Fuzzing every protocol with mutated requests: only documented answers, no crash, no stray change.

Valid requests for every registry operation (``tests.wire``) are mutated by hypothesis (byte flips,
truncation, insertions, type swaps, dropped, repeated and unknown fields, huge values, deep nesting,
wrong headers, hostile XML) and sent to the app ``twoco serve`` builds, in process (tests.servers.AppServer). Every
answer must be a success or an error from the catalogue, shaped as its protocol documents it;
the server must stay healthy with no traceback in its log; and a digest of the store's customers
and subscriptions must be unchanged by every rejected request. ``derandomize`` makes runs repeatable.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.clients.api import JsonRpcApi
from tests.data import customer_data, subscription_data
from tests.servers import AppServer, Merchant, new_store_url, start_app_server, stop_app_server
from tests.wire import (
    PROTOCOLS,
    SOAP_ENV,
    Pairs,
    RawRequest,
    Records,
    Wire,
    store_digest,
    valid_args,
)
from twoco.core.registry import Operation
from twoco.core.settings import Settings
from twoco.domains import REGISTRY
from twoco.store import open_store

pytestmark = pytest.mark.slow  # 10,000 fuzzed requests

# About 10,250 requests in all, shared between the protocol versions.
EXAMPLES_PER_PROTOCOL = int(os.environ.get("TWOCO_FUZZ_EXAMPLES", str(-(-10_250 // len(PROTOCOLS)))))
MINIMUM_REQUESTS = 10_000

WRONG_VALUES: list[object] = [
    0, -1, 2**31, 10**30, 1.5, -0.0, 1e308, True, False, None, "", " ", "0", "true", "x" * 300,
    [], {}, ["a"], {"a": 1}, [[[]]], "\x00", "\ud800", "\uffff", "<x/>", "&amp;", "]]>", "é",
]  # fmt: skip
CONTENT_TYPES = [
    "application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin-1",
    "text/xml; charset=iso-8859-1", "application/soap+xml", "multipart/form-data; boundary=x",
    "text/xml", "application/json", "application/xml", "*/*", "text/xml; charset=\"utf-8\"",
]  # fmt: skip
SOAP_12_ENV = "http://www.w3.org/2003/05/soap-envelope"
LAUGHS = "".join(f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10))
HOSTILE_PROLOGS = [
    f'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "lol">{LAUGHS}]>',  # billion laughs
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',  # external entity
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',  # external DTD
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<?xml version="1.1"?>',
    "\ufeff",
]


Draw = Callable[[st.SearchStrategy[object]], object]  # a composite strategy's draw: it prints nothing, unlike st.data()

# --- mutations of the argument tree -------------------------------------------------------


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every node of an argument tree, by its path of keys and indexes."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _replace(tree: object, path: tuple, change: Callable[[object, object], object]) -> object:
    """A copy of ``tree`` where the parent of ``path`` becomes ``change(parent, last key)``."""
    if len(path) == 1:
        return change(tree, path[0])
    parent = tree[path[0]]  # type: ignore[index]
    copy = dict(tree) if isinstance(tree, dict) else list(tree)  # type: ignore[call-overload]
    copy[path[0]] = _replace(parent, path[1:], change)
    return copy


def _set(container: object, key: object, value: object) -> object:
    copy = dict(container) if isinstance(container, dict) else list(container)  # type: ignore[call-overload]
    copy[key] = value
    return copy


def _drop(container: object, key: object) -> object:
    copy = dict(container) if isinstance(container, dict) else list(container)  # type: ignore[call-overload]
    del copy[key]
    return copy


def _dup(container: object, key: object) -> object:
    if isinstance(container, dict):
        return Pairs([*container.items(), (key, container[key])])
    return [*container, container[key]]  # type: ignore[index]


def _nest(value: object, depth: int, as_object: bool) -> object:
    for _ in range(depth):
        value = {"n": value} if as_object else [value]
    return value


# Drawn by name and built afterwards: hypothesis prints every draw, and printing 300,000 characters is slow.
HUGE_VALUES: dict[str, Callable[[], object]] = {
    "256 characters": lambda: "A" * 256,
    "5,000 characters": lambda: "A" * 5_000,
    "300,000 characters": lambda: "A" * 300_000,
    "10**30": lambda: 10**30,
    "10**400": lambda: 10**400,
    "2**63": lambda: 2**63,
    "1e308": lambda: 1e308,
    "-1e308": lambda: -1e308,
    "5e-324": lambda: 5e-324,
    "arrays 40 deep": lambda: _nest("x", 40, False),
    "objects 40 deep": lambda: _nest("x", 40, True),
    "arrays 300 deep": lambda: _nest("x", 300, False),
    "1,000 items": lambda: ["x"] * 1_000,
    "20,000 items": lambda: ["x"] * 20_000,
}


def mutate_args(draw: Draw, args: list[object]) -> list[object]:
    paths = [path for path in _paths(args) if path]
    if not paths:  # no argument to change (getProductGroups): an extra one
        return [*args, draw(st.sampled_from(WRONG_VALUES))]
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["swap", "text", "drop", "dup", "huge", "extra"]))
    if kind == "swap":
        value = draw(st.sampled_from(WRONG_VALUES))
        return _replace(args, path, lambda parent, key: _set(parent, key, value))  # type: ignore[return-value]
    if kind == "text":
        value = draw(st.text(max_size=40))
        return _replace(args, path, lambda parent, key: _set(parent, key, value))  # type: ignore[return-value]
    if kind == "drop":
        return _replace(args, path, _drop)  # type: ignore[return-value]
    if kind == "dup":
        return _replace(args, path, _dup)  # type: ignore[return-value]
    if kind == "huge":
        value = HUGE_VALUES[draw(st.sampled_from(sorted(HUGE_VALUES)))]()
        return _replace(args, path, lambda parent, key: _set(parent, key, value))  # type: ignore[return-value]
    name = draw(st.sampled_from(["Unknown", "FirstName", "AvangateCustomerReference", "__proto__"]))
    dicts = [p for p in _paths(args) if p and isinstance(_at(args, p), dict)]
    if dicts and draw(st.booleans()):
        where = draw(st.sampled_from(dicts))
        value = draw(st.sampled_from(WRONG_VALUES))
        return _replace(args, where, lambda parent, key: _set(parent, key, {**parent[key], name: value}))  # type: ignore[return-value, index]
    return [*args, draw(st.sampled_from(WRONG_VALUES))]


def _at(tree: object, path: tuple) -> object:
    for key in path:
        tree = tree[key]  # type: ignore[index]
    return tree


# --- mutations of the bytes and headers ---------------------------------------------------


def mutate_bytes(draw: Draw, raw: bytes) -> bytes:
    if not raw:
        return draw(st.binary(max_size=30))
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "repeat"]))
    position = draw(st.integers(0, len(raw) - 1))
    if kind == "flip":
        flipped = bytearray(raw)
        for offset in draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
            flipped[offset] = draw(st.integers(0, 255))
        return bytes(flipped)
    if kind == "truncate":
        return raw[:position]
    if kind == "insert":
        return raw[:position] + draw(st.binary(min_size=1, max_size=20)) + raw[position:]
    end = draw(st.integers(position, len(raw)))
    return raw[:end] + raw[position:end] + raw[end:]


def mutate_request(draw: Draw, wire: Wire, operation: Operation, request: RawRequest) -> RawRequest:
    kinds = ["bytes", "bytes", "content-type"]
    kinds += {"soap": ["soap-action", "xml"], "jsonrpc": ["json-rpc"], "rest": ["auth", "path"]}[wire.protocol]
    kind = draw(st.sampled_from(kinds))
    headers = dict(request.headers)
    if kind == "content-type":
        headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
        return RawRequest(request.method, request.path, headers, request.body)
    if kind == "soap-action":
        others = sorted(REGISTRY.operations_for(wire.version))
        action = draw(st.sampled_from([*(f'"urn:order#{name}"' for name in others), '""', "x#", "garbage"]))
        headers["SOAPAction"] = action
        return RawRequest(request.method, request.path, headers, request.body)
    if kind == "xml":
        return RawRequest(request.method, request.path, headers, _hostile_xml(draw, request.body))
    if kind == "json-rpc":
        return RawRequest(request.method, request.path, headers, _odd_json_rpc(draw, request.body))
    if kind == "auth":
        headers["X-Avangate-Authentication"] = draw(
            st.sampled_from(["", 'code="X"', wire.auth_header().replace("sha256", "md5"), wire.auth_header()[:-9]])
            | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),  # what HTTP lets through
        ).strip()
        return RawRequest(request.method, request.path, headers, request.body)
    if kind == "path" or not request.body:
        mutated = mutate_bytes(draw, request.path.encode()).decode("latin-1")[:8_000]
        return RawRequest(request.method, quote(mutated, safe="/?&=%"), headers, request.body)
    return RawRequest(request.method, request.path, headers, mutate_bytes(draw, request.body))


def _hostile_xml(draw: Draw, body: bytes) -> bytes:
    text = body.decode("utf-8", "surrogatepass").split("?>", 1)[1]
    kind = draw(st.sampled_from(["prolog", "soap-1.2", "utf-16", "deep", "entity", "xinclude"]))
    if kind == "prolog":
        return (draw(st.sampled_from(HOSTILE_PROLOGS)) + text).encode("utf-8", "surrogatepass")
    if kind == "soap-1.2":
        return body.replace(SOAP_ENV.encode(), SOAP_12_ENV.encode())
    if kind == "utf-16":
        return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16", "surrogatepass")
    if kind == "deep":
        depth = draw(st.integers(20, 300))
        return body.replace(b"</soapenv:Body>", b"<a>" * depth + b"</a>" * depth + b"</soapenv:Body>")
    if kind == "entity":
        return (HOSTILE_PROLOGS[1] + text.replace("<merchantCode>", "<merchantCode>&xxe;")).encode(
            "utf-8", "surrogatepass"
        )
    include = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'
    return body.replace(b"</soapenv:Body>", include.encode() + b"</soapenv:Body>")


def _odd_json_rpc(draw: Draw, body: bytes) -> bytes:
    kind = draw(
        st.sampled_from(["batch", "notification", "version", "method", "named", "bom", "dup-key", "scalar"]),
    )
    if kind == "batch":
        return b"[" + b",".join([body] * draw(st.integers(0, 5))) + b"]"
    if kind == "notification":
        return body.replace(b'"id":1,', b"")
    if kind == "version":
        return body.replace(b'"2.0"', draw(st.sampled_from([b'"1.0"', b"2.0", b"null", b'"2"'])))
    if kind == "method":
        return body.replace(b'"method":', b'"method":' + draw(st.sampled_from([b"1,", b"null,", b"[],"])) + b'"x":')
    if kind == "named":
        return body.replace(b'"params":[', b'"params":{"a":[').removesuffix(b"}") + b"}}"
    if kind == "bom":
        return b"\xef\xbb\xbf" + body
    if kind == "dup-key":
        return body.replace(b'"id":1,', b'"id":1,"id":2,')
    return draw(st.sampled_from([b"1", b'"x"', b"null", b"true", b"{}", b"[]", b""]))


@st.composite
def mutated_requests(draw: Draw, wire: Wire, records: Records) -> RawRequest:
    """A valid request for a registry operation, its arguments or its bytes and headers mutated (or not)."""
    operations = {
        name: op for name, op in REGISTRY.operations_for(wire.version).items() if wire.protocol != "rest" or op.route
    }
    operation = operations[draw(st.sampled_from(sorted(operations)))]  # type: ignore[index]
    args = wire.args(operation, valid_args(operation, records, wire.version))
    if draw(st.booleans()):
        args = mutate_args(draw, args)
    request = wire.build(operation, args)
    if draw(st.booleans()):
        request = mutate_request(draw, wire, operation, request)
    return request


# --- the run ------------------------------------------------------------------------------


def _records(server, merchant) -> Records:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    customer = api.call("createCustomer", customer_data(ExternalCustomerReference=f"FUZZ-{merchant.code}"))
    subscription = api.call("addSubscription", subscription_data(customer, f"FUZZ-{merchant.code}-S"))
    product = f"FUZZ-{merchant.code}-P"
    api.call("addProduct", {"ProductCode": product, "ProductName": "Fuzzed"})
    product_id = api.call("getProductByCode", product)["AvangateId"]
    api.close()
    return Records(
        merchant.code,
        merchant.secret,
        customer,
        f"FUZZ-{merchant.code}",
        subscription,
        f"FUZZ-{merchant.code}-S",
        product,
        product_id,
    )  # type: ignore[arg-type]


def fuzz_protocol(wire: Wire, records: Records, store) -> int:
    """Send EXAMPLES_PER_PROTOCOL generated requests on one protocol; the number sent."""
    state = {"digest": store_digest(store), "sent": 0}

    @settings(
        max_examples=EXAMPLES_PER_PROTOCOL,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated_requests(wire, records))
    def fuzz(request: RawRequest) -> None:
        answer = wire.send(request)
        state["sent"] += 1
        assert not answer.problems, answer
        digest = store_digest(store)
        if answer.failed:
            assert digest == state["digest"], f"rejected with {answer.error_code}, yet the store changed"
        state["digest"] = digest

    fuzz()
    return state["sent"]


@pytest.fixture
def fuzz_server(store_kind: str, tmp_path: Path) -> Iterator[AppServer]:
    """A server of its own, with the login throttle off: the fuzz's thousands of failed logins
    would otherwise refuse every later login from this address (tests/core/test_throttle.py and
    tests/sessions/test_auth_attacks.py cover the throttle)."""
    running = start_app_server(tmp_path, new_store_url(store_kind, tmp_path), settings=Settings(login_throttle=None))
    yield running
    stop_app_server(running)


def test_mutated_requests_get_documented_answers_and_change_nothing(fuzz_server: AppServer) -> None:
    server = fuzz_server
    store = open_store(server.db_url)
    merchant = Merchant("FUZZ", secrets.token_urlsafe(24))
    store.add_merchant(merchant.code, merchant.secret, "2026-01-01T00:00:00+00:00")
    records = _records(server, merchant)
    sent = 0
    with server.http_client(timeout=60) as http:
        for protocol in PROTOCOLS:
            started = time.monotonic()
            sent += fuzz_protocol(Wire(http, protocol, records), records, store)
            print(f"{protocol}: {time.monotonic() - started:.1f} s")
            assert http.get("/_twoco/health").status_code == 200, f"the server is unhealthy after {protocol}"
    assert sent >= MINIMUM_REQUESTS
    store.close()
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "INTERNAL_ERROR" not in log
