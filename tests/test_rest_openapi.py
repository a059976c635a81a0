"""The REST flavour's OpenAPI document, and schemathesis run against it: it must find nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clients import now_utc
from tests.servers import start_server, stop_server, store_with_merchants
from twoco.core.auth import login_hash
from twoco.core.errors import CATALOGUE
from twoco.core.registry import REST_VERSIONS

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_openapi_document_lists_every_rest_operation(app_server) -> None:
    document = app_server.get("/rest/6.0/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    operation_ids = {entry["operationId"] for path in document["paths"].values() for entry in path.values()}
    assert operation_ids == {
        "createCustomer", "getCustomerInformation", "updateCustomerInformation", "addSubscription",
        "getSubscription", "getCustomerSubscriptions", "updateSubscriptionEndUser", "setSubscriptionCustomer",
        "getSingleSignOnByCustomer", "getSingleSignOnInCart", "getSingleSignOn", "getCustomerInformationBySSOToken",
        "searchSubscriptions", "updateSubscription", "cancelSubscription", "enableSubscription",
    }  # fmt: skip
    assert document["components"]["securitySchemes"]["avangate"]["name"] == "x-avangate-authentication"
    assert document["components"]["schemas"]["Customer"]["properties"]["Credit"]


def test_every_operation_documents_every_error_status_of_the_catalogue(server) -> None:
    """500 and 503 (the store), 413 and 431 (HTTP level) included: any call may meet them."""
    statuses = {str(kind.http_status) for kind in CATALOGUE.values()}
    assert {"500", "503", "431", "413"} <= statuses
    for version in REST_VERSIONS:
        document = server.get(f"/rest/{version}/openapi.json").json()
        for path, entries in document["paths"].items():
            for method, entry in entries.items():
                errors = {status for status in entry["responses"] if status[0] in "45"}
                assert errors == statuses, (version, method, path)
                assert "STORE_BUSY" in entry["responses"]["503"]["description"]


@pytest.mark.slow  # schemathesis's run
def test_schemathesis_finds_nothing(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/st.sqlite3"
    store_with_merchants(db, {"STMERCHANT": "st-secret"})
    # A wide login window: the run's one signed header must stay valid for all of it.
    server = start_server(tmp_path, db, "--login-window", "3600")
    try:
        date = now_utc()
        digest = login_hash("st-secret", "STMERCHANT", date, "sha256")
        env = {**os.environ, "TWOCO_REST_AUTH": f'code="STMERCHANT" date="{date}" hash="{digest}" algo="sha256"'}
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run",
                f"{server.base_url}/rest/6.0/openapi.json", "--url", f"{server.base_url}/rest/6.0",
                "--max-examples", "30", "--seed", "20261125",
            ],
            capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path,
        )  # fmt: skip
    finally:
        stop_server(server)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout or "Test cases" in done.stdout
