"""The change history: real calls over SOAP, JSON-RPC and REST, read back from the store and by the CLI."""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime

import pytest

from tests.cli.test_cli import twoco
from tests.clients import Fault
from tests.clients.api import JsonRpcApi, RestApi, SoapApi
from tests.data import customer_data, subscription_data


@pytest.fixture
def api(server, merchant):
    """``api("jsonrpc", "6.0")``: a logged-in client for the test's merchant, closed afterwards."""
    opened = []
    kinds = {"soap": SoapApi, "jsonrpc": JsonRpcApi}

    def make(protocol: str, version: str = "6.0"):
        if protocol == "rest":
            client = RestApi(server.base_url, merchant.code, merchant.secret)
        else:
            client = kinds[protocol](server.base_url, merchant.code, merchant.secret, version)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def history(store, merchant, reference: int) -> list[dict]:
    return store.customer_history(store.merchant(merchant.code).id, reference)


def fields(entry: dict) -> dict[str, tuple]:
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


def test_soap_create_and_update_record_only_what_changed(api, server, store, merchant) -> None:
    soap = api("soap", "4.0")
    reference = soap.call("createCustomer", customer_data(ExternalCustomerReference="H-1"))

    (created,) = history(store, merchant, reference)
    assert (created["merchant"], created["protocol"], created["operation"]) == (
        merchant.code,
        "soap/4.0",
        "createCustomer",
    )
    assert created["customer"] == reference and created["subscription"] is None
    assert fields(created)["Email"] == (None, "ada@example.com")
    assert fields(created)["CountryCode"] == (None, "gb")  # as stored
    assert "Fax" not in fields(created)  # a field given no value is no change

    soap.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Email": "ada@example.com"}, False)
    assert len(history(store, merchant, reference)) == 1  # nothing changed, nothing recorded

    soap.call(
        "updateCustomerInformation",
        {"AvangateCustomerReference": reference, "Email": "ada@new.example", "Fax": "1"},
        False,
    )
    updated = history(store, merchant, reference)[-1]
    assert (updated["protocol"], updated["operation"]) == ("soap/4.0", "updateCustomerInformation")
    assert fields(updated) == {"Email": ("ada@example.com", "ada@new.example"), "Fax": (None, "1")}


def test_subscription_end_users_and_moves_over_jsonrpc_and_rest(api, server, store, merchant) -> None:
    rpc = api("jsonrpc", "6.0")
    rest = api("rest")
    owner = rpc.call("createCustomer", customer_data())
    other = rest.call("createCustomer", customer_data(Email="grace@example.com"))
    subscription = rpc.call("addSubscription", subscription_data(owner, "HS-1"))

    imported = history(store, merchant, owner)[-1]
    assert (imported["protocol"], imported["operation"], imported["subscription"]) == (
        "jsonrpc/6.0",
        "addSubscription",
        subscription,
    )
    assert fields(imported)["EndUser.Email"] == (None, "hs-1@example.com")

    rest.call("updateSubscriptionEndUser", subscription, {"City": "Cluj", "Email": "hs-1@example.com"})
    changed = history(store, merchant, owner)[-1]
    assert (changed["protocol"], changed["operation"]) == ("rest/6.0", "updateSubscriptionEndUser")
    assert fields(changed) == {"EndUser.City": ("Bucharest", "Cluj")}

    rest.call("setSubscriptionCustomer", subscription, other, None)
    moved_out, moved_in = history(store, merchant, owner)[-1], history(store, merchant, other)[-1]
    assert moved_out == {**moved_in, "customer": owner, "id": moved_in["id"] - 1}
    assert fields(moved_in) == {"AvangateCustomerReference": (owner, other)}
    assert moved_in["operation"] == "setSubscriptionCustomer" and moved_in["subscription"] == subscription

    count = len(history(store, merchant, other))
    rest.call("setSubscriptionCustomer", subscription, other, None)  # already there: no change
    assert len(history(store, merchant, other)) == count


def test_update_subscription_records_its_changes_and_its_move(api, server, store, merchant) -> None:
    soap = api("soap", "5.0")
    owner = soap.call("createCustomer", customer_data())
    other = soap.call("createCustomer", customer_data(Email="grace@example.com"))
    subscription = soap.call("addSubscription", subscription_data(owner, "HU-1"))
    update = {"SubscriptionReference": subscription, "ExpirationDate": "2030-01-01", "RecurringEnabled": False,
              "SubscriptionEnabled": True, "EndUser": {"City": "Iasi"}}  # fmt: skip
    soap.call("updateSubscription", update)
    changed = history(store, merchant, owner)[-1]
    assert (changed["protocol"], changed["operation"], changed["subscription"]) == (
        "soap/5.0",
        "updateSubscription",
        subscription,
    )
    # RecurringEnabled and SubscriptionEnabled already held those values: not listed.
    assert fields(changed) == {"ExpirationDate": ("2099-01-01", "2030-01-01"), "EndUser.City": ("Bucharest", "Iasi")}

    count = len(history(store, merchant, owner))
    soap.call("updateSubscription", update)  # the same again: nothing changes, nothing recorded
    assert len(history(store, merchant, owner)) == count

    api("rest").call("updateSubscription", {"SubscriptionReference": subscription, "AvangateCustomerReference": other})
    moved_out, moved_in = history(store, merchant, owner)[-1], history(store, merchant, other)[-1]
    assert moved_out == {**moved_in, "customer": owner, "id": moved_in["id"] - 1}
    assert fields(moved_in) == {"AvangateCustomerReference": (owner, other)}
    assert (moved_in["protocol"], moved_in["operation"]) == ("rest/6.0", "updateSubscription")


def test_the_end_user_push_is_one_entry_on_the_customer(api, server, store, merchant) -> None:
    rpc = api("jsonrpc", "4.0")
    reference = rpc.call("createCustomer", customer_data())
    for index in range(3):
        rpc.call("addSubscription", subscription_data(reference, f"PUSH-{index}", EndUser={
            "FirstName": "Ada", "LastName": "Lovelace", "Email": f"{index}@example.com", "City": "London", "CountryCode": "GB",
        }))  # fmt: skip
    before = len(history(store, merchant, reference))

    rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "City": "Paris"}, True)
    entries = history(store, merchant, reference)
    assert len(entries) == before + 1
    push = entries[-1]
    assert push["subscription"] is None and push["operation"] == "updateCustomerInformation"
    by_field = {change["field"]: change for change in push["changes"]}
    assert (by_field["City"]["old"], by_field["City"]["new"]) == ("London", "Paris")
    assert by_field["EndUser.City"] == {"field": "EndUser.City", "old": "London", "new": "Paris", "subscriptions": 3}
    assert by_field["EndUser.Email"] == {
        "field": "EndUser.Email", "old": None, "new": "ada@example.com", "subscriptions": 3, "old_kept": False,
    }  # fmt: skip
    assert "EndUser.FirstName" not in by_field  # the same on every subscription already

    rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference}, True)
    assert len(history(store, merchant, reference)) == before + 1  # pushing what is there changes nothing


def test_a_failed_call_records_nothing(api, server, store, merchant) -> None:
    rpc = api("jsonrpc", "4.0")
    reference = rpc.call("createCustomer", customer_data(ExternalCustomerReference="TAKEN"))
    second = rpc.call("createCustomer", customer_data())
    before = history(store, merchant, second)
    with pytest.raises(Fault) as invalid:
        rpc.call(
            "updateCustomerInformation", {"AvangateCustomerReference": second, "Phone": "1", "Email": "nope"}, True
        )
    assert invalid.value.code == "INVALID_EMAIL"
    with pytest.raises(Fault) as duplicate:
        rpc.call(
            "updateCustomerInformation",
            {"AvangateCustomerReference": second, "ExternalCustomerReference": "TAKEN"},
            False,
        )
    assert duplicate.value.code in ("DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE", "CUSTOMER_REFERENCE_MISMATCH")
    assert history(store, merchant, second) == before
    assert len(history(store, merchant, reference)) == 1


def test_entries_carry_the_server_clock(api, server, store, merchant) -> None:
    rpc = api("jsonrpc", "4.0")
    reference = rpc.call("createCustomer", customer_data())
    server.move_clock(advance=250)  # within the session's life
    try:
        rpc.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Phone": "2"}, False)
    finally:
        server.move_clock(reset=True)
    created, updated = history(store, merchant, reference)
    assert datetime.fromisoformat(created["time"]).timestamp() < time.time() + 5
    assert datetime.fromisoformat(updated["time"]).timestamp() > time.time() + 200


def test_the_history_command(api, server, store, merchant) -> None:
    rest = api("rest")
    external = f"CLI-{secrets.token_hex(3)}"
    reference = rest.call("createCustomer", customer_data(ExternalCustomerReference=external))
    subscription = rest.call("addSubscription", subscription_data(reference, f"S-{external}"))
    rest.call("updateSubscriptionEndUser", subscription, {"Phone": "+40 1"})
    rest.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Email": "ada@cli.example"}, True)

    listed = twoco("customer", "history", external, "--merchant", merchant.code, "--db", server.db_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["TIME", "PROTOCOL", "OPERATION", "WHAT", "FIELD", "OLD", "NEW"]
    operations = [line.split()[2] for line in lines[1:] if line[:1].isdigit()]
    assert operations == ["createCustomer", "addSubscription", "updateSubscriptionEndUser", "updateCustomerInformation"]
    assert any("EndUser.Phone" in line and "null" in line and "+40 1" in line for line in lines)
    assert any(line.split()[-3:] == ["Email", "ada@example.com", "ada@cli.example"] for line in lines)

    as_json = twoco("customer", "history", str(reference), "--merchant", merchant.code, "--db", server.db_url, "--json")
    entries = json.loads(as_json.stdout)
    assert entries == history(store, merchant, reference)
    assert [entry["protocol"] for entry in entries] == ["rest/6.0"] * 4

    unknown = twoco("customer", "history", "NO-SUCH", "--merchant", merchant.code, "--db", server.db_url)
    assert (unknown.returncode, "No customer matches" in unknown.stderr) == (1, True)
    assert twoco("customer", "history", external, "--merchant", "NOBODY", "--db", server.db_url).returncode == 1
    assert "twoco customer history 123456789 --merchant DEMO" in twoco("customer", "history", "--help").stdout


def test_reset_deletes_the_history_of_what_it_deletes(api, server, store, merchant, merchant_factory) -> None:
    kept = merchant_factory()
    mine = api("jsonrpc", "4.0").call("createCustomer", customer_data())
    theirs = JsonRpcApi(server.base_url, kept.code, kept.secret, "4.0")
    try:
        other = theirs.call("createCustomer", customer_data())
    finally:
        theirs.close()
    assert len(history(store, merchant, mine)) == len(history(store, kept, other)) == 1

    answer = server.post("/_twoco/reset", json={"merchant": merchant.code})
    assert answer.status_code == 200 and answer.json()["deleted"]["change_history"] == 1
    assert history(store, merchant, mine) == []
    assert len(history(store, kept, other)) == 1  # another merchant's history stays
