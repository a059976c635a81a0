"""The access log: a line per request, with who and what but never a secret."""

from __future__ import annotations

import json
import time

import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi
from tests.data import customer_data
from tests.servers import start_server, stop_server, store_with_merchants


@pytest.mark.parametrize("style", ["json", "text"])
def test_one_line_per_request_without_secrets(tmp_path, style) -> None:
    url = f"sqlite:///{tmp_path}/log.sqlite3"
    store_with_merchants(url, {"LOGGED": "log-secret-key"})
    server = start_server(tmp_path, url, "--log-format", style)
    try:
        api = JsonRpcApi(server.base_url, "LOGGED", "log-secret-key", "4.0")
        reference = api.call("createCustomer", customer_data())
        with pytest.raises(Fault) as caught:
            api.call("getCustomerInformation", 123456789, None)
        assert caught.value.code == "CUSTOMER_NOT_FOUND"
        server.get("/nowhere")
        api.close()
        time.sleep(0.2)
    finally:
        stop_server(server)
    text = server.log_path.read_text()
    assert api.session not in text and "log-secret-key" not in text
    lines = [line for line in text.splitlines() if "jsonrpc/4.0" in line or "ENDPOINT_NOT_FOUND" in line]
    if style == "json":
        entries = [json.loads(line) for line in lines]
        assert [(e["operation"], e["merchant"], e["outcome"]) for e in entries] == [
            ("login", "LOGGED", "ok"),
            ("createCustomer", "LOGGED", "ok"),
            ("getCustomerInformation", "LOGGED", "CUSTOMER_NOT_FOUND"),
            ("", "", "ENDPOINT_NOT_FOUND"),
        ]
        assert all(e["client"] == "127.0.0.1" and e["duration_ms"] >= 0 for e in entries)
        assert entries[-1]["status"] == 404 and entries[-1]["protocol"] == "http"
    else:
        assert len(lines) == 4
        assert " jsonrpc/4.0 createCustomer merchant=LOGGED ok 200 " in lines[1]
        assert " CUSTOMER_NOT_FOUND 200 " in lines[2]
    assert str(reference) not in text  # references are data, not log material
