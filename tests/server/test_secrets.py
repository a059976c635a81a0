"""Secrets stay secret: never in the server's output, and the SQLite store readable by its owner only."""

from __future__ import annotations

import os
import stat
import time

import httpx
import pytest

from tests.auth_calls import PROTOCOLS, credentials, fault_of, login
from tests.clients import PhpClient
from tests.clients.api import JsonRpcApi, RestApi, SoapApi
from tests.data import customer_data
from tests.servers import start_server, stop_server, store_with_merchants

CODE, SECRET = "QUIET", "quiet-secret-key-of-some-length"


@pytest.mark.slow  # a server of its own per log style, every protocol, its whole output read
@pytest.mark.parametrize("style", ["text", "json"])
def test_no_secret_session_id_or_hash_reaches_the_output(tmp_path, style) -> None:
    url = f"sqlite:///{tmp_path}/quiet.sqlite3"
    store_with_merchants(url, {CODE: SECRET})
    server = start_server(tmp_path, url, "--log-format", style, "--login-throttle", f"{len(PROTOCOLS)}/100")
    sent: list[str] = []  # every session ID handed out and every hash sent
    try:
        for protocol in PROTOCOLS:
            signed = credentials(protocol, CODE, SECRET)
            sent += [signed[2], login(server.base_url, protocol, *signed)]
        apis = [
            SoapApi(server.base_url, CODE, SECRET, "4.0"),
            SoapApi(server.base_url, CODE, SECRET, "6.0"),
            JsonRpcApi(server.base_url, CODE, SECRET, "6.0"),
        ]
        sent += [api.session for api in apis]
        for api in apis:
            reference = api.call("createCustomer", customer_data())
            api.call("getCustomerInformation", reference, None)
            api.close()
        php_session = PhpClient(server.base_url).login(CODE, SECRET)
        sent.append(php_session)
        rest = RestApi(server.base_url, CODE, SECRET)
        headers = rest.headers()
        sent.append(headers["X-Avangate-Authentication"].split('hash="')[1].split('"')[0])
        assert (
            httpx.post(f"{server.base_url}/rest/6.0/customers/", headers=headers, json=customer_data()).status_code
            == 200
        )
        rest.close()
        unknown = "0123456789abcdef0123456789abcdef"  # a session ID nobody was given: not logged either
        sent.append(unknown)
        server.post(
            "/rpc/4.0/", json={"jsonrpc": "2.0", "id": 1, "method": "getCustomerInformation", "params": [unknown, 1]}
        )
        for protocol in PROTOCOLS:  # failed logins last: one per protocol, and the code is throttled from here
            wrong = credentials(protocol, CODE, "not the key")
            sent.append(wrong[2])
            assert fault_of(server.base_url, protocol, *wrong).code in ("AUTHENTICATION_FAILED", "AUTHENTICATION_ERROR")
        throttled = credentials("jsonrpc-4.0", CODE, SECRET)
        sent.append(throttled[2])
        assert fault_of(server.base_url, "jsonrpc-4.0", *throttled).code == "TOO_MANY_FAILED_LOGINS"
        time.sleep(0.3)
    finally:
        stop_server(server)
    output = server.log_path.read_text()
    assert output.count("TOO_MANY_FAILED_LOGINS") >= 1 and output.count(CODE) >= 10  # the log did see these calls
    assert SECRET not in output
    leaked = [value for value in sent if value.lower() in output.lower()]
    assert not leaked


def test_the_sqlite_store_and_its_side_files_are_readable_by_their_owner_only(tmp_path) -> None:
    path = tmp_path / "private.sqlite3"
    old_umask = os.umask(0o022)  # the usual umask, which would leave new files world-readable
    try:
        server = start_server(tmp_path, f"sqlite:///{path}")
        try:
            JsonRpcApi(server.base_url, "DEMO", _demo_secret(server), "4.0").close()  # a write: the WAL is in use
            modes = {name: stat.S_IMODE(os.stat(f"{path}{name}").st_mode) for name in ("", "-wal", "-shm", "-lock")}
        finally:
            stop_server(server)
    finally:
        os.umask(old_umask)
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600, "-lock": 0o600}


def _demo_secret(server) -> str:
    banner = server.log_path.read_text()
    return banner.split("secret key:")[1].split()[0]
