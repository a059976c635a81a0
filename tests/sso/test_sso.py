"""The pages single sign-on links lead to, in headless Chromium (as tests/sandbox/test_dashboard.py drives it)
and over plain HTTP: each link opens once, until it expires, from its validationIp only."""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.clients import PhpClient
from tests.clients.api import JsonRpcApi, SoapApi
from tests.data import customer_data, subscription_data
from tests.sandbox.conftest import browser, page  # noqa: F401  (the Chromium fixtures, shared)
from tests.sandbox.test_dashboard import XSS
from tests.servers import start_server, stop_server, store_with_merchants

# The sign-on pages, in headless Chromium (some beside it over plain HTTP): scripts/test --fast leaves them out.
pytestmark = pytest.mark.browser

BUY_LINK = "https://store.avancart.com/order/checkout.php?PRODS=4639321&QTY=3"


@pytest.fixture
def soap(server, merchant) -> SoapApi:
    """suds over SOAP 6.0, logged in as the test's merchant."""
    return SoapApi(server.base_url, merchant.code, merchant.secret, "6.0")


def myaccount_link(api, reference: int, page: str | None = None, **options: object) -> str:
    request, validity, address = options.get("request"), options.get("validity", 60), options.get("ip")
    return api.call(
        "getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", page, request, validity, address
    )  # type: ignore[return-value]


def assert_no_markup_from(page: Page) -> None:
    assert page.locator("script, img, svg, b").count() == 0  # the pages run no script, customer data stays text
    page.wait_for_timeout(300)  # an onerror or onload handler would have fired by now


def test_follow_a_myaccount_link_see_the_customer_then_it_is_spent(server, soap, page) -> None:
    reference = soap.call(
        "createCustomer",
        customer_data(FirstName=XSS, LastName='"><img src=x onerror=alert(2)>', Company="<b>bold</b>"),
    )
    subscription = soap.call("addSubscription", subscription_data(reference, f"SSO-{secrets.token_hex(3)}"))
    link = myaccount_link(soap, reference, "my_subscription", request=f"Request[]=code={subscription}")

    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    expect(page.locator("h1")).to_contain_text("myAccount")
    expect(page.locator("#customer-name")).to_contain_text(XSS)
    expect(page.locator("table.fields")).to_contain_text("<b>bold</b>")
    expect(page.get_by_role("cell", name=subscription, exact=True)).to_be_visible()
    expect(page.locator("tr.chosen")).to_contain_text(subscription)  # the subscription the request names
    assert "default-src 'none'" in opened.headers["content-security-policy"]
    assert_no_markup_from(page)

    again = page.goto(link)
    assert again is not None and again.status == 410
    expect(page.locator("h1")).to_have_text("Link already used")
    expect(page.locator("body")).not_to_contain_text(XSS)


def test_an_expired_link_says_so(server, soap, page) -> None:
    reference = soap.call("createCustomer", customer_data())
    link = myaccount_link(soap, reference, "user_data", validity=5)
    server.move_clock(advance=6)
    try:
        opened = page.goto(link)
        assert opened is not None and opened.status == 410
        expect(page.locator("h1")).to_have_text("Link expired")
    finally:
        server.move_clock(reset=True)
    # Expiry is read off the service clock, and the refusal spent nothing: with the clock back, it opens.
    assert httpx.get(link, timeout=30).status_code == 200


def test_a_link_for_another_address_is_refused_and_stays_unspent(server, soap, page) -> None:
    reference = soap.call("createCustomer", customer_data())
    elsewhere = myaccount_link(soap, reference, "payment_methods", ip="203.0.113.9")
    opened = page.goto(elsewhere)
    assert opened is not None and opened.status == 403
    expect(page.locator("h1")).to_have_text("Link refused for this address")

    here = myaccount_link(soap, reference, "payment_methods", ip="::ffff:127.0.0.1")  # the test's own address
    assert page.goto(here).status == 200  # type: ignore[union-attr]
    expect(page.locator("h1")).to_contain_text("Payment methods")
    assert page.goto(elsewhere).status == 403  # type: ignore[union-attr]  # still refused, never spent


def test_a_cart_link_lands_on_the_checkout_signed_in(server, soap, page) -> None:
    reference = soap.call("createCustomer", customer_data(LastName=XSS, Email="cart@example.com"))
    link = soap.call("getSingleSignOnInCart", str(reference), "AvangateCustomerReference", BUY_LINK, 60, None)
    assert link.startswith(f"{server.base_url}/order/checkout.php?PRODS=4639321&QTY=3&logintoken=")
    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    expect(page.locator("h1")).to_have_text("Checkout")
    expect(page.locator("#customer-name")).to_contain_text(XSS)
    expect(page.get_by_role("cell", name="PRODS", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="4639321", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(re.compile("logintoken"))  # the token is not shown
    assert_no_markup_from(page)
    assert page.goto(link).status == 410  # type: ignore[union-attr]


# --- over plain HTTP -------------------------------------------------------------------


def test_unknown_missing_and_mismatched_tokens(server, soap) -> None:
    assert server.get("/myaccount/?logintoken=" + "0" * 40).status_code == 404
    assert server.get("/myaccount/user_data/?logintoken=nonsense").status_code == 404
    missing = server.get("/myaccount/")
    assert missing.status_code == 404 and "logintoken" in missing.text
    reference = soap.call("createCustomer", customer_data())
    cart = soap.call("getSingleSignOnInCart", str(reference), "AvangateCustomerReference", None, 60, None)
    token = cart.rsplit("=", 1)[1]
    assert server.get(f"/myaccount/?logintoken={token}").status_code == 404  # a cart token opens no myAccount page
    assert server.get(f"/order/cart.php?logintoken={token}").status_code == 200  # any cart path takes it
    assert server.post(f"/order/checkout.php?logintoken={token}").status_code == 405
    assert server.get("/order").status_code == 404  # no cart page there: the API's JSON 404
    assert server.get("/myaccount/?logintoken=" + "0" * 40).headers["referrer-policy"] == "no-referrer"


def test_head_does_not_spend_the_token(server, soap) -> None:
    link = myaccount_link(soap, soap.call("createCustomer", customer_data()))
    assert httpx.head(link, timeout=30).status_code == 200
    assert httpx.get(link, timeout=30).status_code == 200
    assert httpx.get(link, timeout=30).status_code == 410


def test_of_many_racing_requests_exactly_one_opens_the_link(server, soap) -> None:
    link = myaccount_link(soap, soap.call("createCustomer", customer_data()))
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: http.get(link).status_code, range(16)))
    assert statuses == [200] + [410] * 15


def test_reset_deletes_tokens(server, merchant, soap) -> None:
    link = myaccount_link(soap, soap.call("createCustomer", customer_data()))
    deleted = server.post("/_twoco/reset", json={"merchant": merchant.code}).json()["deleted"]
    assert deleted["sso_tokens"] == 1
    assert httpx.get(link, timeout=30).status_code == 404


def test_tokens_are_stored_by_digest_and_masked_in_the_journal(server, merchant, store, soap) -> None:
    link = myaccount_link(soap, soap.call("createCustomer", customer_data()))
    token = link.rsplit("=", 1)[1]
    assert httpx.get(link, timeout=30).status_code == 200
    with store.transaction(write=False) as cursor:
        rows = cursor.execute("SELECT token_hash FROM sso_tokens").fetchall()
    assert all(token not in row[0] for row in rows) and len(rows) >= 1
    journal = server.get("/_twoco/requests", params={"limit": 200, "merchant": merchant.code}).text
    assert "/myaccount/?logintoken=[masked]" in journal and token not in journal


def test_links_work_without_the_control_plane(tmp_path, store_kind) -> None:
    from tests.servers import new_store_url

    url = store_with_merchants(new_store_url(store_kind, tmp_path), {"SSO": "sso-secret"})
    server = start_server(tmp_path, url, "--no-control-plane")
    try:
        api = JsonRpcApi(server.base_url, "SSO", "sso-secret", "6.0")
        reference = api.call("createCustomer", customer_data())
        link = myaccount_link(api, reference, "my_products")
        api.close()
        assert server.get("/_twoco/").status_code == 404
        opened = httpx.get(link, timeout=30)
        assert opened.status_code == 200 and "My products" in opened.text
    finally:
        stop_server(server)


def test_links_name_the_host_the_call_came_in_on(server, merchant) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    try:
        reference = api.call("createCustomer", customer_data())
        call = {"jsonrpc": "2.0", "id": 1, "method": "getSingleSignOnByCustomer",
                "params": [api.session, str(reference), "AvangateCustomerReference", "user_data", None, 60, None]}  # fmt: skip
        answer = api.http.post("", json=call, headers={"host": "shop.example:8443"}).json()
    finally:
        api.close()
    assert answer["result"].startswith("http://shop.example:8443/myaccount/user_data/?logintoken=")


def test_php_soapclient_makes_and_reads_links_as_the_docs_sample_does(server, merchant) -> None:
    """The docs' PHP samples: getSingleSignOnInCart, parse_str of the link, getCustomerInformationBySSOToken."""
    php = PhpClient(server.base_url, "6.0")
    session = php.login(merchant.code, merchant.secret, "sha256")
    reference = php.call(
        "createCustomer", session, customer_data(ExternalCustomerReference=f"PHP-{secrets.token_hex(3)}")
    )
    link = php.call("getSingleSignOnInCart", session, str(reference), "AvangateCustomerReference", BUY_LINK, 50, None)
    token = dict(pair.split("=", 1) for pair in link.split("?", 1)[1].split("&"))["logintoken"]  # parse_str
    customer = php.call("getCustomerInformationBySSOToken", session, token)
    assert (
        customer["AvangateCustomerReference"] in (reference, str(reference)) and customer["Email"] == "ada@example.com"
    )

    old = PhpClient(server.base_url, "4.0")
    session = old.login(merchant.code, merchant.secret)
    account = old.call(
        "getSingleSignOnByCustomer", session, str(reference), "AvangateCustomerReference", "my_products", None, 50, None
    )
    assert account.startswith(f"{server.base_url}/myaccount/my_products/?logintoken=")
    assert httpx.get(account, timeout=30).status_code == 200
