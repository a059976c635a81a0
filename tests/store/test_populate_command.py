"""twoco populate: bulk customers and subscriptions that the API then serves like any others; twoco seed,
its former name, still works and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.clients.api import JsonRpcApi
from tests.servers import new_store_url, start_server, stop_server, twoco_command
from twoco.store import open_store


@pytest.mark.slow  # bulk data through the twoco populate command
def test_populate_fills_the_store_with_valid_data(store_kind, tmp_path) -> None:
    url = new_store_url(store_kind, tmp_path)
    command = [sys.executable, "-m", "twoco", "populate", "--customers", "12000", "--subscriptions-per-customer", "2",
               "--merchant", "BULK", "--db", url]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=600, env=os.environ)
    assert first.returncode == 0, first.stderr
    assert "created merchant BULK" in first.stdout and "added 12,000 customers and 24,000 subscriptions" in first.stdout
    assert "customers: 12,000/12,000 (100%" in first.stderr  # the progress line
    again = subprocess.run([*command[:5], "500", *command[6:]], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr  # a second run adds to the first

    store = open_store(url)
    with store.transaction(write=False) as cursor:
        assert cursor.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 12_500
        assert cursor.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 25_000
        reference = cursor.execute("SELECT reference FROM customers ORDER BY reference LIMIT 1").fetchone()[0]
    secret = store.merchant("BULK").secret_key
    store.close()

    server = start_server(tmp_path, url)
    try:
        api = JsonRpcApi(server.base_url, "BULK", secret, "4.0")
        customer = api.call("getCustomerInformation", reference, None)
        assert customer["ExternalCustomerReference"] == f"SEED-{reference}"
        subscriptions = api.call("getCustomerSubscriptions", reference, None)
        assert len(subscriptions) == 2
        assert subscriptions[0]["EndUser"]["Email"] == customer["Email"]
        assert api.call("updateCustomerInformation", {**customer, "City": "Shelbyville"}, True) is True
        assert (
            api.call("getSubscription", subscriptions[0]["SubscriptionReference"])["EndUser"]["City"] == "Shelbyville"
        )
        api.close()
    finally:
        stop_server(server)


def test_seed_is_a_deprecated_alias_of_populate(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/alias.sqlite3"
    done = twoco_command(
        "seed", "--customers", "3", "--subscriptions-per-customer", "1", "--merchant", "OLD", "--db", db
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == 'twoco: "seed" is now "populate"'
    assert "added 3 customers and 3 subscriptions" in done.stdout  # and then it did the work
    assert "seed" not in twoco_command("--help").stdout.split("examples:")[0]  # not offered in the help
    populated = twoco_command("populate", "--customers", "2", "--merchant", "OLD", "--db", db)
    assert populated.returncode == 0 and '"seed"' not in populated.stderr
    assert "added 2 customers and 0 subscriptions" in populated.stdout


def test_populate_products_makes_a_catalogue_the_subscriptions_name(store_kind, tmp_path) -> None:
    url = new_store_url(store_kind, tmp_path)
    done = twoco_command("populate", "--products", "5", "--customers", "20", "--subscriptions-per-customer", "2",
                         "--merchant", "CATALOGUE", "--db", url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "added 5 products" in done.stdout and "added 20 customers and 40 subscriptions" in done.stdout
    again = twoco_command("populate", "--customers", "3", "--subscriptions-per-customer", "1",
                          "--merchant", "CATALOGUE", "--db", url)  # fmt: skip
    assert again.returncode == 0 and "products" not in again.stdout  # --products 0: none added

    store = open_store(url)
    secret = store.merchant("CATALOGUE").secret_key
    with store.transaction(write=False) as cursor:
        named = set(
            cursor.execute("SELECT DISTINCT product_code, product_id, product_name FROM subscriptions").fetchall()
        )
        reference = cursor.execute("SELECT reference FROM customers ORDER BY reference LIMIT 1").fetchone()[0]
    store.close()

    server = start_server(tmp_path, url)
    try:
        with JsonRpcApi(server.base_url, "CATALOGUE", secret, "6.0") as api:
            found = api.call("searchProducts", {"Pagination": {"Limit": 10}})["Items"]
            (subscription, *_) = api.call("getCustomerSubscriptions", reference, None)
            assert api.call("getProductByCode", subscription["Product"]["ProductCode"])["Enabled"] is True
    finally:
        stop_server(server)
    assert len(found) == 5 and all(product["ProductCode"] == f"SEED-{product['AvangateId']}" for product in found)
    assert all(product["PricingConfigurations"][0]["Prices"]["Regular"] for product in found)
    assert named <= {(p["ProductCode"], p["AvangateId"], p["ProductName"]) for p in found}  # 43 of the 5


def test_populate_without_products_names_the_seeded_product(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/plain.sqlite3"
    done = twoco_command("populate", "--customers", "2", "--subscriptions-per-customer", "1", "--db", db)
    assert done.returncode == 0, done.stderr
    store = open_store(db)
    with store.transaction(write=False) as cursor:
        assert (
            cursor.execute("SELECT product_code, product_id FROM subscriptions").fetchall() == [("SEED-PRODUCT", 1)] * 2
        )
    store.close()
    refused = twoco_command("populate", "--customers", "1", "--products", "-1", "--db", db)
    assert refused.returncode == 2 and "cannot be negative" in refused.stderr
