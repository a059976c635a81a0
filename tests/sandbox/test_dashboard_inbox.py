"""The dashboard's inbox: the notifications list, a notification's page, and the forms that resend
one, fire one by hand and change where a merchant's notifications go. Over plain HTTP (statuses,
escaping, refusals, pages, the forms' posts) and in headless Chromium, against a real server
(``twoco.testing.run_twoco``) delivering to a real handler (``tests.notifications.handler``).

Screenshots of the pages at 1280 px go to /tmp/inbox-shots/ (outside the repository), for a look."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.clients.api import JsonRpcApi
from tests.data import dynamic_order
from tests.notifications.handler import Handler, running_handler
from tests.sandbox.test_dashboard import IMG, XSS
from twoco.testing import TwocoServer, run_twoco

SHOTS = Path("/tmp/inbox-shots")
FORM = {"content-type": "application/x-www-form-urlencoded"}


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def twoco() -> Iterator[TwocoServer]:
    """One server for the module, its attempts given up after 2 s."""
    with run_twoco(notify_timeout=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(twoco: TwocoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=twoco.url, timeout=30) as client:
        yield client


class Shop:
    """A merchant of its own for each test, and its API client over JSON-RPC 6.0."""

    def __init__(self, twoco: TwocoServer, code: str | None = None) -> None:
        self.code = code or f"IN{secrets.token_hex(3).upper()}"
        self.secret = twoco.add_merchant(self.code)
        self.api = JsonRpcApi(twoco.url, self.code, self.secret, "6.0")

    def order(self, **overrides: object) -> str:
        """A TEST order placed; its RefNo (it completes by its next read, so 3 notifications follow)."""
        return str(self.api.call("placeOrder", dynamic_order(**overrides))["RefNo"])


@pytest.fixture
def shop(twoco: TwocoServer, request: pytest.FixtureRequest) -> Iterator[Shop]:
    made = Shop(twoco, getattr(request, "param", None))
    yield made
    made.api.close()


@pytest.fixture
def handler(shop: Shop) -> Iterator[Handler]:
    """The shop's notification handler (answering read receipts), not yet set as its URLs."""
    with running_handler(shop.secret) as running:
        yield running


def set_urls(http: httpx.Client, shop: Shop, handler: Handler) -> None:
    answer = http.put(
        f"/_twoco/merchants/{shop.code}/notifications",
        json={"ipn_url": f"{handler.url}/ipn", "lcn_url": f"{handler.url}/lcn"},
    )
    assert answer.status_code == 200, answer.text


def inbox(http: httpx.Client, code: str, **query: object) -> list[dict[str, Any]]:
    answer = http.get("/_twoco/notifications", params={"merchant": code, "limit": 500, **query})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["notifications"])


def wait_until(check: Callable[[], object], timeout: float = 15.0) -> Any:
    """``check()``'s first true answer, asked every 50 ms."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def settled(http: httpx.Client, code: str, count: int) -> list[dict[str, Any]]:
    """The merchant's notifications once there are ``count`` and none waits for an attempt, newest first."""

    def done() -> list[dict[str, Any]] | None:
        found = inbox(http, code)
        return found if len(found) == count and all(n["state"] != "pending" for n in found) else None

    return wait_until(done)


def shoot(page: Page, name: str) -> None:
    """A screenshot at 1280 px, and nothing wider than the window (the page never scrolls sideways)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"{name} is {width} px wide"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def field_row(page: Page, name: str) -> Locator:
    """The row of a notification's field ``name``, on its page."""
    return page.locator("#fields tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def row_ids(text: str) -> list[int]:
    """The notification ids an inbox page lists, in order."""
    return [int(each) for each in re.findall(r'<td class="num"><a href="/_twoco/inbox/(\d+)">', text)]


# --- over plain HTTP -------------------------------------------------------------------------


def test_the_pages_answer_html_under_the_policy(twoco, http, shop) -> None:
    shop.order()
    found = settled(http, shop.code, 3)
    for path in ("/_twoco/inbox", f"/_twoco/inbox?merchant={shop.code}", f"/_twoco/inbox/{found[0]['id']}"):
        answer = http.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        policy = answer.headers["content-security-policy"]
        assert "script-src 'none'" in policy and "form-action 'self'" in policy, path
        assert answer.headers["cache-control"] == "no-store"
        assert '<a href="/_twoco/inbox">Inbox</a>' in answer.text  # the nav
    home = http.get("/_twoco/").text
    assert f'<a href="/_twoco/inbox?merchant={shop.code}">inbox</a>' in home
    assert http.post("/_twoco/inbox").status_code == 405
    assert http.post(f"/_twoco/inbox/{found[0]['id']}").status_code == 405
    assert http.head("/_twoco/inbox").status_code == 200


def test_the_list_filters_and_pages(twoco, http, shop) -> None:
    ref_no = shop.order()  # no URL: kept unsent
    first = settled(http, shop.code, 3)
    assert {n["state"] for n in first} == {"unsent"}
    made = [
        http.post("/_twoco/notifications/trigger", json={"merchant": shop.code, "kind": "IPN", "reference": ref_no})
        for _ in range(50)
    ]
    assert all(answer.status_code == 200 for answer in made)
    ids = [n["id"] for n in settled(http, shop.code, 53)]  # newest first

    page_one = http.get("/_twoco/inbox", params={"merchant": shop.code}).text
    assert row_ids(page_one) == ids[:50]
    assert "next →" in page_one and "← previous" not in page_one
    assert f'href="/_twoco/inbox?page=2&amp;merchant={shop.code}"' in page_one
    assert "· 53</span></h1>" in page_one
    assert page_one.count("not sent: no URL") == 50 + 1  # the rows, and the state filter's option
    page_two = http.get("/_twoco/inbox", params={"merchant": shop.code, "page": 2}).text
    assert row_ids(page_two) == ids[50:] and "← previous" in page_two and "next →" not in page_two
    assert f'<a href="/_twoco/orders/{shop.code}/{ref_no}">{ref_no}</a>' in page_two  # an IPN's order

    lcn = http.get("/_twoco/inbox", params={"merchant": shop.code, "kind": "lcn"}).text  # any case
    assert len(row_ids(lcn)) == 1 and "<td>LICENCE_<wbr>CHANGE</td>" in lcn and 'value="LCN" selected' in lcn
    # An LCN's reference leads to its subscription's row on its customer's page.
    owner = re.search(rf'href="/_twoco/customers/{shop.code}/(\d+)#subscription-(\w+)"', lcn)
    assert owner is not None
    customer_page = http.get(f"/_twoco/customers/{shop.code}/{owner.group(1)}").text
    assert f'id="subscription-{owner.group(2)}"' in customer_page

    ipn_complete = http.get(
        "/_twoco/inbox", params={"merchant": shop.code, "kind": "IPN", "reference": ref_no, "page": 2}
    ).text
    assert len(row_ids(ipn_complete)) == 2  # 52 IPNs of the order: 50 on the first page
    assert f'href="/_twoco/inbox?page=1&amp;merchant={shop.code}&amp;kind=IPN&amp;reference={ref_no}"' in (ipn_complete)
    assert row_ids(http.get("/_twoco/inbox", params={"merchant": shop.code, "state": "delivered"}).text) == []
    assert len(row_ids(http.get("/_twoco/inbox", params={"merchant": shop.code, "state": "unsent"}).text)) == 50
    assert row_ids(http.get("/_twoco/inbox", params={"merchant": shop.code, "reference": "nothing"}).text) == []
    assert row_ids(http.get("/_twoco/inbox").text)[0] == ids[0]  # every merchant's, the newest first


def test_bad_page_numbers_and_filters_are_refused_or_ignored(twoco, http, shop) -> None:
    shop.order()
    newest = settled(http, shop.code, 3)[0]["id"]
    for page in ("abc", "0", "-1", "1.5", "²", "99999999999", ""):
        answer = http.get("/_twoco/inbox", params={"merchant": shop.code, "page": page})
        assert answer.status_code == 200, page
        assert row_ids(answer.text)[0] == newest and "page 1</span>" in answer.text, page
    beyond = http.get("/_twoco/inbox", params={"merchant": shop.code, "page": 999999}).text
    assert row_ids(beyond) == [] and "No notification matches." in beyond and "← previous" in beyond

    refused = http.get("/_twoco/inbox", params={"merchant": XSS, "kind": IMG, "state": XSS, "reference": IMG})
    assert refused.status_code == 200
    text = refused.text
    assert "<script>alert" not in text and "<img" not in text
    assert "No merchant &lt;script&gt;alert(1)&lt;/script&gt;." in text
    assert "No kind &#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;: IPN or LCN." in text
    assert "No state &lt;script&gt;" in text and "No notification matches." not in text
    assert 'value="&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"' in text  # the reference, echoed
    nul = http.get("/_twoco/inbox", params={"reference": "a\x00b" + "x" * 500})
    assert nul.status_code == 200 and row_ids(nul.text) == []


def test_unknown_notifications_are_404(twoco, http, shop) -> None:
    for missing in ("999999999", "abc", "1" * 19, quote(IMG, safe=""), quote(XSS, safe=""), "-1"):
        answer = http.get(f"/_twoco/inbox/{missing}")
        assert answer.status_code == 404, missing
        assert "<h1>Not found</h1>" in answer.text and "<img" not in answer.text and "<script>alert" not in answer.text
    assert "No notification 999999999." in http.get("/_twoco/inbox/999999999").text
    assert http.get("/_twoco/inbox/1/2").status_code == 404  # no page there


def test_hostile_customer_data_is_escaped(twoco, http, shop, handler) -> None:
    set_urls(http, shop, handler)
    billing = {**dynamic_order()["BillingDetails"], "FirstName": XSS, "LastName": IMG, "Company": XSS}
    shop.order(BillingDetails=billing, ExternalReference=IMG)
    found = settled(http, shop.code, 3)
    for notification in found:
        answer = http.get(f"/_twoco/inbox/{notification['id']}")
        assert answer.status_code == 200
        assert "<script>alert" not in answer.text and "<img" not in answer.text
    ipn = next(n for n in found if n["kind"] == "IPN")
    text = http.get(f"/_twoco/inbox/{ipn['id']}").text
    assert "<tr><th>FIRSTNAME</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>" in text
    assert "<tr><th>LASTNAME</th><td>&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;</td></tr>" in text
    assert "FIRSTNAME=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in text  # the form body
    # The array fields, element by element.
    assert '<div class="element"><span class="muted">[0]</span> Dynamic product</div>' in text


def test_the_settings_form_posts(twoco, http, shop, handler) -> None:
    path = f"/_twoco/merchants/{shop.code}/notifications"
    unreachable = "http://127.0.0.1:9/ipn"  # the discard port: nothing listens
    form = {"ipn_url": unreachable, "lcn_url": "", "algorithms": ["", "md5", "sha256"], "probe": ["off", "on"]}
    refused = http.post(path, data=form, headers=FORM)
    assert refused.status_code == 400 and refused.json()["error_code"] == "NOTIFICATION_URL_REFUSED", refused.text
    unprobed = http.post(path, data={**form, "probe": "off"}, headers=FORM)
    assert unprobed.status_code == 303 and unprobed.headers["location"] == f"/_twoco/inbox?merchant={shop.code}"
    assert http.get(path).json() == {"ipn_url": unreachable, "lcn_url": None, "algorithms": ["md5", "sha256"]}
    none_chosen = http.post(path, data={**form, "algorithms": "", "probe": "off"}, headers=FORM)
    assert none_chosen.status_code == 400 and none_chosen.json()["error_code"] == "INVALID_FIELD_VALUE"
    probed = http.post(
        path, data={**form, "ipn_url": f"{handler.url}/ipn", "lcn_url": f"{handler.url}/lcn"}, headers=FORM
    )
    assert probed.status_code == 303
    assert http.get(path).json()["lcn_url"] == f"{handler.url}/lcn"
    as_json = http.post(path, json={"algorithms": ["sha3-256"]})  # a POST is a PUT
    assert as_json.status_code == 200 and as_json.json()["algorithms"] == ["sha3-256"]
    assert http.request("DELETE", path).status_code == 405
    page = http.get("/_twoco/inbox", params={"merchant": shop.code}).text
    assert f'<form class="panel" method="post" action="/_twoco/merchants/{shop.code}/notifications"' in page
    assert f"<tr><th>LCN URL</th><td>{handler.url}/lcn</td></tr>" in page
    assert '<input type="checkbox" name="algorithms" value="sha3-256" checked>' in page
    assert '<input type="checkbox" name="algorithms" value="md5">' in page


def test_the_trigger_and_resend_forms_post(twoco, http, shop) -> None:
    ref_no = shop.order()
    lcn = next(n for n in settled(http, shop.code, 3) if n["kind"] == "LCN")
    form = {"merchant": shop.code, "kind": "IPN", "reference": ref_no, "event": ""}
    made = http.post("/_twoco/notifications/trigger", data=form, headers=FORM)
    assert made.status_code == 303
    number = re.fullmatch(r"/_twoco/inbox/(\d+)", made.headers["location"])
    assert number is not None
    text = http.get(made.headers["location"]).text
    assert f"<h1>IPN {number.group(1)} " in text and "<td>COMPLETE</td>" in text  # the order's own status
    assert '<form method="post" action="/_twoco/notifications/' + number.group(1) + '/resend">' in text
    expired = http.post(
        "/_twoco/notifications/trigger",
        data={**form, "kind": "LCN", "reference": lcn["reference"], "event": "LICENCE_EXPIRATION"},
        headers=FORM,
    )
    assert expired.status_code == 303
    assert "LICENCE_<wbr>EXPIRATION" in http.get(expired.headers["location"]).text
    resent = http.post(f"/_twoco/notifications/{number.group(1)}/resend", headers=FORM)
    assert resent.status_code == 303 and resent.headers["location"] == made.headers["location"]
    missing = http.post("/_twoco/notifications/trigger", data={**form, "reference": "123"}, headers=FORM)
    assert missing.status_code == 404 and missing.json()["error_code"] == "ORDER_NOT_FOUND"


# --- in Chromium -----------------------------------------------------------------------------


@pytest.mark.browser
def test_open_filter_read_and_resend(twoco, http, shop, handler, page) -> None:
    set_urls(http, shop, handler)
    ref_no = shop.order()
    handler.wait_for(3)
    found = settled(http, shop.code, 3)
    assert {n["state"] for n in found} == {"delivered"}
    complete = next(n for n in found if n["event"] == "COMPLETE")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{twoco.url}/_twoco/")
    page.locator("tr", has_text=shop.code).get_by_role("link", name="inbox", exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"Notifications · {shop.code} · 3")
    rows = page.locator("#notifications tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("delivered")
    shoot(page, "inbox")
    page.locator("#filters").get_by_label("kind").select_option("IPN")
    page.locator("#filters").get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("COMPLETE")
    expect(rows.nth(1)).to_contain_text("PAYMENT_AUTHORIZED")
    expect(rows.nth(0).get_by_role("link", name=ref_no)).to_have_attribute(
        "href", f"/_twoco/orders/{shop.code}/{ref_no}"
    )
    rows.nth(0).get_by_role("link", name=str(complete["id"]), exact=True).click()

    expect(page.locator("h1")).to_contain_text(f"IPN {complete['id']}")
    expect(field_row(page, "ORDERSTATUS")).to_have_text("ORDERSTATUSCOMPLETE")
    expect(field_row(page, "REFNO")).to_have_text(f"REFNO{ref_no}")
    expect(field_row(page, "IPN_PNAME[]")).to_have_text("IPN_PNAME[][0] Dynamic product")
    expect(page.locator("#delivery")).to_contain_text(f"{handler.url}/ipn")
    expect(page.locator("#delivery")).to_contain_text("sha256, sha3-256")
    expect(page.locator("#body")).to_contain_text(f"REFNO={ref_no}")
    attempts = page.locator("#attempts tbody tr")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("200")
    expect(attempts.first).to_contain_text("yes")
    expect(attempts.first).to_contain_text("sha3-256 receipt")
    shoot(page, "notification-delivered")

    handler.mode = "none"  # answers 200 without a receipt
    page.get_by_role("button", name="Resend").click()
    page.wait_for_url(f"**/_twoco/inbox/{complete['id']}")
    handler.wait_for(4)
    wait_until(lambda: http.get(f"/_twoco/notifications/{complete['id']}").json()["notification"]["attempts"] == 2)
    page.reload()
    expect(attempts).to_have_count(2)
    expect(attempts.nth(1)).to_contain_text("no receipt")
    expect(attempts.nth(1).locator("td").nth(5)).to_have_text("no")
    expect(page.locator("h1")).to_contain_text("pending")  # tried again later, on 2Checkout's schedule
    expect(page.locator("#delivery tr", has_text="next attempt")).not_to_contain_text("—")
    shoot(page, "notification-resent")
    first, again = (r for r in handler.received if r.fields.get("ORDERSTATUS") == "COMPLETE")
    assert again.body == first.body  # the same fields


@pytest.mark.browser
def test_trigger_an_lcn_from_the_form(twoco, http, shop, handler, page) -> None:
    set_urls(http, shop, handler)
    shop.order()
    lcn = next(n for n in settled(http, shop.code, 3) if n["kind"] == "LCN")
    reference = lcn["reference"]

    page.goto(f"{twoco.url}/_twoco/inbox?merchant={shop.code}")
    form = page.locator("#trigger-form")
    expect(form.get_by_label("merchant")).to_have_value(shop.code)
    form.get_by_label("kind").select_option("LCN")
    form.get_by_label("reference").fill(reference)
    form.get_by_label("event").select_option("LICENCE_EXPIRATION")
    form.get_by_role("button", name="Send").click()

    page.wait_for_url(re.compile(r"/_twoco/inbox/\d+$"))
    expect(page.locator("h1")).to_contain_text("LICENCE_EXPIRATION")
    expect(page.locator("#summary tr", has_text="DISPATCH_REASON")).to_contain_text("LICENCE_EXPIRATION")
    expect(page.locator("#summary tr", has_text="reference").get_by_role("link", name=reference)).to_be_visible()
    sent = handler.wait_for(2, path="/lcn")[-1]
    assert sent.fields["DISPATCH_REASON"] == "LICENCE_EXPIRATION" and sent.fields["LICENSE_CODE"] == reference
    wait_until(lambda: inbox(http, shop.code, kind="LCN")[0]["state"] == "delivered")
    page.reload()
    expect(page.locator("#attempts tbody tr")).to_have_count(1)
    expect(page.locator("#attempts tbody tr")).to_contain_text("yes")
    page.locator("h1").get_by_role("link", name=shop.code).click()
    expect(page.locator("#notifications tbody tr").first).to_contain_text("LICENCE_EXPIRATION")
    # The reference leads to the subscription's row on its owner's page.
    page.locator("#notifications tbody tr").first.get_by_role("link", name=reference).click()
    expect(page.locator(f"#subscription-{reference}")).to_be_visible()


@pytest.mark.browser
def test_save_the_settings_through_the_form(twoco, http, shop, handler, page) -> None:
    page.goto(f"{twoco.url}/_twoco/inbox?merchant={shop.code}")
    settings = page.locator("#notification-settings")
    expect(settings).to_contain_text("none: IPNs are kept here, not sent")
    form = page.locator("#settings-form")
    form.get_by_label("IPN URL").fill(f"{handler.url}/ipn")
    form.get_by_label("LCN URL").fill(f"{handler.url}/lcn")
    form.get_by_label("md5").check()
    form.get_by_label("sha3-256").uncheck()
    expect(form.get_by_label("first GET a new URL")).to_be_checked()
    form.get_by_role("button", name="Save").click()

    page.wait_for_url(f"**/_twoco/inbox?merchant={shop.code}")
    expect(settings.locator("tr", has_text="IPN URL")).to_contain_text(f"{handler.url}/ipn")
    expect(settings.locator("tr", has_text="LCN URL")).to_contain_text(f"{handler.url}/lcn")
    expect(settings.locator("tr", has_text="signed with")).to_contain_text("md5, sha256")
    expect(form.get_by_label("sha3-256")).not_to_be_checked()
    assert http.get(f"/_twoco/merchants/{shop.code}/notifications").json() == {
        "ipn_url": f"{handler.url}/ipn", "lcn_url": f"{handler.url}/lcn", "algorithms": ["md5", "sha256"],
    }  # fmt: skip

    # Without the probe, a URL nothing answers is saved.
    form.get_by_label("LCN URL").fill("http://127.0.0.1:9/lcn")
    form.get_by_label("first GET a new URL").uncheck()
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/_twoco/inbox?merchant={shop.code}")
    expect(settings.locator("tr", has_text="LCN URL")).to_contain_text("http://127.0.0.1:9/lcn")
    expect(form.get_by_label("first GET a new URL")).to_be_checked()  # checked again by default
    shop.order()  # its IPNs go to the handler, signed as saved
    got = handler.wait_for(2, path="/ipn")
    assert "HASH" in got[0].fields and "SIGNATURE_SHA3_256" not in got[0].fields


@pytest.mark.browser
def test_a_merchant_without_urls_keeps_them_unsent(twoco, http, shop, page) -> None:
    ref_no = shop.order()
    settled(http, shop.code, 3)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{twoco.url}/_twoco/inbox?merchant={shop.code}")
    rows = page.locator("#notifications tbody tr")
    expect(rows).to_have_count(3)
    for index in range(3):
        expect(rows.nth(index).locator(".state")).to_have_text("not sent: no URL")
    expect(page.locator("#notification-settings")).to_contain_text("none: LCNs are kept here, not sent")
    page.locator("#filters").get_by_label("state").select_option("unsent")
    page.locator("#filters").get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(3)
    shoot(page, "inbox-unsent")
    rows.filter(has_text="COMPLETE").locator("td").first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("not sent: no URL")
    expect(page.locator("#delivery")).to_contain_text("none: the merchant had no IPN URL")
    expect(page.locator("main")).to_contain_text("None: it is not sent without a URL.")
    expect(page.locator("#fields")).to_contain_text(ref_no)
    shoot(page, "notification-unsent")
    page.get_by_role("button", name="Resend").click()  # still no URL: still unsent
    expect(page.locator("h1")).to_contain_text("not sent: no URL")


@pytest.mark.browser
@pytest.mark.parametrize("shop", ["LONG" + "7" * 60], ids=["a 64-character code"], indirect=True)
def test_hostile_values_and_long_ones_stay_text_inside_the_page(twoco, http, shop, handler, page) -> None:
    long_url = f"{handler.url}/{'a' * 1500}/ipn"  # one word, far wider than the page
    answer = http.put(
        f"/_twoco/merchants/{shop.code}/notifications", json={"ipn_url": long_url, "lcn_url": f"{handler.url}/lcn"}
    )
    assert answer.status_code == 200, answer.text
    billing = {
        **dynamic_order()["BillingDetails"],
        "FirstName": XSS,
        "LastName": IMG,
        "Address1": "x" * 250,  # one word again
        "Company": XSS + IMG,
    }
    shop.order(BillingDetails=billing)
    found = settled(http, shop.code, 3)
    ipn = next(n for n in found if n["event"] == "COMPLETE")

    for path in (f"/_twoco/inbox?merchant={shop.code}", "/_twoco/inbox", "/_twoco/"):
        page.goto(f"{twoco.url}{path}")
        assert page.locator("main script, img, svg").count() == 0
        shoot(page, "inbox-long-values" if path != "/_twoco/" else "home-long-code")
    page.goto(f"{twoco.url}/_twoco/inbox/{ipn['id']}")
    assert page.locator("main script, img, svg").count() == 0
    expect(field_row(page, "FIRSTNAME").locator("td")).to_have_text(XSS)
    expect(field_row(page, "LASTNAME").locator("td")).to_have_text(IMG)
    expect(field_row(page, "COMPANY").locator("td")).to_have_text(XSS + IMG)
    expect(page.locator("#delivery")).to_contain_text(long_url)
    expect(page.locator("#attempts")).to_contain_text(long_url)
    expect(page.locator("#attempts tbody tr")).to_contain_text("yes")
    shoot(page, "notification-hostile")
    page.wait_for_timeout(300)  # an onerror handler would have fired by now


def test_the_clock_form_moves_the_clock_and_comes_back_to_the_page(twoco, http) -> None:
    moved = http.post("/_twoco/clock", data={"advance": "3600"})
    try:
        assert (moved.status_code, moved.headers["location"]) == (303, "/_twoco/")
        assert 3599 <= http.get("/_twoco/clock").json()["offset_seconds"] <= 3601
        home = http.get("/_twoco/")
        assert "1 h ahead of real time" in home.text and 'name="advance"' in home.text
        wrong = http.post("/_twoco/clock", data={"advance": "soon"})
        assert wrong.status_code == 400 and wrong.json()["error_code"] == "MALFORMED_REQUEST"
    finally:
        back = http.post("/_twoco/clock", data={"reset": "true"})
    assert back.status_code == 303 and http.get("/_twoco/clock").json()["offset_seconds"] == 0


@pytest.mark.browser
def test_the_home_page_shows_the_clock_and_advances_it(twoco, page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{twoco.url}/_twoco/")
    clock = page.locator("#clock")
    expect(clock).to_contain_text("(real time)")
    try:
        clock.get_by_label("advance by").select_option("601")
        clock.get_by_role("button", name="Advance").click()
        expect(clock).to_contain_text("10 min 1 s ahead of real time")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    finally:
        page.goto(f"{twoco.url}/_twoco/")
        page.locator("#clock").get_by_role("button", name="Back to real time").click()
    expect(page.locator("#clock")).to_contain_text("(real time)")
