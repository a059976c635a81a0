"""twoco under ``python -O``, which drops asserts: nothing may rely on one to refuse input."""

from __future__ import annotations

import subprocess
import sys

from tests.data import customer_data, subscription_data
from tests.servers import new_store_url, start_server, stop_server, store_with_merchants
from twoco.client import Client


def test_a_server_under_python_o_serves_every_path_an_assert_once_narrowed(tmp_path, store_kind) -> None:
    db = store_with_merchants(new_store_url(store_kind, tmp_path), {"OPTIMIZED": "optimized-secret-key"})
    server = start_server(tmp_path, db, python_flags=("-O",))
    try:
        with Client(server.base_url, "OPTIMIZED", "optimized-secret-key", "jsonrpc") as client:
            reference = client.create_customer(customer_data(ExternalCustomerReference="OPT-1"))
            client.add_subscription(subscription_data(reference, "OPT-SUB-1"))
            assert client.search_customers({"ExternalCustomerReference": "OPT-1"})["Items"]
            customer = client.get_customer_information(reference)
            assert client.update_customer_information({**customer, "City": "Oslo"}, update_end_user_subscriptions=True)
            assert client.get_customer_subscriptions(reference)[0]["EndUser"]["City"] == "Oslo"
        with Client(server.base_url, "OPTIMIZED", "optimized-secret-key", "rest") as rest:
            assert rest.get_customer_information(reference)["City"] == "Oslo"
        assert server.get("/rest/6.0/openapi.json").status_code == 200
        assert server.get("/_twoco/requests").json()["requests"]
    finally:
        stop_server(server)


CHECKS = """
from twoco.core.clock import Clock
from twoco.sandbox.control import ControlPlane
from twoco.sandbox.demo import add_demo_data
from twoco.core.service import Service
from twoco.store import open_store

store = open_store(DB)
refused = []
for attempt in (
    lambda: add_demo_data(store, "NOBODY"),
    lambda: ControlPlane(Service(store, Clock()), store).handle("GET", "requests", "", b""),  # no journal given
):
    try:
        attempt()
    except (ValueError, RuntimeError) as error:
        refused.append(type(error).__name__)
print(" ".join(refused))
"""


def test_programmer_errors_are_refused_under_python_o_too(tmp_path, store_kind) -> None:
    db = store_with_merchants(new_store_url(store_kind, tmp_path), {"OPTIMIZED": "optimized-secret-key"})
    done = subprocess.run(
        [sys.executable, "-O", "-c", f"DB = {db!r}\n{CHECKS}"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ValueError", "RuntimeError"]
