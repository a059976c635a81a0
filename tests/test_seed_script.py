"""The seed page's PHP script, run by ``php`` against twoco, changed only where a merchant must change it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

SEED_SCRIPT = Path(__file__).parent / "clients" / "update-customer.php"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seed" / "update-customer.txt"

# The four lines a merchant edits: host, merchant code, secret key, customer reference.
EDITS = (
    (r'\$host = "[^"]*";', '$host = "{host}";'),
    (r'\$merchantCode = "[^"]*";', '$merchantCode = "{code}";'),
    (r'\$key = "[^"]*";', '$key = "{secret}";'),
    (r"\$customerReference = \d+;", "$customerReference = {reference};"),
)


def edited_seed(**values: object) -> str:
    script = SEED_SCRIPT.read_text()
    for pattern, replacement in EDITS:
        script, count = re.subn(pattern, lambda _m, r=replacement: r.format(**values), script)
        assert count == 1, pattern
    return script


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
    script.write_text(edited_seed(host=server.base_url, code=merchant.code, secret=merchant.secret, reference=reference))

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
