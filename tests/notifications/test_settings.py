"""Where a merchant's notifications go, set from the command line and from a fixtures file:
`twoco merchant notifications` (probing a new URL as 2Checkout does) and `notifications:`."""

from __future__ import annotations

import httpx

from tests.notifications.handler import running_handler
from tests.servers import twoco_command as twoco
from twoco.testing import run_twoco


def test_the_command_shows_and_sets_urls_and_algorithms(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/n.sqlite3"
    assert twoco("merchant", "add", "SHOP", "--secret", "shop-secret-key", "--db", db).returncode == 0
    shown = twoco("merchant", "notifications", "SHOP", "--db", db)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "SHOP: IPNs to (nowhere)",
        "SHOP: LCNs to (nowhere)",
        "SHOP: signed with sha256, sha3-256",
    ]
    with running_handler("shop-secret-key") as handler:
        saved = twoco(
            "merchant", "notifications", "SHOP", "--ipn-url", f"{handler.url}/ipn", "--algorithms", "SHA3-256,md5",
            "--db", db,
        )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    assert f"SHOP: IPNs to {handler.url}/ipn" in saved.stdout
    assert "SHOP: signed with md5, sha3-256" in saved.stdout  # 2Checkout's order, each once


def test_the_command_refuses_a_url_whose_get_fails_and_saves_nothing(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/n.sqlite3"
    assert twoco("merchant", "add", "SHOP", "--db", db).returncode == 0
    refused = twoco("merchant", "notifications", "SHOP", "--lcn-url", "http://127.0.0.1:9/lcn", "--db", db)
    assert refused.returncode == 2
    assert refused.stderr.startswith("twoco: lcn_url 'http://127.0.0.1:9/lcn' was not saved: its GET gave connection")
    assert "LCNs to (nowhere)" in twoco("merchant", "notifications", "SHOP", "--db", db).stdout
    unprobed = twoco(
        "merchant", "notifications", "SHOP", "--lcn-url", "http://127.0.0.1:9/lcn", "--no-probe", "--db", db
    )
    assert unprobed.returncode == 0 and "LCNs to http://127.0.0.1:9/lcn" in unprobed.stdout
    wrong = twoco("merchant", "notifications", "SHOP", "--ipn-url", "ftp://example.com/ipn", "--db", db)
    assert (wrong.returncode, "must be an http or https URL" in wrong.stderr) == (2, True)
    missing = twoco("merchant", "notifications", "NOPE", "--db", db)
    assert (missing.returncode, missing.stderr.strip()) == (1, "twoco: no merchant 'NOPE'")


def test_fixtures_set_where_notifications_go_unprobed_and_refuse_what_is_wrong() -> None:
    with run_twoco() as server:
        document = {
            "merchants": [
                {
                    "code": "FIXED",
                    "secret_key": "fixed-secret-key",
                    "notifications": {"ipn_url": "http://127.0.0.1:9/ipn", "algorithms": ["md5"]},
                }
            ]
        }
        loaded = httpx.post(f"{server.url}/_twoco/fixtures", json=document)
        assert loaded.status_code == 200, loaded.text
        settings = httpx.get(f"{server.url}/_twoco/merchants/FIXED/notifications").json()
        assert settings == {"ipn_url": "http://127.0.0.1:9/ipn", "lcn_url": None, "algorithms": ["md5"]}
        document["merchants"][0]["notifications"] = {"algorithms": ["crc32"]}
        refused = httpx.post(f"{server.url}/_twoco/fixtures", json=document)
        assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_FIXTURE"
        assert "merchants[0].notifications" in refused.json()["message"]
