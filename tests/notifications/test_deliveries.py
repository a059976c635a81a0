"""Deliveries, end to end: a real twoco server POSTs its notifications to a real handler
(tests/notifications/handler.py), judges the handler's answer, keeps every attempt, and retries
on 2Checkout's schedule as the sandbox clock moves; saving a URL probes it. Each trigger is
caused on each protocol with twoco's own client."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.data import dynamic_order
from tests.notifications.handler import Handler, running_handler, source
from tests.servers import new_store_url
from twoco.testing import TwocoServer, run_twoco


@pytest.fixture
def twoco(store_kind: str, tmp_path: Path) -> Iterator[TwocoServer]:
    with run_twoco(db=new_store_url(store_kind, tmp_path), notify_timeout=1) as server:
        httpx.put(f"{server.url}/_twoco/merchants/TEST/orders", json={"completion": "immediate"}).raise_for_status()
        yield server


@pytest.fixture
def handler(twoco: TwocoServer) -> Iterator[Handler]:
    with running_handler(twoco.secret_key) as running:
        answer = httpx.put(
            f"{twoco.url}/_twoco/merchants/TEST/notifications",
            json={"ipn_url": f"{running.url}/ipn", "lcn_url": f"{running.url}/lcn"},
        )
        assert answer.status_code == 200, answer.text
        yield running


def inbox(twoco: TwocoServer, **filters: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{twoco.url}/_twoco/notifications", params=filters)
    answer.raise_for_status()
    return list(reversed(answer.json()["notifications"]))  # oldest first


def one(twoco: TwocoServer, notification_id: int) -> dict[str, Any]:
    answer = httpx.get(f"{twoco.url}/_twoco/notifications/{notification_id}")
    answer.raise_for_status()
    return dict(answer.json()["notification"])


def settled(twoco: TwocoServer, notification_id: int, attempts: int, timeout: float = 10.0) -> dict[str, Any]:
    """The notification once it has ``attempts`` attempts recorded."""
    deadline = time.monotonic() + timeout
    while True:
        found = one(twoco, notification_id)
        if len(found["history"]) >= attempts or time.monotonic() > deadline:
            assert len(found["history"]) >= attempts, found
            return found
        time.sleep(0.05)


def move_clock(twoco: TwocoServer, seconds: float) -> None:
    httpx.post(f"{twoco.url}/_twoco/clock", json={"advance": seconds}).raise_for_status()


def place(twoco: TwocoServer, protocol: str = "jsonrpc", **overrides: object) -> str:
    order = dynamic_order(**overrides)
    order["BillingDetails"] = {**order["BillingDetails"], "FirstName": "Jürgen"}  # type: ignore[dict-item]
    with twoco.client(protocol, "6.0") as client:
        return str(client.call("placeOrder", order)["RefNo"])


def import_subscription(twoco: TwocoServer, protocol: str = "jsonrpc") -> str:
    subscription = {
        "ExternalSubscriptionReference": f"IMP-{time.monotonic_ns()}",
        "StartDate": twoco.now().date().isoformat(),
        "ExpirationDate": "2099-01-01",
        "RecurringEnabled": True,
        "Product": {"ProductCode": "PLAN", "ProductId": 1234567, "ProductName": "Plan", "ProductQuantity": 1},
        "EndUser": {
            "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com", "CountryCode": "GB",
            "City": "London", "Address1": "1 St James's Square", "Zip": "SW1Y 4JU", "Language": "en",
        },
    }  # fmt: skip
    with twoco.client(protocol, "6.0") as client:
        return str(client.call("addSubscription", subscription, 1))


def test_an_order_sends_its_ipns_and_lcn_and_a_valid_receipt_delivers_them(
    twoco: TwocoServer, handler: Handler
) -> None:
    ref_no = place(twoco)
    ipns = handler.wait_for(2, path="/ipn")
    assert [(r.fields["REFNO"], r.fields["ORDERSTATUS"]) for r in ipns] == [
        (ref_no, "PAYMENT_AUTHORIZED"), (ref_no, "COMPLETE"),
    ]  # fmt: skip
    (lcn,) = handler.wait_for(1, path="/lcn")
    assert lcn.fields["DISPATCH_REASON"] == "LICENCE_CHANGE"
    for notification in inbox(twoco):
        found = settled(twoco, notification["id"], 1)
        assert found["state"] == "delivered"
        (attempt,) = found["history"]
        assert (attempt["status"], attempt["delivered"], attempt["reason"]) == (
            200, True, "sha3-256 receipt dated '20261208101010'",
        )  # fmt: skip
        assert attempt["answer"].startswith('<sig algo="sha3-256"')


def test_the_post_is_form_encoded_in_2checkouts_order_and_signed_over_utf8_bytes(
    twoco: TwocoServer, handler: Handler
) -> None:
    place(twoco)
    ipn = handler.wait_for(1, path="/ipn")[0]
    assert ipn.headers["content-type"] == "application/x-www-form-urlencoded"
    assert ipn.body.startswith(b"GIFT_ORDER=0&SALEDATE=")
    assert b"&IPN_PID%5B%5D=" in ipn.body and b"&FIRSTNAME=J%C3%BCrgen&" in ipn.body
    assert ipn.values("IPN_LICENSE_REF[]") == [""]  # an empty array element is sent, and signed
    values = [value for name, value in ipn.pairs if name not in ("SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256")]
    expected = hmac.new(twoco.secret_key.encode(), source(values), hashlib.sha3_256).hexdigest()
    assert ipn.fields["SIGNATURE_SHA3_256"] == expected
    assert [name for name, _ in ipn.pairs][-2:] == ["SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256"]
    detail = one(twoco, inbox(twoco)[0]["id"])
    assert detail["body"].encode() == ipn.body  # the inbox shows the request as sent


@pytest.mark.parametrize(
    ("mode", "status", "reason"),
    [
        ("none", 200, "no receipt"),
        ("wrong", 200, "receipt hash differs: expected "),
        ("status500", 500, "HTTP 500 (a receipt counts in a 2xx answer only)"),
    ],
)
def test_an_answer_without_a_valid_receipt_is_retried_later(
    twoco: TwocoServer, handler: Handler, mode: str, status: int, reason: str
) -> None:
    handler.mode = mode
    reference = import_subscription(twoco)
    (lcn,) = inbox(twoco, kind="LCN", reference=reference)
    found = settled(twoco, lcn["id"], 1)
    assert len(found["history"]) == 1, found
    (attempt,) = found["history"]
    assert (attempt["status"], attempt["delivered"]) == (status, False), found
    assert attempt["reason"].startswith(reason)
    assert found["state"] == "pending" and found["attempts"] == 1
    made = found["made_at"]
    assert found["next_attempt_at"] != made  # 2.5 minutes after the first, on the sandbox clock
    delay = datetime.fromisoformat(found["next_attempt_at"]) - datetime.fromisoformat(made)
    assert 149 <= delay.total_seconds() <= 151


def test_the_retry_ladder_runs_on_the_sandbox_clock(twoco: TwocoServer, handler: Handler) -> None:
    handler.mode = "none"
    reference = import_subscription(twoco)
    (lcn,) = inbox(twoco, kind="LCN", reference=reference)
    settled(twoco, lcn["id"], 1)
    move_clock(twoco, 140)
    time.sleep(0.6)  # two looks of the deliveries: nothing is due yet
    assert len(one(twoco, lcn["id"])["history"]) == 1
    move_clock(twoco, 11)  # 151 s after: the second attempt
    settled(twoco, lcn["id"], 2)
    move_clock(twoco, 150)  # 301 s: the third
    settled(twoco, lcn["id"], 3)
    handler.mode = "receipt"
    move_clock(twoco, 900)  # 1201 s: the fourth, answered
    found = settled(twoco, lcn["id"], 4)
    assert [a["delivered"] for a in found["history"]] == [False, False, False, True]
    assert (found["state"], found["next_attempt_at"]) == ("delivered", None)
    assert len(handler.wait_for(4, path="/lcn")) == 4
    move_clock(twoco, 3 * 86400)
    time.sleep(0.6)
    assert len(one(twoco, lcn["id"])["history"]) == 4  # delivered: never again


def test_after_two_days_without_a_receipt_it_is_given_up(twoco: TwocoServer, handler: Handler) -> None:
    handler.mode = "none"
    reference = import_subscription(twoco)
    (lcn,) = inbox(twoco, kind="LCN", reference=reference)
    settled(twoco, lcn["id"], 1)
    move_clock(twoco, 2 * 86400 + 60)  # every attempt of the ladder falls due
    found = settled(twoco, lcn["id"], 53, timeout=30)
    assert found["state"] == "failed" and found["next_attempt_at"] is None
    assert len(found["history"]) == 53 == len(handler.wait_for(53, path="/lcn"))
    move_clock(twoco, 86400)
    time.sleep(0.6)
    assert len(one(twoco, lcn["id"])["history"]) == 53


def test_saving_a_url_probes_it_with_a_get_as_2checkout_does(twoco: TwocoServer, handler: Handler) -> None:
    settings = f"{twoco.url}/_twoco/merchants/TEST/notifications"
    closed = "http://127.0.0.1:9/ipn"  # discard: nothing listens
    refused = httpx.put(settings, json={"ipn_url": closed})
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "NOTIFICATION_URL_REFUSED"
    assert "its GET gave connection refused" in refused.json()["message"]
    assert httpx.get(settings).json()["ipn_url"] == f"{handler.url}/ipn"  # unchanged
    saved = httpx.put(settings, json={"ipn_url": closed, "probe": False})
    assert saved.status_code == 200 and saved.json()["ipn_url"] == closed
    wrong = httpx.put(settings, json={"algorithms": ["sha1"]})
    assert wrong.status_code == 400 and wrong.json()["error_code"] == "INVALID_FIELD_VALUE"


def test_a_refused_connection_is_an_attempt_that_says_so(twoco: TwocoServer, handler: Handler) -> None:
    httpx.put(
        f"{twoco.url}/_twoco/merchants/TEST/notifications", json={"lcn_url": "http://127.0.0.1:9/lcn", "probe": False}
    ).raise_for_status()
    reference = import_subscription(twoco)
    (lcn,) = inbox(twoco, kind="LCN", reference=reference)
    (attempt,) = settled(twoco, lcn["id"], 1)["history"]
    assert (attempt["status"], attempt["reason"]) == (None, "connection refused")


def test_a_merchant_without_a_url_has_its_notifications_recorded_not_sent(twoco: TwocoServer) -> None:
    reference = import_subscription(twoco)
    (lcn,) = inbox(twoco, kind="LCN", reference=reference)
    assert (lcn["state"], lcn["state_text"], lcn["url"], lcn["attempts"]) == ("unsent", "not sent: no URL", None, 0)
    assert dict(lcn["fields"])["LICENSE_CODE"] == reference
    assert [n["id"] for n in inbox(twoco, state="unsent", kind="LCN")] == [lcn["id"]]


def test_resend_and_trigger(twoco: TwocoServer, handler: Handler) -> None:
    ref_no = place(twoco)
    handler.wait_for(3)
    complete = inbox(twoco, kind="IPN", event="COMPLETE")[0]
    settled(twoco, complete["id"], 1)
    handler.mode = "none"
    resent = httpx.post(f"{twoco.url}/_twoco/notifications/{complete['id']}/resend")
    assert resent.status_code == 200 and resent.json()["notification"]["state"] == "pending"
    found = settled(twoco, complete["id"], 2)
    assert [a["delivered"] for a in found["history"]] == [True, False]
    ipns = handler.wait_for(3, path="/ipn")
    assert ipns[2].body == ipns[1].body  # the same request again
    handler.mode = "receipt"
    subscription = dict(inbox(twoco, kind="LCN")[0]["fields"])["LICENSE_CODE"]
    for kind, reference, event, field, value in (
        ("LCN", subscription, "LICENCE_EXPIRATION", "DISPATCH_REASON", "LICENCE_EXPIRATION"),
        ("IPN", ref_no, "REFUND", "ORDERSTATUS", "REFUND"),
        ("IPN", ref_no, None, "ORDERSTATUS", "COMPLETE"),
    ):
        command = {"merchant": "TEST", "kind": kind, "reference": reference, "event": event}
        made = httpx.post(f"{twoco.url}/_twoco/notifications/trigger", json=command)
        assert made.status_code == 200, made.text
        assert dict(made.json()["notification"]["fields"])[field] == value
        assert settled(twoco, made.json()["notification"]["id"], 1)["state"] == "delivered"
    unknown = httpx.post(
        f"{twoco.url}/_twoco/notifications/trigger",
        json={"merchant": "TEST", "kind": "LCN", "reference": subscription, "event": "LICENCE_EXPLODED"},
    )
    assert unknown.status_code == 400 and unknown.json()["error_code"] == "INVALID_FIELD_VALUE"
    missing = httpx.get(f"{twoco.url}/_twoco/notifications/999999")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOTIFICATION_NOT_FOUND"


@pytest.mark.parametrize("protocol", ["soap", "jsonrpc", "rest"])
def test_each_protocol_causes_the_notifications_of_its_changes(
    twoco: TwocoServer, handler: Handler, protocol: str
) -> None:
    ref_no = place(twoco, protocol)
    reference = import_subscription(twoco, protocol)
    with twoco.client(protocol, "6.0") as client:
        client.call("updateSubscriptionEndUser", reference, {"City": "Bath"})
        client.call("updateSubscription", {"SubscriptionReference": reference, "RecurringEnabled": False})
        client.call("cancelSubscription", reference)
        client.call("enableSubscription", reference)
        client.call("issueRefund", ref_no, 100, None, "sorry", "Other")
    # Each URL hears its notifications in order (the two URLs are delivered to side by side).
    ipns = [r.fields for r in handler.wait_for(3, path="/ipn")]
    assert [(f["ORDERSTATUS"], f["REFUND_TYPE"]) for f in ipns] == [
        ("PAYMENT_AUTHORIZED", ""), ("COMPLETE", ""), ("REFUND", "TOTAL"),
    ]  # fmt: skip
    lcns = [r.fields for r in handler.wait_for(6, path="/lcn")]
    assert lcns[0]["LAST_ORDER_REFERENCE"] == ref_no and lcns[0]["CHANGED_BY"] == "CUSTOMER"
    assert [f["LICENSE_CODE"] for f in lcns[1:]] == [reference] * 5
    assert [(f["CITY"], f["RECURRING"], f["DISABLED"], f["CHANGED_BY"]) for f in lcns[1:]] == [
        ("London", "1", "0", "VENDOR"), ("Bath", "1", "0", "VENDOR"), ("Bath", "0", "0", "VENDOR"),
        ("Bath", "0", "1", "VENDOR"), ("Bath", "0", "0", "VENDOR"),
    ]  # fmt: skip
