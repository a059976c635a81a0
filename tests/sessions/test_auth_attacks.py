"""Attacks on authentication: stale and replayed logins, guessing, and what a rotated key does."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.auth_calls import (
    PROTOCOLS,
    REST_AUTHENTICATED,
    credentials,
    date_at,
    fault_of,
    login,
)
from tests.clients.api import JsonRpcApi
from tests.servers import new_store_url, start_server, stop_server, store_with_merchants, twoco_command
from twoco.core.auth import login_hash
from twoco.core.remembered import MAX_AGE

OTHER_ADDRESS = "127.0.0.2"  # loopback too, but another client address as far as the server can tell


def works(server, protocol: str, session: str) -> bool:
    """Whether a session (REST: the fact of having authenticated) lets a call through."""
    if protocol.startswith("rest"):
        return session == REST_AUTHENTICATED
    version = protocol.split("-")[1]
    call = {"jsonrpc": "2.0", "id": 1, "method": "getCustomerInformation", "params": [session, 123456789, None]}
    answer = server.post(f"/rpc/{version}/", json=call).json()
    return answer["error"]["data"]["error_code"] == "CUSTOMER_NOT_FOUND"  # past the session check


# --- the login window -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("offset", [-330, 330])
def test_login_dates_outside_the_window_are_refused(server, merchant, protocol, offset) -> None:
    fault = fault_of(server.base_url, protocol, *credentials(protocol, merchant.code, merchant.secret, offset))
    if protocol.startswith("rest"):
        assert fault.code == "AUTHENTICATION_ERROR" and "seconds away from the server clock" in fault.message
    else:
        assert fault.code == "LOGIN_DATE_OUT_OF_RANGE"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("offset", [-270, 270])
def test_login_dates_inside_the_window_are_accepted(server, merchant, protocol, offset) -> None:
    session = login(server.base_url, protocol, *credentials(protocol, merchant.code, merchant.secret, offset))
    assert works(server, protocol, session)


@pytest.mark.parametrize("digest", ["é" * 32, "0" * 100_000, "", "Z" * 64])
def test_odd_hashes_are_just_wrong(server, merchant, digest) -> None:
    """The constant-time comparison takes any text: a hash that is not hex is simply not the right one."""
    _, date, _, algo = credentials("jsonrpc-6.0", merchant.code, merchant.secret)
    fault = fault_of(server.base_url, "jsonrpc-6.0", merchant.code, date, digest, algo, OTHER_ADDRESS)
    assert fault.code == "AUTHENTICATION_FAILED"


# --- replays --------------------------------------------------------------------------


@pytest.mark.slow  # it waits for the window to pass
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_replayed_login_is_accepted_within_the_window_only(server, merchant, protocol) -> None:
    signed = credentials(protocol, merchant.code, merchant.secret, offset=-295)  # signed almost 5 minutes ago
    first, second = login(server.base_url, protocol, *signed), login(server.base_url, protocol, *signed)
    assert works(server, protocol, first) and works(server, protocol, second)
    if not protocol.startswith("rest"):
        assert first != second  # each login is a session of its own
    time.sleep(5.1)  # the date now more than 300 s old
    late = fault_of(server.base_url, protocol, *signed)
    assert late.code in ("LOGIN_DATE_OUT_OF_RANGE", "AUTHENTICATION_ERROR") and "seconds away" in late.message


@pytest.mark.parametrize("protocol", ["soap-4.0", "jsonrpc-6.0", "rest-6.0"])
def test_a_login_dated_by_the_real_clock_is_accepted_while_the_sandbox_clock_is_moved(
    server, merchant, protocol
) -> None:
    """A client keeping real time logs in again after a test moved the clock (issue 24); one
    dated by neither clock is refused."""
    server.move_clock(advance=3600)
    try:
        real = login(server.base_url, protocol, *credentials(protocol, merchant.code, merchant.secret))
        assert works(server, protocol, real)
        sandbox = login(server.base_url, protocol, *credentials(protocol, merchant.code, merchant.secret, 3600))
        assert works(server, protocol, sandbox)
        between = fault_of(server.base_url, protocol, *credentials(protocol, merchant.code, merchant.secret, 1800))
        assert between.code in ("LOGIN_DATE_OUT_OF_RANGE", "AUTHENTICATION_ERROR")
    finally:
        server.move_clock(reset=True)


# --- throttling -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A server of its own (throttling state is per process), default limits, merchants A, B and C."""
    tmp = tmp_path_factory.mktemp("guarded")
    url = f"sqlite:///{tmp}/guarded.sqlite3"
    store_with_merchants(url, {code: f"secret-of-{code}" for code in ("GUARDA", "GUARDB", "GUARDC")})
    server = start_server(tmp, url)
    yield server
    stop_server(server)


def rpc_login(server, code: str, secret: str, local_address: str | None = None, offset: float = 0):
    """A JSON-RPC 6.0 login: the session, or the Fault."""
    try:
        return login(server.base_url, "jsonrpc-6.0", *credentials("jsonrpc-6.0", code, secret, offset), local_address)
    except Exception as fault:  # noqa: BLE001 - the Fault is the answer
        return fault


def code_of(outcome) -> str:
    return getattr(outcome, "code", "ok")


def test_ten_failures_for_one_merchant_code_throttle_it_from_that_address_only(guarded) -> None:
    address = "127.0.0.3"
    outcomes = [code_of(rpc_login(guarded, "GUARDA", "a guess", address)) for _ in range(10)]
    assert outcomes == ["AUTHENTICATION_FAILED"] * 10
    refused = rpc_login(guarded, "GUARDA", "secret-of-GUARDA", address)  # even the right key: guesses learn nothing
    assert code_of(refused) == "TOO_MANY_FAILED_LOGINS"
    assert re.search(r"from this merchant code from this address .* try again in \d+ seconds", refused.message)
    assert code_of(rpc_login(guarded, "GUARDA", "secret-of-GUARDA", "127.0.0.4")) == "ok"  # the merchant elsewhere
    assert code_of(rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address)) == "ok"  # another merchant from there
    guarded.move_clock(advance=60)  # the window is a minute, on the server clock
    try:
        assert code_of(rpc_login(guarded, "GUARDA", "secret-of-GUARDA", address, offset=60)) == "ok"
    finally:
        guarded.move_clock(reset=True)


def test_twenty_failures_from_one_address_throttle_every_login_from_it(guarded) -> None:
    address = "127.0.0.5"
    for number in range(20):  # spread over codes, so that no (code, address) pair reaches its limit
        assert code_of(rpc_login(guarded, f"NOSUCH{number % 3}", "a guess", address)) == "AUTHENTICATION_FAILED"
    refused = rpc_login(guarded, "GUARDC", "secret-of-GUARDC", address)
    assert (
        code_of(refused) == "TOO_MANY_FAILED_LOGINS" and "from this address in the last 60 seconds" in refused.message
    )
    assert code_of(rpc_login(guarded, "GUARDC", "secret-of-GUARDC", "127.0.0.6")) == "ok"


def test_behind_a_proxy_on_the_same_machine_the_forwarded_address_counts(guarded) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 (only): a local reverse proxy's clients are told apart."""
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    for number in range(20):
        code, date, digest, algo = credentials("jsonrpc-6.0", f"NOSUCH{number % 3}", "a guess")
        body = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": [code, date, digest, algo]}
        answer = httpx.post(f"{guarded.base_url}/rpc/6.0/", json=body, headers=forwarded, timeout=30).json()
        assert answer["error"]["data"]["error_code"] == "AUTHENTICATION_FAILED"
    _, date, digest, algo = credentials("jsonrpc-6.0", "GUARDC", "secret-of-GUARDC")
    body = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": ["GUARDC", date, digest, algo]}
    answer = httpx.post(f"{guarded.base_url}/rpc/6.0/", json=body, headers=forwarded, timeout=30).json()
    assert answer["error"]["data"]["error_code"] == "TOO_MANY_FAILED_LOGINS"
    assert code_of(rpc_login(guarded, "GUARDC", "secret-of-GUARDC", "127.0.0.8")) == "ok"  # the proxy's other clients


def test_a_sandbox_reset_forgets_failed_logins(guarded) -> None:
    address = "127.0.0.10"
    for number in range(20):
        assert (
            code_of(rpc_login(guarded, "GUARDB" if number < 10 else "NOSUCH", "a guess", address))
            == "AUTHENTICATION_FAILED"
        )
    assert code_of(rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address)) == "TOO_MANY_FAILED_LOGINS"
    guarded.post("/_twoco/reset", json={"merchant": "GUARDB"}).raise_for_status()  # that merchant's counts only
    outcome = rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address)
    assert code_of(outcome) == "TOO_MANY_FAILED_LOGINS" and "from this address in" in outcome.message
    guarded.post("/_twoco/reset", json={}).raise_for_status()  # everything
    assert code_of(rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address)) == "ok"


def test_only_guesses_count_as_failures(guarded) -> None:
    address = "127.0.0.7"
    for _ in range(25):  # none of these is a guess at the key
        assert (
            code_of(rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address, offset=-900)) == "LOGIN_DATE_OUT_OF_RANGE"
        )
        signed = list(credentials("jsonrpc-6.0", "GUARDB", "secret-of-GUARDB"))
        signed[1] = "yesterday"
        assert code_of(fault_of(guarded.base_url, "jsonrpc-6.0", *signed, address)) == "INVALID_LOGIN_DATE"
        md5 = ("GUARDB", date_at(), login_hash("secret-of-GUARDB", "GUARDB", date_at(), "md5"), "md5")
        assert code_of(fault_of(guarded.base_url, "jsonrpc-6.0", *md5, address)) == "MD5_RETIRED"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30) as http:
        for _ in range(25):
            assert http.get(f"{guarded.base_url}/rest/6.0/customers/1/").status_code == 401  # no header at all
    assert code_of(rpc_login(guarded, "GUARDB", "secret-of-GUARDB", address)) == "ok"


def test_throttling_on_every_protocol(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/throttle.sqlite3"
    store_with_merchants(url, {protocol.upper(): f"key-{protocol}" for protocol in PROTOCOLS})
    server = start_server(tmp_path, url, "--login-throttle", "2/100")
    try:
        for protocol in PROTOCOLS:
            code, secret = protocol.upper(), f"key-{protocol}"
            for _ in range(2):
                fault_of(server.base_url, protocol, *credentials(protocol, code, "a guess"))
            refused = fault_of(server.base_url, protocol, *credentials(protocol, code, secret))
            assert refused.code == "TOO_MANY_FAILED_LOGINS", (protocol, refused.message)
            if protocol.startswith("rest"):
                assert refused.status == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        log = server.log_path.read_text()
        assert log.count("TOO_MANY_FAILED_LOGINS 429") == sum(
            protocol.startswith("rest") for protocol in PROTOCOLS
        ) and log.count("TOO_MANY_FAILED_LOGINS 200") == sum(protocol.startswith("jsonrpc") for protocol in PROTOCOLS)
    finally:
        stop_server(server)


def test_throttling_can_be_turned_off(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/open.sqlite3"
    store_with_merchants(url, {"OPEN": "open-key"})
    server = start_server(tmp_path, url, "--login-throttle", "off")
    try:
        for _ in range(25):
            assert code_of(rpc_login(server, "OPEN", "a guess")) == "AUTHENTICATION_FAILED"
        assert code_of(rpc_login(server, "OPEN", "open-key")) == "ok"
    finally:
        stop_server(server)


@pytest.mark.slow  # a supervisor and two worker processes
def test_throttle_limits_apply_in_every_worker_process(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/workers.sqlite3"
    store_with_merchants(url, {"WORKERS": "workers-key"})
    server = start_server(tmp_path, url, "--workers", "2", "--login-throttle", "3/5")
    try:
        # Each worker counts its own failures: past 2 x 3, at least one of them refuses.
        outcomes = [code_of(rpc_login(server, "WORKERS", "a guess")) for _ in range(7)]
        assert "TOO_MANY_FAILED_LOGINS" in outcomes and set(outcomes) <= {
            "AUTHENTICATION_FAILED",
            "TOO_MANY_FAILED_LOGINS",
        }
    finally:
        stop_server(server)


@pytest.mark.parametrize("value", ["10", "0/5", "ten/twenty", ""])
def test_bad_throttle_limits_are_refused(value) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twoco", "serve", "--login-throttle", value, "--port", "1"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--login-throttle" in done.stderr


# --- rotating a secret key ------------------------------------------------------------


def test_rotate_secret_ends_the_old_key_and_its_sessions(tmp_path, store_kind) -> None:
    db = new_store_url(store_kind, tmp_path)
    assert twoco_command("merchant", "add", "ROTATE", "--secret", "old-key", "--db", db).returncode == 0
    server = start_server(tmp_path, db, "--login-throttle", "off")  # one failure per protocol: more than the limit
    try:
        before = JsonRpcApi(server.base_url, "ROTATE", "old-key", "4.0")
        rotated = twoco_command("merchant", "rotate-secret", "ROTATE", "--db", db)
        assert rotated.returncode == 0, rotated.stderr
        new_key = re.search(r"secret key:\s+(\S+)", rotated.stdout).group(1)
        assert len(new_key) >= 32 and new_key != "old-key"
        for protocol in PROTOCOLS:  # the new key works at once, though the server remembers the old
            assert works(server, protocol, login(server.base_url, protocol, *credentials(protocol, "ROTATE", new_key)))
        time.sleep(MAX_AGE)  # what the server remembers of a merchant, it trusts for a second at most
        for protocol in PROTOCOLS:
            old = fault_of(server.base_url, protocol, *credentials(protocol, "ROTATE", "old-key"))
            assert old.code in ("AUTHENTICATION_FAILED", "AUTHENTICATION_ERROR")
        with pytest.raises(Exception, match="INVALID_SESSION"):
            before.call("getCustomerInformation", 123456789, None)
        before.close()
    finally:
        stop_server(server)
    assert new_key not in twoco_command("merchant", "list", "--db", db).stdout


def test_rotate_secret_to_a_given_key_can_keep_sessions(tmp_path, store_kind) -> None:
    db = new_store_url(store_kind, tmp_path)
    assert twoco_command("merchant", "add", "KEEP", "--secret", "old-key", "--db", db).returncode == 0
    server = start_server(tmp_path, db)
    try:
        before = JsonRpcApi(server.base_url, "KEEP", "old-key", "6.0")
        rotated = twoco_command(
            "merchant", "rotate-secret", "KEEP", "--secret", "new-key", "--keep-sessions", "--db", db
        )
        assert rotated.returncode == 0 and "new-key" in rotated.stdout
        time.sleep(MAX_AGE)  # the old key is refused a second after its rotation at the latest
        with pytest.raises(Exception, match="CUSTOMER_NOT_FOUND"):  # past the session check: still valid
            before.call("getCustomerInformation", 123456789, None)
        assert (
            fault_of(server.base_url, "jsonrpc-6.0", *credentials("jsonrpc-6.0", "KEEP", "old-key")).code
            == "AUTHENTICATION_FAILED"
        )
        after = JsonRpcApi(server.base_url, "KEEP", "new-key", "6.0")
        assert after.session
        after.close()
        before.close()
    finally:
        stop_server(server)


def test_rotate_secret_of_an_unknown_merchant_fails(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/none.sqlite3"
    done = twoco_command("merchant", "rotate-secret", "NOBODY", "--db", db)
    assert done.returncode == 1 and "no merchant 'NOBODY'" in done.stderr
