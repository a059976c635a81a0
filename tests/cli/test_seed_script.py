"""The seed page's PHP script, run by ``php`` against twoco, changed only where a merchant must change it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.clients import PhpClient
from tests.servers import start_server, stop_server

SEED_SCRIPT = Path(__file__).parents[1] / "clients" / "update-customer.php"
SHARED_SEED = Path(__file__).parents[3] / "shared" / "seed" / "update-customer.txt"

# The four lines a merchant edits: host, merchant code, secret key, customer reference.
EDITS = (
    (r'\$host = "[^"]*";', '$host = "{host}";'),
    (r'\$merchantCode = "[^"]*";', '$merchantCode = "{code}";'),
    (r'\$key = "[^"]*";', '$key = "{secret}";'),
    (r"\$customerReference = \d+;", "$customerReference = {reference};"),
)


def edited_seed(**values: object) -> str:
    script = SEED_SCRIPT.read_text()
    for pattern, replacement in EDITS if "reference" in values else EDITS[:3]:
        script, count = re.subn(pattern, lambda _m, r=replacement: r.format(**values), script)
        assert count == 1, pattern
    return script


def test_a_new_stores_demo_merchant_runs_the_seed_unchanged_but_for_host_code_and_key(tmp_path) -> None:
    """A newcomer's first run: the demo merchant holds the seed's customer (298084139, Apitest123456)."""
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/new.sqlite3")
    try:
        secret = re.search(r"secret key:\s+(\S+)", server.log_path.read_text()).group(1)
        script = tmp_path / "update-customer.php"
        script.write_text(edited_seed(host=server.base_url, code="DEMO", secret=secret))
        assert "$customerReference = 298084139;" in script.read_text()
        done = subprocess.run(
            ["php", "-d", "soap.wsdl_cache_enabled=0", str(script)], capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stdout) == (0, 'string(19) "updatedCustomerInfo"\nbool(true)\n'), done.stderr
        customer = PhpClient(server.base_url)
        session = customer.login("DEMO", secret)
        updated = customer.call("getCustomerInformation", session, 298084139, "Apitest123456")
        assert updated["Email"] == "newemailaddressupdated@email.com"
    finally:
        stop_server(server)


def test_committed_script_is_the_seed_verbatim() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seed is not beside this clone")  # the copy under tests/ is still run below
    seed = SHARED_SEED.read_text()
    assert seed[seed.index("<?php") :].rstrip("\n") == SEED_SCRIPT.read_text().rstrip("\n")


def create_seed_customer(client, session: str) -> int:
    """The customer the seed script expects: its external reference is 'Apitest123456'."""
    return client.call(
        "createCustomer",
        session,
        {
            "ExternalCustomerReference": "Apitest123456",
            "FirstName": "John",
            "LastName": "Doe",
            "Address1": "Test Address",
            "City": "LA",
            "Zip": "90210",
            "CountryCode": "US",
            "Email": "testcustomer@email.com",
            "Language": "en",
        },
    )


@pytest.mark.parametrize("client", ["php"], indirect=True)
def test_seed_script_updates_the_email(server, client, merchant, session, tmp_path) -> None:
    reference = create_seed_customer(client, session)
    script = tmp_path / "update-customer.php"
    script.write_text(
        edited_seed(host=server.base_url, code=merchant.code, secret=merchant.secret, reference=reference)
    )

    done = subprocess.run(
        ["php", "-d", "soap.wsdl_cache_enabled=0", str(script)], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == 'string(19) "updatedCustomerInfo"\nbool(true)\n'
    customer = client.call("getCustomerInformation", session, reference, None)
    assert customer["Email"] == "newemailaddressupdated@email.com"
    assert customer["ExternalCustomerReference"] == "Apitest123456"
    assert customer["FirstName"] == "John" and customer["CountryCode"] == "us"


@pytest.mark.parametrize("client", ["php"], indirect=True)
def test_seed_script_reports_a_wrong_key(server, client, merchant, tmp_path) -> None:
    script = tmp_path / "update-customer.php"
    script.write_text(edited_seed(host=server.base_url, code=merchant.code, secret="not-the-key", reference=1))

    done = subprocess.run(
        ["php", "-d", "soap.wsdl_cache_enabled=0", str(script)], capture_output=True, text=True, timeout=60
    )

    assert done.stdout == "Authentication: Authentication failed: unknown merchant code or wrong hash."
