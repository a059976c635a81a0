"""The sign-on pages over plain HTTP, in process (tests/sso/test_sso.py opens them in Chromium): customer
values with markup stay text, and every page, refusals included, carries the same headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests import servers
from tests.clients.api import JsonRpcApi
from tests.data import customer_data

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def api(app_server, merchant) -> Iterator[JsonRpcApi]:
    opened = JsonRpcApi(app_server.base_url, merchant.code, merchant.secret, "6.0")
    yield opened
    opened.close()


def assert_page_headers(page) -> None:
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"style-src 'nonce-([^']+)'", policy)
    assert nonce and f'<style nonce="{nonce.group(1)}">' in page.text  # the inline style, and nothing else
    assert policy.startswith("default-src 'none';") and "script-src" not in policy
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["referrer-policy"] == "no-referrer"  # the URL holds the token
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_customer_markup_is_escaped_on_the_myaccount_page(api) -> None:
    reference = api.call(
        "createCustomer", customer_data(FirstName=SCRIPT, LastName='"><img src=x>', Company="<b>bold</b>")
    )
    link = api.call("getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", None, None, 60, None)
    page = servers.get(link, timeout=30)
    assert page.status_code == 200
    assert_page_headers(page)
    assert "<script" not in page.text and "<img" not in page.text and "<b>" not in page.text
    assert f'<strong id="customer-name">{ESCAPED} ' in page.text and "&gt;&lt;img src=x&gt;</strong>" in page.text
    assert "<td>&lt;b&gt;bold&lt;/b&gt;</td>" in page.text


def test_customer_and_buy_link_markup_is_escaped_on_the_cart_page(api) -> None:
    reference = api.call("createCustomer", customer_data(LastName=SCRIPT))
    buy_link = "https://store.avancart.com/order/checkout.php?PRODS=4639321&NOTE=%3Cscript%3E"
    link = api.call("getSingleSignOnInCart", str(reference), "AvangateCustomerReference", buy_link, 60, None)
    page = servers.get(link, timeout=30)
    assert page.status_code == 200
    assert_page_headers(page)
    assert "<script" not in page.text and ESCAPED in page.text
    assert "<tr><td>NOTE</td><td>&lt;script&gt;</td></tr>" in page.text


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/myaccount/", 404, "No sign-on token"),
        ("/myaccount/?logintoken=" + "0" * 40, 404, "Unknown link"),
        ("/order/checkout.php?logintoken=" + "0" * 40, 404, "Unknown link"),
    ],
)
def test_refusals_are_pages_with_the_same_headers(app_server, path, status, heading) -> None:
    page = app_server.get(path)
    assert page.status_code == status
    assert f"<h1>{heading}</h1>" in page.text
    assert_page_headers(page)


def test_only_get_and_head_open_a_link(app_server) -> None:
    refused = app_server.post("/myaccount/?logintoken=" + "0" * 40)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert "Sign-on links are opened with GET." in refused.text
    assert_page_headers(refused)
    head = app_server.request("HEAD", "/myaccount/?logintoken=" + "0" * 40)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["referrer-policy"] == "no-referrer"
