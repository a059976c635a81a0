"""The dashboard's orders pages: over plain HTTP (lists, filters, escaping, refusals) and in headless
Chromium (the action buttons; the 3-D Secure page a shopper is sent to, and where it sends them back).

Screenshots of the pages at 1280 px go to /tmp/dash-shots/ (outside the repository), for a look."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.clients.api import JsonRpcApi, RestApi
from tests.data import dynamic_order
from tests.data import test_payment as card_payment  # not collected as a test
from tests.sandbox.test_dashboard import IMG, XSS

SHOTS = Path("/tmp/dash-shots")
THREE_D_SECURE_CARD = "4000000000003220"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def api(server, merchant) -> Iterator[JsonRpcApi]:
    with JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0") as opened:
        yield opened


def listed(server, code: str, **query: object) -> tuple[list[str], str]:
    """The RefNos an orders list shows, in order, and the page."""
    answer = server.get(f"/_twoco/orders/{code}", params=query)
    assert answer.status_code == 200, answer.text
    return re.findall(rf'href="/_twoco/orders/{code}/(\d+)"', answer.text), answer.text


def shoot(page: Page, name: str) -> None:
    """A screenshot at 1280 px, and nothing wider than the window (the page never scrolls sideways)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, name
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# --- over plain HTTP -------------------------------------------------------------------------


def test_the_list_filters_by_status_and_test_flag_and_pages(server, merchant, merchant_factory, api) -> None:
    completed = [api.call("placeOrder", dynamic_order())["RefNo"] for _ in range(52)]  # complete by their next read
    waiting = api.call("placeOrder", dynamic_order(PaymentDetails=card_payment(THREE_D_SECURE_CARD)))["RefNo"]
    live = api.call("placeOrder", dynamic_order(PaymentDetails=card_payment() | {"Type": "CC"}))["RefNo"]
    canceled = api.call("placeOrder", dynamic_order(PaymentDetails=card_payment(THREE_D_SECURE_CARD)))["RefNo"]
    assert server.post(f"/_twoco/orders/{merchant.code}/{canceled}/cancel").status_code == 200
    newest_first = [canceled, live, waiting, *reversed(completed)]

    first, text = listed(server, merchant.code)
    assert first == newest_first[:50] and "next →" in text and "previous" not in text
    second, text = listed(server, merchant.code, page=2)
    assert second == newest_first[50:] and "← previous" in text and "next →" not in text
    assert ">COMPLETE</span>" in text and "100.00 USD" in text

    assert listed(server, merchant.code, status="COMPLETE", page=2)[0] == list(reversed(completed))[50:]
    assert listed(server, merchant.code, status="pending")[0] == [live, waiting]
    assert listed(server, merchant.code, status="CANCELED")[0] == [canceled]
    assert listed(server, merchant.code, status="REFUND")[0] == []
    assert listed(server, merchant.code, test="no")[0] == [live]
    assert listed(server, merchant.code, test="yes", status="PENDING")[0] == [waiting]
    # The pages' links keep the filters.
    _, text = listed(server, merchant.code, status="COMPLETE")
    assert f"/_twoco/orders/{merchant.code}?page=2&amp;status=COMPLETE" in text
    assert 'value="COMPLETE" selected' in text

    found, text = listed(server, merchant.code, status="SHIPPED", test="maybe")
    assert found == [] and "No status SHIPPED." in text and "No test filter maybe: yes or no." in text

    customer = api.call("getOrder", completed[0])  # the customer its completion made
    reference = re.search(
        r"/_twoco/customers/[^/]+/(\d+)", server.get(f"/_twoco/orders/{merchant.code}/{completed[0]}").text
    )
    assert reference is not None and customer["Status"] == "COMPLETE"
    assert listed(server, merchant.code, customer=reference.group(1))[0] == [completed[0]]

    home = server.get("/_twoco/").text
    assert f'<a href="/_twoco/orders/{merchant.code}">55</a>' in home
    other = merchant_factory()
    assert listed(server, other.code)[1].count("No order matches.") == 1  # merchant isolation
    assert server.get(f"/_twoco/orders/{other.code}/{completed[0]}").status_code == 404


def test_an_order_page_shows_what_the_order_holds(server, merchant, api) -> None:
    order = api.call("placeOrder", dynamic_order(Items=[*dynamic_order()["Items"], {
        "Name": "Support", "Quantity": 3, "IsDynamic": True, "PurchaseType": "PRODUCT",
        "Price": {"Amount": 5, "Type": "CUSTOM"},
    }]))  # fmt: skip
    ref_no = order["RefNo"]
    assert api.call("getOrder", ref_no)["Status"] == "COMPLETE"
    assert api.call("issueRefund", ref_no, 15, None, "a partial refund", "Other")
    answer = server.get(f"/_twoco/orders/{merchant.code}/{ref_no}")
    assert answer.status_code == 200
    assert "form-action 'self'" in answer.headers["content-security-policy"]
    text = answer.text
    for shown in (
        f"Order {ref_no}",
        '<span class="status status-refund">REFUND</span>',
        "<td>Support</td>",
        '<td class="num">3</td><td class="num">5.00 USD</td><td class="num">15.00 USD</td>',
        '<tr><th>GrossPrice</th><td class="num">115.00 USD</td></tr>',
        "<tr><th>Card</th><td>VISA 4111 … 1111</td></tr>",
        "a partial refund",
        "<td>issueRefund</td>",
        "<td>placeOrder</td>",
    ):
        assert shown in text, shown
    subscriptions = re.findall(r'href="/_twoco/customers/[^/]+/(\d+)#subscription-(\w+)"', text)
    assert len(subscriptions) == 2  # an item each
    customer_page = server.get(f"/_twoco/customers/{merchant.code}/{subscriptions[0][0]}").text
    assert f'id="subscription-{subscriptions[0][1]}"' in customer_page
    assert f'href="/_twoco/orders/{merchant.code}/{ref_no}"' in customer_page  # the customer's orders
    assert "<form" not in text  # a refunded order allows no action


def test_refusals_and_unknown_orders(server, merchant, api) -> None:
    ref_no = api.call("placeOrder", dynamic_order(PaymentDetails=card_payment(THREE_D_SECURE_CARD)))["RefNo"]
    assert server.get(f"/_twoco/orders/{merchant.code}/{ref_no}").status_code == 200
    assert server.get("/_twoco/orders/NOBODY").status_code == 404
    assert server.get(f"/_twoco/orders/NOBODY/{ref_no}").status_code == 404
    assert server.get(f"/_twoco/orders/{merchant.code}/123456789").status_code == 404
    missing = server.get(f"/_twoco/orders/{merchant.code}/{quote(IMG, safe='')}")
    assert missing.status_code == 404 and "<img" not in missing.text and "&lt;img" in missing.text
    assert server.get(f"/_twoco/orders/{quote(IMG, safe='')}").status_code == 404
    assert server.get(f"/_twoco/orders/{merchant.code}/{ref_no}/complete").status_code == 404  # a POST's address
    assert server.post(f"/_twoco/orders/{merchant.code}/{ref_no}").status_code == 405
    assert server.post(f"/_twoco/orders/{merchant.code}").status_code == 405
    echoed = server.get(f"/_twoco/orders/{merchant.code}", params={"status": XSS, "customer": IMG}).text
    assert "<script>alert" not in echoed and "<img" not in echoed and "No status &lt;script&gt;alert(1)" in echoed
    # An action the status does not allow, posted by a stale page: the control plane refuses it.
    assert server.post(f"/_twoco/orders/{merchant.code}/{ref_no}/approve", headers=FORM).status_code == 409


# --- in Chromium -----------------------------------------------------------------------------


@pytest.mark.browser
def test_hostile_billing_details_are_text_on_the_orders_pages(server, merchant, api, page) -> None:
    billing = {**dynamic_order()["BillingDetails"], "FirstName": XSS, "LastName": IMG, "Company": XSS + IMG}
    items = [{**dynamic_order()["Items"][0], "Name": IMG}]
    external = f"X-{secrets.token_hex(3)}{IMG}"
    placed = api.call(
        "placeOrder",
        dynamic_order(BillingDetails=billing, Items=items, ExternalReference=XSS, ExternalCustomerReference=external),
    )
    pending = api.call(
        "placeOrder",
        dynamic_order(BillingDetails=billing, ExternalCustomerReference=external,
                      PaymentDetails=card_payment(THREE_D_SECURE_CARD)),
    )  # fmt: skip
    ref_no = placed["RefNo"]
    assert api.call("getOrder", ref_no)["Status"] == "COMPLETE"
    for path in (
        f"/_twoco/orders/{merchant.code}/{ref_no}",
        f"/_twoco/orders/{merchant.code}/{pending['RefNo']}",
        f"/_twoco/orders/{merchant.code}",
    ):
        answer = server.get(path)
        assert answer.status_code == 200, path
        assert "<img" not in answer.text and "<script>alert" not in answer.text, path
        page.goto(server.base_url + path)
        assert page.locator("main script, img, svg").count() == 0, path
    expect(page.locator("tr", has_text=pending["RefNo"])).to_contain_text(external)  # named, not made yet
    page.goto(f"{server.base_url}/_twoco/orders/{merchant.code}/{ref_no}")
    expect(page.locator("#billing")).to_contain_text(XSS)
    expect(page.locator("#billing")).to_contain_text(IMG)
    expect(page.locator("#items")).to_contain_text(IMG)
    expect(page.locator("#order")).to_contain_text(XSS)
    expect(page.locator("#customer")).to_contain_text(external)
    page.wait_for_timeout(300)  # an onerror handler would have fired by now


@pytest.mark.browser
def test_complete_a_manual_order_with_its_button(server, merchant, api, page) -> None:
    settings = server.request("PUT", f"/_twoco/merchants/{merchant.code}/orders", json={"completion": "manual"})
    assert settings.status_code == 200 and settings.json()["completion"] == "manual"
    ref_no = api.call("placeOrder", dynamic_order())["RefNo"]
    api.call("placeOrder", dynamic_order(PaymentDetails=card_payment(THREE_D_SECURE_CARD)))  # another, PENDING

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.base_url}/_twoco/")
    page.locator("tr", has_text=merchant.code).get_by_role("link", name="2", exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"Orders · {merchant.code}")
    shoot(page, "orders-list")
    page.get_by_label("status").select_option("AUTHRECEIVED")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    page.get_by_role("link", name=ref_no).click()

    expect(page.locator("h1")).to_contain_text(f"Order {ref_no}")
    expect(page.locator("h1")).to_contain_text("AUTHRECEIVED")
    buttons = page.locator("#actions button")
    expect(buttons).to_have_text(["approve", "complete", "fail", "reverse", "cancel"])
    expect(page.locator("#items")).not_to_contain_text("until")  # no subscription yet
    shoot(page, "order-authreceived")

    page.get_by_role("button", name="complete").click()
    page.wait_for_url(f"**/_twoco/orders/{merchant.code}/{ref_no}")
    expect(page.locator("h1")).to_contain_text("COMPLETE")
    expect(page.locator("#actions")).to_have_count(0)
    history = page.locator("#status-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("control plane")
    subscription = page.locator("#items .subscription a")
    expect(subscription).to_have_count(1)
    expect(page.locator("#customer a")).to_be_visible()
    shoot(page, "order-complete")
    assert api.call("getOrder", ref_no)["Status"] == "COMPLETE"

    reference = subscription.inner_text()
    subscription.click()
    expect(page.locator(f"#subscription-{reference}")).to_be_visible()
    expect(page.locator("table.orders")).to_contain_text(ref_no)  # the customer's orders
    shoot(page, "customer-with-orders")
    page.locator("table.orders").get_by_role("link", name=ref_no).click()
    expect(page.locator("h1")).to_contain_text(f"Order {ref_no}")


class _Shop(BaseHTTPRequestHandler):
    """The merchant's site the payment page sends the shopper back to: it notes what it was sent."""

    visits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.visits.append(self.path)
        body = b"<!doctype html><title>shop</title><p>back at the shop"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server standing for the merchant's site: (its base URL, the paths visited)."""
    visits: list[str] = []
    handler = type("Shop", (_Shop,), {"visits": visits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", visits
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.mark.browser
@pytest.mark.parametrize("answer", ["Authenticate", "Fail authentication"])
def test_the_3d_secure_page_in_chromium(server, merchant, page, shop, answer: str) -> None:
    shop_url, visits = shop
    rest = RestApi(server.base_url, merchant.code, merchant.secret, "6.0")
    payment = card_payment(
        THREE_D_SECURE_CARD,
        Vendor3DSReturnURL=f"{shop_url}/3ds/back?cart=7",
        Vendor3DSCancelURL=f"{shop_url}/3ds/cancel",
    )
    order = rest.request("POST", "/orders/", body=dynamic_order(PaymentDetails=payment))
    ref_no = order["RefNo"]
    assert order["Status"] == "PENDING"
    authorize = order["PaymentDetails"]["PaymentMethod"]["Authorize3DS"]

    link = authorize["Href"] + "?avng8apitoken=" + authorize["Params"]["avng8apitoken"]
    # The form's answer redirects to the shop: Chromium follows only where the form-action allows.
    assert f"form-action 'self' {shop_url};" in httpx.get(link, timeout=30).headers["content-security-policy"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(link)
    expect(page.locator("body")).to_contain_text(str(ref_no))
    if answer == "Authenticate":
        shoot(page, "3ds-page")
    page.get_by_role("button", name=answer).click()
    page.wait_for_url(f"{shop_url}/**")
    expect(page.locator("body")).to_contain_text("back at the shop")

    sent_to = urlsplit(page.url)
    query = parse_qs(sent_to.query)
    assert query["REFNO"] == [str(ref_no)] and visits[0] == sent_to.path + "?" + sent_to.query  # then /favicon.ico
    answered = rest.request("GET", f"/orders/{ref_no}/")
    if answer == "Authenticate":
        assert sent_to.path == "/3ds/back" and query["cart"] == ["7"]
        assert answered["Status"] in ("AUTHRECEIVED", "COMPLETE") and answered["Errors"] is None
    else:
        assert sent_to.path == "/3ds/cancel"
        assert answered["Status"] == "PENDING" and answered["Errors"]["CARD_PAYMENT_ERROR"]

    page.goto(f"{server.base_url}/_twoco/orders/{merchant.code}/{ref_no}")
    expect(page.locator("#status-history")).to_contain_text("3-D Secure page")
    expect(page.locator("#payment tr", has_text="3-D Secure")).to_contain_text("answered")
    if answer == "Fail authentication":
        expect(page.locator("#errors")).to_contain_text("CARD_PAYMENT_ERROR")
        expect(page.locator("#actions button")).to_have_text(["complete", "fail", "reverse", "cancel"])
        shoot(page, "order-3ds-failed")
    rest.close()
