"""examples/update_customer.py, run as a user runs it, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data import customer_data, product_data
from twoco.client import Client

EXAMPLE = Path(__file__).parents[2] / "examples" / "update_customer.py"


def run_example(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env}, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("protocol, version", [("soap", "4.0"), ("soap", "6.0"), ("jsonrpc", "6.0"), ("rest", "6.0")])
def test_the_example_changes_the_email(server, merchant, protocol, version) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc") as client:
        reference = client.create_customer(customer_data(ExternalCustomerReference="Apitest123456"))

        done = run_example(
            str(reference), "--external-reference", "Apitest123456", "--protocol", protocol, "--api-version", version,
            TWOCO_HOST=server.base_url, TWOCO_MERCHANT_CODE=merchant.code, TWOCO_SECRET_KEY=merchant.secret,
        )  # fmt: skip

        assert (done.returncode, done.stdout, done.stderr) == (0, "updatedCustomerInfo True\n", "")
        customer = client.get_customer_information(reference)
    assert customer["Email"] == "newemailaddressupdated@email.com"
    assert (customer["ExternalCustomerReference"], customer["FirstName"], customer["City"]) == (
        "Apitest123456",
        "Ada",
        "London",
    )


def test_the_example_takes_everything_from_the_environment(server, merchant) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "rest") as client:
        reference = client.create_customer(customer_data())
        done = run_example(
            "--email", "env@example.com",
            TWOCO_HOST=server.base_url, TWOCO_MERCHANT_CODE=merchant.code, TWOCO_SECRET_KEY=merchant.secret,
            TWOCO_CUSTOMER_REFERENCE=str(reference),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert client.get_customer_information(reference)["Email"] == "env@example.com"


def test_the_example_reports_failures_as_the_php_sample_does(server, merchant) -> None:
    settings = {"TWOCO_HOST": server.base_url, "TWOCO_MERCHANT_CODE": merchant.code}
    wrong_key = run_example("1", TWOCO_SECRET_KEY="not-the-key", **settings)
    assert (wrong_key.returncode, wrong_key.stdout) == (
        1,
        "Authentication: Authentication failed: unknown merchant code or wrong hash.\n",
    )
    unknown = run_example("123", TWOCO_SECRET_KEY=merchant.secret, **settings)
    assert (unknown.returncode, unknown.stdout) == (
        1,
        "customerInfo: No customer matches AvangateCustomerReference 123.\n",
    )
    missing = run_example(TWOCO_HOST=server.base_url)
    assert missing.returncode == 2 and "give customer reference" in missing.stderr


ORDER_EXAMPLE = EXAMPLE.parent / "place_test_order.py"


@pytest.mark.parametrize("protocol, version", [("rest", "6.0"), ("soap", "3.0"), ("jsonrpc", "5.0")])
def test_the_order_example_places_an_order_and_finds_its_subscription(server, merchant, protocol, version) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc") as client:
        client.add_product(product_data("EXAMPLE-MONTHLY"))
    done = subprocess.run(
        [sys.executable, str(ORDER_EXAMPLE), "--product", "EXAMPLE-MONTHLY", "--protocol", protocol,
         "--api-version", version],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "TWOCO_HOST": server.base_url, "TWOCO_MERCHANT_CODE": merchant.code,
             "TWOCO_SECRET_KEY": merchant.secret},
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    placed, completed, subscription = done.stdout.splitlines()
    assert placed.endswith(": AUTHRECEIVED") and completed.endswith(": COMPLETE")
    assert subscription.startswith("subscription ") and ", customer " in subscription


def test_the_order_example_says_when_a_card_is_declined(server, merchant) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc") as client:
        client.add_product(product_data("EXAMPLE-DECLINED"))
    done = subprocess.run(
        [sys.executable, str(ORDER_EXAMPLE), "--product", "EXAMPLE-DECLINED", "--card", "4000000000000002"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "TWOCO_HOST": server.base_url, "TWOCO_MERCHANT_CODE": merchant.code,
             "TWOCO_SECRET_KEY": merchant.secret},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines()[1] == "payment not taken: Couldn't complete the payment validation process"
