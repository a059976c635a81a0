"""The sandbox control plane: reset, fixtures, the request journal and injected faults.

These tests run their own server per store kind (a full reset would wipe the shared one).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.auth_calls import credentials, fault_of, login
from tests.clients import Fault, SudsClient
from tests.clients.api import PROTOCOLS, JsonRpcApi
from tests.data import customer_data
from tests.servers import Server, new_store_url, start_server, stop_server

FIXTURE_FILE = Path(__file__).parents[2] / "examples" / "fixtures.yaml"


@pytest.fixture(scope="module")
def sandbox(store_kind: str, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"control-{store_kind}")
    running = start_server(tmp, new_store_url(store_kind, tmp))
    yield running
    stop_server(running)


@pytest.fixture(autouse=True)
def clean(sandbox: Server):
    yield
    httpx.delete(sandbox.base_url + "/_twoco/faults").raise_for_status()


@pytest.fixture
def connect(sandbox: Server):
    """Log in to the sandbox as a merchant over a protocol; every client is closed afterwards."""
    opened = []

    def make(code: str, secret: str, protocol: str = "jsonrpc-6.0"):
        api = PROTOCOLS[protocol](sandbox.base_url, code, secret)
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()


def add_merchant(server: Server, code: str, secret: str) -> None:
    fixture = {"merchants": [{"code": code, "secret_key": secret, "customers": []}]}
    server.post("/_twoco/fixtures", json=fixture).raise_for_status()


def customer_count(server: Server, api: JsonRpcApi, references: list[int]) -> int:
    found = 0
    for reference in references:
        try:
            api.call("getCustomerInformation", reference, None)
            found += 1
        except Fault as fault:
            assert fault.code == "CUSTOMER_NOT_FOUND"
    return found


# --- reset --------------------------------------------------------------------------


def test_reset_of_one_merchant_leaves_the_others(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "RESETA", "reset-a-secret-key")
    add_merchant(sandbox, "RESETB", "reset-b-secret-key")
    a = connect("RESETA", "reset-a-secret-key", "jsonrpc-6.0")
    b = connect("RESETB", "reset-b-secret-key", "jsonrpc-6.0")
    a_refs = [a.call("createCustomer", customer_data()) for _ in range(3)]
    b_refs = [b.call("createCustomer", customer_data()) for _ in range(2)]
    a.call("addProductGroup", {"Name": "Tools"})
    for api in (a, b):  # the same code in each merchant's catalogue
        api.call("addProduct", {"ProductCode": "RESET-P", "ProductName": "Kept or not"})

    answer = sandbox.post("/_twoco/reset", json={"merchant": "RESETA"})

    assert answer.status_code == 200
    assert answer.json()["deleted"] == {
        "notification_attempts": 0,
        "notifications": 0,
        "orders": 0,
        "subscriptions": 0,
        "customers": 3,
        "sessions": 1,
        "change_history": 3,
        "sso_tokens": 0,
        "products": 1,
        "product_groups": 1,
    }
    with pytest.raises(Fault) as refused:
        a.call("getCustomerInformation", a_refs[0], None)
    assert refused.value.code == "INVALID_SESSION"  # its sessions went too
    a = connect("RESETA", "reset-a-secret-key", "jsonrpc-6.0")  # the merchant stays
    assert customer_count(sandbox, a, a_refs) == 0
    assert customer_count(sandbox, b, b_refs) == 2
    with pytest.raises(Fault) as gone:
        a.call("getProductByCode", "RESET-P")
    assert gone.value.code == "PRODUCT_NOT_FOUND"
    assert [group["Name"] for group in a.call("getProductGroups")] == ["General"]
    assert b.call("getProductByCode", "RESET-P")["ProductName"] == "Kept or not"


def test_full_reset_deletes_every_customer_and_session_but_keeps_merchants(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "RESETC", "reset-c-secret-key")
    api = connect("RESETC", "reset-c-secret-key", "jsonrpc-4.0")
    reference = api.call("createCustomer", customer_data())

    answer = sandbox.post("/_twoco/reset")

    assert answer.status_code == 200 and answer.json()["deleted"]["customers"] >= 1
    api = connect("RESETC", "reset-c-secret-key", "jsonrpc-4.0")
    assert customer_count(sandbox, api, [reference]) == 0


def test_reset_with_a_seed_repeats_the_references(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "SEEDED", "seeded-secret-key")
    made = []
    for _ in range(2):
        sandbox.post("/_twoco/reset", json={"merchant": "SEEDED", "seed": 42}).raise_for_status()
        api = connect("SEEDED", "seeded-secret-key", "jsonrpc-6.0")
        made.append([api.call("createCustomer", customer_data()) for _ in range(3)])
    assert made[0] == made[1] and len(set(made[0])) == 3


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"merchant": "NOSUCH"}, 404, "MERCHANT_NOT_FOUND"),
        ({"merchant": "KEEP\u0000ME"}, 404, "MERCHANT_NOT_FOUND"),  # PostgreSQL text cannot even hold it
        ({"merchant": 12}, 400, "MALFORMED_REQUEST"),
        ({"seed": "x"}, 400, "MALFORMED_REQUEST"),
        ({"everything": True}, 400, "MALFORMED_REQUEST"),
        ([], 400, "MALFORMED_REQUEST"),
    ],
)
def test_a_bad_reset_is_refused_and_deletes_nothing(
    sandbox: Server, connect, body: object, status: int, code: str
) -> None:
    add_merchant(sandbox, "KEEPME", "keep-me-secret-key")
    api = connect("KEEPME", "keep-me-secret-key", "jsonrpc-6.0")
    reference = api.call("createCustomer", customer_data())

    answer = sandbox.post("/_twoco/reset", json=body)

    assert answer.status_code == status and answer.json()["error_code"] == code
    assert api.call("getCustomerInformation", reference, None)["AvangateCustomerReference"] == reference


def test_reset_only_takes_post(sandbox: Server) -> None:
    answer = sandbox.get("/_twoco/reset")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


# --- fixtures -----------------------------------------------------------------------


def test_the_example_fixture_loads_and_serves_over_soap(sandbox: Server) -> None:
    answer = sandbox.post("/_twoco/fixtures", content=FIXTURE_FILE.read_bytes())

    assert answer.status_code == 200, answer.text
    assert answer.json()["merchants"][0] == {"code": "ACME", "products": 2, "customers": 2, "subscriptions": 2}
    soap = SudsClient(sandbox.base_url, "4.0")
    session = soap.login("ACME", "acme-sandbox-secret-key")
    product = soap.call("getProductByCode", session, "ENGINE-PRO")
    assert product["AvangateId"] == 4590001 and product["SubscriptionInformation"]["BillingCycleUnits"] == "M"
    (pricing,) = product["PricingConfigurations"]
    assert pricing["Code"] == "ENGINEPRO1" and pricing["DefaultCurrency"] == "GBP"
    assert [(p["MinQuantity"], p["MaxQuantity"]) for p in pricing["Prices"]["Regular"]] == [(1, 4), (5, 99999)]
    assert soap.call("getProductByCode", session, "ENGINE-TRIAL")["Enabled"] is False
    customer = soap.call("getCustomerInformation", session, 100000001, None)
    assert customer["Email"] == "ada@example.com" and customer["Enabled"] is True
    subscriptions = soap.call("getCustomerSubscriptions", session, 100000001, None)
    by_reference = {item["SubscriptionReference"]: item for item in subscriptions}
    assert by_reference["ACME0000S1"]["EndUser"]["Email"] == "ada@example.com"  # the customer's own
    assert by_reference["ACME0000S2"]["EndUser"]["FirstName"] == "Charles"  # the fixture's


def test_loading_a_fixture_twice_leaves_the_same_store(sandbox: Server, connect) -> None:
    api_before = None
    for _ in range(2):
        sandbox.post("/_twoco/fixtures", content=FIXTURE_FILE.read_bytes()).raise_for_status()
        api = connect("ACME", "acme-sandbox-secret-key", "jsonrpc-6.0")
        customer = api.call("getCustomerInformation", None, "ACME-CUST-2")
        subscriptions = api.call("getCustomerSubscriptions", 100000001, None)
        assert len(subscriptions) == 2
        api_before = api_before or customer
    assert customer["Email"] == api_before["Email"] == "grace@example.com"


def test_a_json_fixture_with_a_new_merchant_answers_its_generated_key(sandbox: Server, connect) -> None:
    fixture = {"merchants": [{"code": "FRESHJSON", "customers": [customer_data(ExternalCustomerReference="F-1")]}]}
    answer = sandbox.post("/_twoco/fixtures", json=fixture)
    assert answer.status_code == 200
    (loaded,) = answer.json()["merchants"]
    api = connect("FRESHJSON", loaded["secret_key"], "jsonrpc-6.0")
    assert api.call("getCustomerInformation", None, "F-1")["LastName"] == "Lovelace"


@pytest.mark.parametrize(
    ("broken", "location", "words"),
    [
        ({"Email": "not-an-email"}, "merchants[0].customers[1]", "Email"),
        ({"Shoe": 42}, "merchants[0].customers[1]", "Shoe"),
        ({"AvangateCustomerReference": "abc"}, "merchants[0].customers[1]", "AvangateCustomerReference"),
        (
            {"subscriptions": [{"ExternalSubscriptionReference": "X"}]},
            "merchants[0].customers[1].subscriptions[0]",
            "StartDate",
        ),
        ({"ExternalCustomerReference": "DUP-1"}, "merchants[0].customers[1]", "taken"),
    ],
)
def test_a_bad_fixture_names_the_place_and_loads_nothing(
    sandbox: Server, connect, broken: dict[str, object], location: str, words: str
) -> None:
    add_merchant(sandbox, "BROKEN", "broken-secret-key")
    api = connect("BROKEN", "broken-secret-key", "jsonrpc-6.0")
    kept = api.call("createCustomer", customer_data(ExternalCustomerReference="KEPT"))
    good = customer_data(ExternalCustomerReference="DUP-1")
    bad = {**customer_data(), **broken}
    never_made = f"NEVER{secrets.token_hex(4)}"
    fixture = {"merchants": [{"code": "BROKEN", "customers": [good, bad]}, {"code": never_made, "customers": []}]}

    answer = sandbox.post("/_twoco/fixtures", json=fixture)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_FIXTURE"
    message = answer.json()["message"]
    assert location in message and words in message
    # Nothing loaded, nothing replaced: the old customer and session still work.
    assert api.call("getCustomerInformation", kept, None)["ExternalCustomerReference"] == "KEPT"
    with pytest.raises(Fault):
        api.call("getCustomerInformation", None, "DUP-1")
    again = sandbox.post("/_twoco/fixtures", json={"merchants": [{"code": never_made, "customers": []}]})
    assert "secret_key" in again.json()["merchants"][0]  # it was new: the failed load made nothing


def product_data(code: str, **overrides: object) -> dict[str, object]:
    return {"ProductCode": code, "ProductName": f"Product {code}", **overrides}


def test_fixture_products_replace_the_merchants_products(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "CATALOGUE", "catalogue-secret-key")
    api = connect("CATALOGUE", "catalogue-secret-key", "jsonrpc-6.0")
    assert api.call("addProduct", product_data("BY-API"))
    pricing = {"Code": "KEPTCODE01", "Prices": {"Regular": [{"Amount": 5, "Currency": "eur"}]}}
    products = [product_data("FIXED", AvangateId=7654321, PricingConfigurations=[pricing]), product_data("DRAWN")]
    fixture = {"merchants": [{"code": "CATALOGUE", "products": products, "customers": []}]}

    for _ in range(2):  # twice: the same catalogue
        answer = sandbox.post("/_twoco/fixtures", json=fixture)
        assert answer.status_code == 200, answer.text
        assert answer.json()["merchants"][0]["products"] == 2
        api = connect("CATALOGUE", "catalogue-secret-key", "jsonrpc-6.0")  # the reset ended the session
        found = api.call("searchProducts", {})["Items"]
        assert [product["ProductCode"] for product in found] == ["FIXED", "DRAWN"]  # BY-API went
        fixed, drawn = found
        assert fixed["AvangateId"] == 7654321 and 1_000_000 <= drawn["AvangateId"] <= 9_999_999
        (configuration,) = fixed["PricingConfigurations"]
        assert configuration["Code"] == "KEPTCODE01" and configuration["Default"] is True
        assert configuration["Prices"]["Regular"][0]["Currency"] == "EUR"  # normalised as addProduct does
        assert drawn["GroupName"] == "General" and drawn["Enabled"] is True  # addProduct's defaults


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ({"ProductName": None}, "ProductName"),
        ({"ProductType": "SHOE"}, "ProductType"),
        ({"GroupName": "Nowhere"}, "Nowhere"),
        ({"Shoe": 42}, "Shoe"),
        ({"AvangateId": 0}, "AvangateId"),
        ({"AvangateId": "abc"}, "AvangateId"),
        ({"PricingConfigurations": [{"Prices": {"Regular": [{"Currency": "USD"}]}}]}, "Amount"),
        ({"ProductCode": "GOOD"}, "ProductCode 'GOOD' is taken"),
        ({"AvangateId": 7000001}, "AvangateId 7000001 is taken"),
    ],
)
def test_a_bad_fixture_product_names_the_place_and_loads_nothing(
    sandbox: Server, connect, broken: dict[str, object], words: str
) -> None:
    add_merchant(sandbox, "BADPRODUCT", "bad-product-secret-key")
    api = connect("BADPRODUCT", "bad-product-secret-key", "jsonrpc-6.0")
    assert api.call("addProduct", product_data("KEPT"))
    bad = {**product_data("BAD"), **broken}
    products = [product_data("GOOD", AvangateId=7000001), {k: v for k, v in bad.items() if v is not None}]
    fixture = {"merchants": [{"code": "BADPRODUCT", "products": products}]}

    answer = sandbox.post("/_twoco/fixtures", json=fixture)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_FIXTURE"
    message = answer.json()["message"]
    assert "merchants[0].products[1]" in message and words in message, message
    assert [product["ProductCode"] for product in api.call("searchProducts", {})["Items"]] == ["KEPT"]


def test_a_failed_load_keeps_failed_logins_and_remembered_sessions(sandbox: Server, connect) -> None:
    """A load that fails half-way changes nothing: not the store, nor what the server keeps in memory."""
    add_merchant(sandbox, "COUNTED", "counted-secret-key")
    api = connect("COUNTED", "counted-secret-key", "jsonrpc-6.0")
    kept = api.call("createCustomer", customer_data())  # the session is remembered from here on
    address, protocol = "127.0.0.77", "jsonrpc-6.0"
    for _ in range(10):  # the default limit for a merchant code from one address
        failed = fault_of(sandbox.base_url, protocol, *credentials(protocol, "COUNTED", "a guess"), address)
        assert failed.code == "AUTHENTICATION_FAILED"
    fixture = {"merchants": [{"code": "COUNTED", "customers": []}, {"code": "not a code!", "customers": []}]}

    answer = sandbox.post("/_twoco/fixtures", json=fixture)

    assert answer.status_code == 400 and "merchants[1]" in answer.json()["message"], answer.text
    refused = fault_of(sandbox.base_url, protocol, *credentials(protocol, "COUNTED", "counted-secret-key"), address)
    assert refused.code == "TOO_MANY_FAILED_LOGINS"
    assert api.call("getCustomerInformation", kept, None)["AvangateCustomerReference"] == kept
    # A load that succeeds resets the merchant: its failures are forgotten then.
    sandbox.post("/_twoco/fixtures", json={"merchants": [{"code": "COUNTED", "customers": []}]}).raise_for_status()
    assert login(sandbox.base_url, protocol, *credentials(protocol, "COUNTED", "counted-secret-key"), address)


@pytest.mark.parametrize("body", [b"merchants: [", b"[1, 2]", b"{}", b'{"merchants": [], "extra": 1}', b""])
def test_a_document_that_is_no_fixture_is_refused(sandbox: Server, body: bytes) -> None:
    answer = sandbox.post("/_twoco/fixtures", content=body)
    assert answer.status_code == 400 and answer.json()["error_code"] == "INVALID_FIXTURE"


def test_serve_loads_fixtures_on_start(store_kind: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, new_store_url(store_kind, tmp_path), "--fixtures", str(FIXTURE_FILE))
    try:
        api = JsonRpcApi(server.base_url, "ACME", "acme-sandbox-secret-key", "6.0")
        assert api.call("getCustomerInformation", 100000001, None)["FirstName"] == "Ada"
        api.close()
        output = server.log_path.read_text()
        assert "merchant ACME: 2 products, 2 customers, 2 subscriptions" in output
        assert "demo merchant" not in output  # the fixture's merchants are enough
    finally:
        stop_server(server)


def test_serve_refuses_a_bad_fixture_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("merchants:\n  - code: X\n    customers:\n      - FirstName: Only\n")
    run = subprocess.run(
        [sys.executable, "-m", "twoco", "serve", "--db", f"sqlite:///{tmp_path}/s.sqlite3", "--fixtures", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "Invalid fixture at merchants[0].customers[0]" in run.stderr and "LastName" in run.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "twoco", "serve", "--db", f"sqlite:///{tmp_path}/s.sqlite3", "--fixtures", "nope.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


# --- the request journal ------------------------------------------------------------


def test_the_journal_shows_bodies_with_secrets_masked(sandbox: Server) -> None:
    add_merchant(sandbox, "JOURNAL", "journal-secret-key")
    httpx.delete(sandbox.base_url + "/_twoco/requests").raise_for_status()
    soap = SudsClient(sandbox.base_url, "6.0")
    session = soap.login("JOURNAL", "journal-secret-key", "sha256")
    with pytest.raises(Fault):
        soap.call("getCustomerInformation", session, 123456789, None, False)

    answer = sandbox.get("/_twoco/requests")

    assert answer.status_code == 200
    entries = answer.json()["requests"]
    assert [entry["operation"] for entry in entries[:2]] == ["getCustomerInformation", "login"]
    failed, login = entries[0], entries[1]
    assert failed["protocol"] == "soap/6.0" and failed["merchant"] == "JOURNAL"
    assert failed["outcome"] == "CUSTOMER_NOT_FOUND" and failed["status"] == 500
    assert "123456789" in failed["request_body"] and "CUSTOMER_NOT_FOUND" in failed["response_body"]
    assert login["outcome"] == "ok" and login["id"] < failed["id"]
    everything = json.dumps(entries)
    assert session not in everything and "[masked]" in login["response_body"]
    assert "[masked]" in login["request_body"]  # the hash
    assert not any(entry["path"].startswith("/_twoco/") for entry in entries)  # control calls are not kept


def test_the_journal_takes_a_limit_and_a_merchant(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "JOURNALA", "journal-a-secret-key")
    add_merchant(sandbox, "JOURNALB", "journal-b-secret-key")
    a = connect("JOURNALA", "journal-a-secret-key", "jsonrpc-4.0")
    connect("JOURNALB", "journal-b-secret-key", "jsonrpc-4.0")
    a.call("createCustomer", customer_data())

    only_a = sandbox.get("/_twoco/requests", params={"merchant": "JOURNALA", "limit": "5"}).json()["requests"]
    assert [entry["operation"] for entry in only_a[:2]] == ["createCustomer", "login"]
    assert {entry["merchant"] for entry in only_a} == {"JOURNALA"}
    assert len(sandbox.get("/_twoco/requests", params={"limit": "1"}).json()["requests"]) == 1
    for bad in ("0", "x", "100000"):
        refused = sandbox.get("/_twoco/requests", params={"limit": bad})
        assert refused.status_code == 400 and refused.json()["error_code"] == "MALFORMED_REQUEST"

    httpx.delete(sandbox.base_url + "/_twoco/requests", params={"merchant": "JOURNALA"}).raise_for_status()
    assert sandbox.get("/_twoco/requests", params={"merchant": "JOURNALA"}).json()["requests"] == []
    assert sandbox.get("/_twoco/requests", params={"merchant": "JOURNALB"}).json()["requests"]


# --- injected faults ----------------------------------------------------------------


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_an_injected_error_fails_the_next_calls_then_stops(sandbox: Server, connect, protocol: str) -> None:
    add_merchant(sandbox, "FAULTY", "faulty-secret-key")
    api = connect("FAULTY", "faulty-secret-key", protocol)
    reference = api.call("createCustomer", customer_data())
    rule = {"operation": "getCustomerInformation", "error": "INTERNAL_ERROR", "count": 2}
    assert sandbox.post("/_twoco/faults", json=rule).json()["faults"][0]["remaining"] == 2
    httpx.delete(sandbox.base_url + "/_twoco/requests").raise_for_status()  # this protocol's calls alone

    for _ in range(2):
        with pytest.raises(Fault) as failed:
            api.call("getCustomerInformation", reference, None)
        assert failed.value.code == "INTERNAL_ERROR"
    assert api.call("getCustomerInformation", reference, None)["AvangateCustomerReference"] == reference
    assert sandbox.get("/_twoco/faults").json()["faults"] == []
    # The journal names the merchant of a call its fault failed, as of any other.
    journal = sandbox.get("/_twoco/requests", params={"merchant": "FAULTY"}).json()["requests"]
    failed_calls = [entry for entry in journal if entry["outcome"] == "INTERNAL_ERROR"]
    assert len(failed_calls) == 2 and {entry["operation"] for entry in failed_calls} == {"getCustomerInformation"}


def test_an_injected_error_changes_nothing_and_carries_its_message(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "FAULTMSG", "fault-msg-secret-key")
    api = connect("FAULTMSG", "fault-msg-secret-key", "jsonrpc-6.0")
    reference = api.call("createCustomer", customer_data())
    rule = {"operation": "updateCustomerInformation", "error": "CUSTOMER_NOT_FOUND", "message": "Gone fishing."}
    sandbox.post("/_twoco/faults", json=rule).raise_for_status()

    with pytest.raises(Fault) as failed:
        api.call(
            "updateCustomerInformation", {"AvangateCustomerReference": reference, "Email": "new@example.com"}, False
        )

    assert (failed.value.code, failed.value.message) == ("CUSTOMER_NOT_FOUND", "Gone fishing.")
    assert api.call("getCustomerInformation", reference, None)["Email"] == "ada@example.com"


def test_an_injected_login_error_uses_the_catalogue_message(sandbox: Server) -> None:
    add_merchant(sandbox, "FAULTLOGIN", "fault-login-secret-key")
    sandbox.post("/_twoco/faults", json={"operation": "login", "error": "LOGIN_DATE_OUT_OF_RANGE"}).raise_for_status()
    with pytest.raises(Fault) as failed:
        SudsClient(sandbox.base_url, "4.0").login("FAULTLOGIN", "fault-login-secret-key")
    assert failed.value.code == "LOGIN_DATE_OUT_OF_RANGE" and "[injected]" in failed.value.message


def test_an_injected_delay_holds_that_answer_only(sandbox: Server, connect) -> None:
    add_merchant(sandbox, "SLOWPOKE", "slowpoke-secret-key")
    api = connect("SLOWPOKE", "slowpoke-secret-key", "jsonrpc-6.0")
    reference = api.call("createCustomer", customer_data())
    sandbox.post("/_twoco/faults", json={"operation": "getCustomerInformation", "delay": 1.5}).raise_for_status()
    answers: list[object] = []
    slow = threading.Thread(target=lambda: answers.append(api.call("getCustomerInformation", reference, None)))

    started = time.monotonic()
    slow.start()
    time.sleep(0.2)
    assert sandbox.get("/_twoco/health").status_code == 200
    assert slow.is_alive()  # other requests were answered while that one waited
    slow.join(30)

    assert time.monotonic() - started >= 1.5
    assert answers and answers[0]["AvangateCustomerReference"] == reference  # type: ignore[index]


@pytest.mark.parametrize(
    "rule",
    [
        {"operation": "noSuchThing", "error": "INTERNAL_ERROR"},
        {"operation": "login", "error": "NOT_A_CODE"},
        {"operation": "login"},
        {"operation": "login", "delay": -1},
        {"operation": "login", "delay": 61},
        {"operation": "login", "error": "INTERNAL_ERROR", "count": 0},
        {"operation": "login", "error": "INTERNAL_ERROR", "count": True},
        {"operation": "login", "message": "no error given"},
        {"operation": "login", "error": "INTERNAL_ERROR", "colour": "red"},
    ],
)
def test_a_bad_fault_rule_is_refused(sandbox: Server, rule: dict[str, object]) -> None:
    answer = sandbox.post("/_twoco/faults", json=rule)
    assert answer.status_code == 400 and answer.json()["error_code"] == "MALFORMED_REQUEST"
    assert sandbox.get("/_twoco/faults").json()["faults"] == []


def test_delete_clears_the_faults(sandbox: Server) -> None:
    sandbox.post(
        "/_twoco/faults", json={"operation": "login", "error": "INTERNAL_ERROR", "count": 5}
    ).raise_for_status()
    assert httpx.delete(sandbox.base_url + "/_twoco/faults").json() == {"cleared": 1}
    assert sandbox.get("/_twoco/faults").json() == {"faults": []}


def test_without_the_control_plane_none_of_it_is_served(store_kind: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, new_store_url(store_kind, tmp_path), "--no-control-plane")
    try:
        for method, path in [("POST", "reset"), ("POST", "fixtures"), ("GET", "requests"), ("GET", "faults")]:
            answer = httpx.request(method, f"{server.base_url}/_twoco/{path}", json={})
            assert answer.status_code == 404 and answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    finally:
        stop_server(server)


def test_the_journal_cuts_long_bodies_without_showing_a_cut_secret(sandbox: Server) -> None:
    secret_start = "0123456789abcdef0123"  # a hash cut in half by the 64 KiB limit
    body = b"x" * (64 * 1024 - len(secret_start) - 1) + b'"' + (secret_start + "4567890abcdef").encode() + b"y" * 100
    sandbox.post("/rpc/6.0/", content=body)

    (entry,) = sandbox.get("/_twoco/requests", params={"limit": "1"}).json()["requests"]

    assert entry["outcome"] == "MALFORMED_REQUEST"
    assert entry["request_body"].endswith("[masked]… [113 more bytes]")
    assert secret_start not in entry["request_body"]
