"""JSON-RPC 2.0 specifics: envelopes, batches, notifications, standard error codes."""

from __future__ import annotations

import pytest

from tests.clients import now_utc
from twoco.core.auth import login_hash


def post(server, payload=None, *, content: bytes | None = None, version: str = "4.0"):
    if content is not None:
        return server.post(f"/rpc/{version}/", content=content, headers={"Content-Type": "application/json"})
    return server.post(f"/rpc/{version}/", json=payload)


def login_params(merchant, algo: str = "md5") -> list[str]:
    date = now_utc()
    return [merchant.code, date, login_hash(merchant.secret, merchant.code, date, algo), algo]


def session_of(server, merchant, version: str = "4.0") -> str:
    algo = "sha256" if version == "6.0" else "md5"
    answer = post(
        server, {"jsonrpc": "2.0", "id": 1, "method": "login", "params": login_params(merchant, algo)}, version=version
    )
    return answer.json()["result"]


def error_of(answer) -> tuple[int, str]:
    assert answer.status_code == 200
    error = answer.json()["error"]
    return error["code"], error["data"]["error_code"]


def test_success_echoes_the_id(app_server, merchant) -> None:
    answer = post(app_server, {"jsonrpc": "2.0", "id": "call-7", "method": "login", "params": login_params(merchant)})
    body = answer.json()
    assert (answer.status_code, body["jsonrpc"], body["id"]) == (200, "2.0", "call-7")
    assert len(body["result"]) == 32 and "error" not in body


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "nope", "params": []}, (-32601, "UNKNOWN_OPERATION")),
        ({"jsonrpc": "2.0", "id": 1, "method": "Login", "params": []}, (-32601, "UNKNOWN_OPERATION")),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "login", "params": {"merchantCode": "X"}},
            (-32602, "INVALID_PARAMETERS"),
        ),
        ({"jsonrpc": "2.0", "id": 1, "method": "login", "params": ["A"]}, (-32602, "INVALID_PARAMETERS")),
        ({"jsonrpc": "2.0", "id": 1, "method": "login", "params": [{}, 2, 3]}, (-32602, "INVALID_PARAMETERS")),
        ({"jsonrpc": "1.0", "id": 1, "method": "login", "params": []}, (-32600, "INVALID_REQUEST")),
        ({"jsonrpc": "2.0", "id": 1, "method": 5, "params": []}, (-32600, "INVALID_REQUEST")),
        ({"jsonrpc": "2.0", "id": [1], "method": "login", "params": []}, (-32600, "INVALID_REQUEST")),
        ([], (-32600, "INVALID_REQUEST")),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "getCustomerInformation", "params": ["0" * 32, 1]},
            (10001, "INVALID_SESSION"),
        ),
    ],
)
def test_standard_errors(app_server, payload, expected) -> None:
    assert error_of(post(app_server, payload)) == expected


def test_parse_error_has_a_null_id(app_server) -> None:
    answer = post(app_server, content=b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert error_of(answer) == (-32700, "MALFORMED_REQUEST")
    assert answer.json()["id"] is None


def test_authentication_codes(app_server, merchant) -> None:
    wrong = login_params(merchant)
    wrong[2] = "0" * 32
    assert error_of(post(app_server, {"jsonrpc": "2.0", "id": 1, "method": "login", "params": wrong})) == (
        10000,
        "AUTHENTICATION_FAILED",
    )
    md5_on_6 = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": login_params(merchant, "md5")}
    assert error_of(post(app_server, md5_on_6, version="6.0")) == (10008, "MD5_RETIRED")
    session = session_of(app_server, merchant)
    app_server.move_clock(advance=600)
    try:
        expired = {"jsonrpc": "2.0", "id": 1, "method": "getCustomerInformation", "params": [session, 1]}
        assert error_of(post(app_server, expired)) == (10000, "FORBIDDEN")
    finally:
        app_server.move_clock(reset=True)


def test_batches_and_notifications(app_server, merchant) -> None:
    session = session_of(app_server, merchant)
    customer = {
        "FirstName": "A",
        "LastName": "B",
        "Address1": "C",
        "City": "D",
        "Zip": "1",
        "CountryCode": "de",
        "Email": "a@b.de",
    }
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "createCustomer", "params": [session, customer]},
        {
            "jsonrpc": "2.0",
            "method": "createCustomer",
            "params": [session, {**customer, "ExternalCustomerReference": "NOTIFIED"}],
        },
        {"jsonrpc": "2.0", "id": 2, "method": "getCustomerInformation", "params": [session, None, "NOTIFIED"]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        "not a request",
    ]
    answers = post(app_server, batch).json()
    assert [a.get("id") for a in answers] == [1, 2, 3, None]
    assert isinstance(answers[0]["result"], int)
    assert answers[1]["result"]["ExternalCustomerReference"] == "NOTIFIED"  # the notification ran first
    assert answers[2]["error"]["code"] == -32601
    assert answers[3]["error"]["code"] == -32600

    only_notifications = post(app_server, [{"jsonrpc": "2.0", "method": "login", "params": []}])
    assert (only_notifications.status_code, only_notifications.content) == (204, b"")
    single_notification = post(app_server, {"jsonrpc": "2.0", "method": "login", "params": login_params(merchant)})
    assert single_notification.status_code == 204


def test_6_0_returns_credit(app_server, merchant) -> None:
    session = session_of(app_server, merchant, "6.0")
    customer = {
        "FirstName": "A", "LastName": "B", "Address1": "C", "City": "D", "Zip": "1", "CountryCode": "de",
        "Email": "a@b.de", "Credit": {"Limit": 51.0, "Remaining": 21, "Currency": "eur"},
    }  # fmt: skip
    call = {"jsonrpc": "2.0", "id": 1, "method": "createCustomer", "params": [session, customer]}
    reference = post(app_server, call, version="6.0").json()["result"]
    read = {"jsonrpc": "2.0", "id": 2, "method": "getCustomerInformation", "params": [session, reference, None, True]}
    result = post(app_server, read, version="6.0").json()["result"]
    assert result["Credit"] == {"Limit": 51.0, "Remaining": 21.0, "Currency": "EUR"}
    session_4 = session_of(app_server, merchant)
    read_4 = {"jsonrpc": "2.0", "id": 3, "method": "getCustomerInformation", "params": [session_4, reference]}
    assert "Credit" not in post(app_server, read_4).json()["result"]


def test_only_post(app_server) -> None:
    answer = app_server.get("/rpc/4.0/")
    assert (answer.status_code, answer.headers["allow"], answer.json()["error_code"]) == (
        405,
        "POST",
        "METHOD_NOT_ALLOWED",
    )
