"""A client that keeps real time, against a server whose sandbox clock a test moves: its session
expires on the sandbox clock, and its new login, dated by its own clock, is accepted (issue 24:
"a test can expire a session with the clock and watch its client log in again")."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from twoco.core.auth import login_hash
from twoco.testing import run_twoco


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize("protocol", ["soap", "jsonrpc"])
def test_a_client_logs_in_again_after_the_clock_expires_its_session(protocol: str) -> None:
    with run_twoco() as twoco, twoco.client(protocol, "6.0", clock=real_now) as client:
        first = client.login()
        assert client.call("searchCustomers", None) is not None
        twoco.move_clock(601)  # a session lives 10 minutes on the sandbox clock
        assert client.call("searchCustomers", None) is not None  # FORBIDDEN, then a new login
        assert client.session_id not in (None, first)


def test_an_expired_session_answers_10000_and_a_real_dated_login_opens_another() -> None:
    """What a JSON-RPC client that logs in again on 10000/10001 sees, spelled out."""
    with run_twoco() as twoco, httpx.Client(base_url=twoco.url) as http:

        def rpc(method: str, *params: object) -> dict:
            return dict(
                http.post("/rpc/6.0/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
            )

        def login() -> str:
            date = real_now().strftime("%Y-%m-%d %H:%M:%S")
            answer = rpc(
                "login",
                twoco.merchant_code,
                date,
                login_hash(twoco.secret_key, twoco.merchant_code, date, "sha256"),
                "sha256",
            )
            return str(answer["result"])

        session = login()
        twoco.move_clock(601)
        expired = rpc("searchCustomers", session, None)
        assert expired["error"]["code"] == 10000
        assert "result" in rpc("searchCustomers", login(), None)
