"""The twoco command: serve on an empty store, merchants, help, and a clean stop."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sqlite3
import stat

import pytest

from tests.clients import PhpClient
from tests.clients.api import RestApi, SoapApi
from tests.data import subscription_data
from tests.servers import new_store_url, start_server, stop_server, twoco_command
from twoco.cli import build_parser

twoco = twoco_command


def test_serve_on_an_empty_store_creates_a_demo_merchant_that_works(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/empty.sqlite3")
    try:
        banner = server.log_path.read_text()
        secret = re.search(r"secret key:\s+(\S+)", banner).group(1)
        assert "merchant code: DEMO" in banner
        assert f"{server.base_url}/soap/4.0/?wsdl" in banner
        assert "php -r" in banner and secret in banner
        assert len(PhpClient(server.base_url).login("DEMO", secret)) == 32
        assert stat.S_IMODE(os.stat(tmp_path / "empty.sqlite3").st_mode) == 0o600
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(15) == 0
    restarted = start_server(tmp_path, f"sqlite:///{tmp_path}/empty.sqlite3")
    try:
        assert "secret key" not in restarted.log_path.read_text()  # printed once, when created
    finally:
        stop_server(restarted)


def test_the_demo_merchant_has_the_products_the_samples_look_for(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/demo.sqlite3")
    try:
        banner = server.log_path.read_text()
        assert "its products:  4586004 TWOCO-MONTHLY, 4586005 TWOCO-LIFETIME, 4586006 TWOCO-OPTIONS" in banner
        secret = re.search(r"secret key:\s+(\S+)", banner).group(1)
        # The REST 3.0 sample's search for "the first enabled regular product".
        with RestApi(server.base_url, "DEMO", secret, "3.0") as rest:
            query = {"Limit": 1, "Enabled": 1, "Types[]": "REGULAR"}
            (first,) = rest.request("GET", "/products/", query)
        assert (first["AvangateId"], first["ProductCode"], first["GeneratesSubscription"]) == (
            4586004,
            "TWOCO-MONTHLY",
            True,
        )
        assert first["SubscriptionInformation"]["BillingCycle"] == 1
        (pricing,) = first["PricingConfigurations"]
        assert pricing["Default"] and pricing["Prices"]["Renewal"]
        assert {price["Currency"] for price in pricing["Prices"]["Regular"]} == {"USD", "EUR"}
        # The trial order sample's "REGULAR product that allows trial": a trial text, no required option.
        assert first["TrialDescription"] and not pricing["PriceOptions"]
        # SOAP: searchProducts finds all three; the addSubscription sample's ProductId resolves.
        with SoapApi(server.base_url, "DEMO", secret, "6.0") as soap:
            found = soap.call("searchProducts", {"Enabled": True, "Types": ["REGULAR"]})["Items"]
            assert [product["ProductCode"] for product in found] == ["TWOCO-MONTHLY", "TWOCO-LIFETIME", "TWOCO-OPTIONS"]
            assert found[1]["GeneratesSubscription"] is False
            assert found[2]["PricingConfigurations"][0]["PriceOptions"] == [{"Code": "SUPPORT", "Required": True}]
            imported = soap.call(
                "addSubscription", subscription_data(298084139, "DEMO-IMPORT", Product={"ProductId": 4586004})
            )
            assert soap.call("getSubscription", imported)["Product"]["ProductCode"] == "TWOCO-MONTHLY"
    finally:
        stop_server(server)


def test_sigint_stops_the_server_cleanly(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/s.sqlite3")
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(15) == 0
    assert "twoco stopped" in server.log_path.read_text()


def test_merchant_add_and_list(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/m.sqlite3"
    generated = twoco("merchant", "add", "ACME", "--db", db)
    assert generated.returncode == 0, generated.stderr
    secret = re.search(r"secret key:\s+(\S+)", generated.stdout).group(1)
    assert len(secret) >= 32
    assert twoco("merchant", "add", "BETA", "--secret", "SECRET_KEY", "--db", db).returncode == 0

    listing = twoco("merchant", "list", "--db", db).stdout
    assert [line.split("\t")[0] for line in listing.splitlines()] == ["ACME", "BETA"]
    assert secret not in listing and "SECRET_KEY" not in listing
    assert "SECRET_KEY" in twoco("merchant", "list", "--show-secrets", "--db", db).stdout

    duplicate = twoco("merchant", "add", "ACME", "--db", db)
    assert (duplicate.returncode, "exists already" in duplicate.stderr) == (1, True)
    invalid = twoco("merchant", "add", "no spaces", "--db", db)
    assert invalid.returncode == 2


def test_db_from_the_environment_and_the_default(tmp_path) -> None:
    env_db = f"sqlite:///{tmp_path}/env.sqlite3"
    assert twoco("merchant", "add", "ENVM", env={"TWOCO_DB": env_db}).returncode == 0
    assert twoco("merchant", "list", "--db", env_db).stdout.startswith("ENVM\t")
    assert twoco("db", "upgrade", cwd=tmp_path, env={"TWOCO_DB": ""}).returncode == 0
    assert (tmp_path / "twoco.sqlite3").exists()


def test_bad_store_url_is_a_clear_error(tmp_path) -> None:
    done = twoco("merchant", "list", "--db", "mysql://nope")
    assert done.returncode == 2 and "unsupported store URL" in done.stderr
    missing_dir = twoco("merchant", "list", "--db", "sqlite:///no/such/dir/x.sqlite3")
    assert missing_dir.returncode == 2 and "four slashes" in missing_dir.stderr


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand the parser knows, so a new one is covered automatically."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                found += _commands(subparser, (*path, name))
    return found


@pytest.mark.parametrize("command", _commands(build_parser()), ids=" ".join)
def test_help_explains_with_an_example(command) -> None:
    done = twoco(*command, "--help")
    assert done.returncode == 0
    assert "example" in done.stdout and "twoco" in done.stdout


def _tables(db: str) -> list[str]:
    if db.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection:
            return [name for (name,) in connection.execute("SELECT name FROM sqlite_master")]
    import psycopg

    with psycopg.connect(db) as connection:
        return [name for (name,) in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def test_serve_without_upgrade_leaves_an_empty_store_empty(tmp_path, store_kind) -> None:
    db = new_store_url(store_kind, tmp_path)
    if store_kind == "sqlite":
        open(db.removeprefix("sqlite:///"), "wb").close()  # an empty file
    refused = twoco("serve", "--no-upgrade", "--port", "1", "--db", db)
    assert refused.returncode == 2, refused.stderr
    assert "schema is at version 0" in refused.stderr and "run twoco db upgrade" in refused.stderr
    assert _tables(db) == []
    assert twoco("db", "upgrade", "--db", db).returncode == 0
    assert "schema_version" in _tables(db)


def test_serve_can_be_told_not_to_upgrade(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/fresh.sqlite3"
    refused = twoco("serve", "--no-upgrade", "--port", "1", "--db", db)
    assert refused.returncode == 2 and "run twoco db upgrade" in refused.stderr
    assert twoco("db", "upgrade", "--db", db).returncode == 0
    server = start_server(tmp_path, db, "--no-upgrade")  # current schema: starts
    stop_server(server)
