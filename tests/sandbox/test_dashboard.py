"""The dashboard at /_twoco/, in headless Chromium (Debian's, driven by Playwright) and over plain HTTP."""

from __future__ import annotations

import re
import secrets
from importlib.resources import files
from urllib.parse import quote, urlencode

import httpx
import pytest
from playwright.sync_api import expect

from tests.clients import PhpClient
from tests.clients.api import JsonRpcApi, SoapApi
from tests.data import customer_data, subscription_data
from tests.servers import start_server, stop_server

pytestmark = pytest.mark.browser  # the dashboard, in headless Chromium: scripts/test --fast leaves it out

XSS = "<script>alert(1)</script>"


@pytest.fixture
def soap(server, merchant) -> SoapApi:
    """suds over SOAP 4.0, logged in as the test's merchant."""
    return SoapApi(server.base_url, merchant.code, merchant.secret, "4.0")


def test_search_open_update_over_soap_and_see_the_history(server, merchant, soap, page) -> None:
    external = f"DASH-{secrets.token_hex(4)}"
    reference = soap.call("createCustomer", customer_data(ExternalCustomerReference=external, LastName="Babbage"))
    soap.call("addSubscription", subscription_data(reference, f"SUB-{external}"))

    page.goto(f"{server.base_url}/_twoco/")
    expect(page.get_by_role("link", name=merchant.code)).to_be_visible()
    page.get_by_label("search").fill(external)
    page.get_by_label("merchant").select_option(merchant.code)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("h1")).to_contain_text(external)
    page.get_by_role("link", name=str(reference)).click()

    expect(page.locator("h1")).to_contain_text("Ada Babbage")
    expect(page.locator("table.fields")).to_contain_text("ada@example.com")
    expect(page.get_by_role("cell", name=f"SUB-{external}", exact=True)).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("createCustomer")
    expect(history).not_to_contain_text("updateCustomerInformation")

    # The seed script's way: PHP's SoapClient, a real login, an update.
    php = PhpClient(server.base_url)
    session = php.login(merchant.code, merchant.secret)
    php.call(
        "updateCustomerInformation",
        session,
        {"AvangateCustomerReference": reference, "Email": "ada@engine.example"},
        False,
    )

    page.reload()
    expect(page.locator("table.fields")).to_contain_text("ada@engine.example")
    update = page.locator("#history tr", has_text="updateCustomerInformation")
    expect(update).to_have_count(1)
    expect(update).to_contain_text("soap/4.0")
    expect(update).to_contain_text("Email")
    expect(update).to_contain_text("ada@example.com")
    expect(update).to_contain_text("ada@engine.example")


def test_customer_data_is_shown_as_text_never_run(server, merchant, soap, page) -> None:
    hostile = customer_data(
        FirstName=XSS,
        LastName='"><img src=x onerror=alert(2)>',
        Company="<b>bold</b>",
        ExternalCustomerReference=f"X-{secrets.token_hex(3)}<svg onload=alert(3)>",
    )
    reference = soap.call("createCustomer", hostile)

    page.goto(f"{server.base_url}/_twoco/customers?merchant={merchant.code}&q=%3Cscript")
    row = page.locator("table tr", has_text=str(reference))
    expect(row).to_contain_text(XSS)
    assert page.locator("img, svg, b").count() == 0
    expect(page.get_by_label("search")).to_have_value("<script")

    page.get_by_role("link", name=str(reference)).click()
    expect(page.locator("h1")).to_contain_text(XSS)
    expect(page.locator("table.fields")).to_contain_text("<b>bold</b>")
    expect(page.locator("#history")).to_contain_text(XSS)
    assert page.locator("script, img, svg, b").count() == 0  # the customer page runs no script at all
    page.wait_for_timeout(300)  # an onerror or onload handler would have fired by now


def test_the_journal_shows_the_soap_call(server, merchant, soap, page) -> None:
    page.goto(f"{server.base_url}/_twoco/journal")
    reference = soap.call("createCustomer", customer_data(ExternalCustomerReference=f"J-{secrets.token_hex(3)}"))
    soap.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "Phone": XSS}, False)

    call = page.locator("#journal tr.request", has_text="updateCustomerInformation").filter(has_text=merchant.code)
    expect(call.first).to_be_visible(timeout=10_000)  # the page polls every 1.5 s
    expect(call.first).to_contain_text("soap/4.0")
    expect(call.first).to_contain_text("ok")
    call.first.click()
    bodies = page.locator("#journal tr.bodies")
    # The envelope shown as text: its tags, and the phone number still XML-escaped, as sent.
    expect(bodies).to_contain_text(re.compile(r"<\w+:updateCustomerInformation>"))
    expect(bodies).to_contain_text("&lt;script&gt;alert(1)&lt;/script&gt;")
    expect(bodies).to_contain_text("[masked]")  # the session ID
    assert page.locator("#journal script").count() == 0


def test_the_journal_shows_the_fields_a_call_sent_that_were_ignored(server, merchant, page) -> None:
    """A sandbox says what production silently drops: the Python SDK's import sends Payment."""
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    page.goto(f"{server.base_url}/_twoco/journal")
    owner = api.call("createCustomer", customer_data())
    api.call("addSubscription", subscription_data(owner, f"IGN-{secrets.token_hex(3)}", Payment={"CardNumber": "4111"}))
    call = page.locator("#journal tr.request", has_text="addSubscription").filter(has_text=merchant.code)
    expect(call.first).to_contain_text("ok (1 ignored)", timeout=10_000)
    call.first.click()
    expect(page.locator("#journal tr.bodies")).to_contain_text("Subscription.Payment")
    api.close()


# --- over plain HTTP -------------------------------------------------------------------


def test_pages_escape_what_they_echo_and_never_show_secret_keys(server, merchant) -> None:
    home = server.get("/_twoco/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert merchant.code in home.text and merchant.secret not in home.text
    assert "default-src 'none'" in home.headers["content-security-policy"]

    searched = server.get("/_twoco/customers", params={"q": XSS, "merchant": f"{XSS}"})
    assert searched.status_code == 200
    assert XSS not in searched.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in searched.text

    assert server.get(f"/_twoco/customers/{merchant.code}/123").status_code == 404
    assert server.get("/_twoco/customers/NOBODY/123456789").status_code == 404
    assert server.post("/_twoco/").status_code == 405


def test_search_pages_and_filters(server, merchant, merchant_factory, soap) -> None:
    surname = f"Pager{secrets.token_hex(3)}"
    references = sorted(soap.call("createCustomer", customer_data(LastName=surname)) for _ in range(53))
    other = merchant_factory()
    other_soap = SoapApi(server.base_url, other.code, other.secret, "4.0")
    elsewhere = other_soap.call("createCustomer", customer_data(LastName=surname))

    def listed(**query: object) -> tuple[list[int], str]:
        page = server.get("/_twoco/customers", params=query)
        assert page.status_code == 200
        return [int(found) for found in re.findall(r"/_twoco/customers/[^/]+/(\d+)", page.text)], page.text

    first, text = listed(q=surname.lower(), merchant=merchant.code)
    assert first == references[:50] and "next →" in text and "previous" not in text
    second, text = listed(q=surname.upper(), merchant=merchant.code, page=2)
    assert second == references[50:] and "next →" not in text and "← previous" in text
    everywhere, _ = listed(q=surname[:8] + surname[8:].upper(), page=2)
    assert everywhere == sorted([*references, elsewhere])[50:]  # one index walk, in reference order

    customer = server.get(f"/_twoco/customers/{merchant.code}/{references[0]}")
    assert customer.status_code == 200 and surname in customer.text
    assert server.get(f"/_twoco/customers/{other.code}/{references[0]}").status_code == 404  # merchant isolation

    assert listed(q=str(references[3]))[0] == [references[3]]
    assert listed(q="ada@example", merchant=other.code)[0] == [elsewhere]
    assert listed(q=f"ada {surname[:6]}", merchant=other.code)[0] == [elsewhere]
    assert listed(q="nothing-matches-this")[0] == []


def test_no_control_plane_no_dashboard(tmp_path) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/off.sqlite3", "--no-control-plane")
    try:
        assert server.get("/_twoco/").status_code == 404
        assert server.get("/_twoco/customers").status_code == 404
        assert server.get("/_twoco/journal").status_code == 404
        assert server.get("/_twoco/health").status_code == 200
    finally:
        stop_server(server)


@pytest.mark.slow  # Chromium follows every link of every page
def test_dashboard_links_lead_somewhere(server, merchant, soap) -> None:
    reference = soap.call("createCustomer", customer_data())
    pages = [f"/_twoco/customers/{merchant.code}/{reference}", "/_twoco/", "/_twoco/customers", "/_twoco/journal"]
    for path in pages:
        for link in re.findall(r'href="([^"]+)"', server.get(path).text):
            target = httpx.get(server.base_url + link.replace("&amp;", "&"), timeout=30)
            assert target.status_code == 200, (path, link)


def test_a_long_history_shows_its_latest_entries(server, merchant) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "4.0")
    try:
        reference = api.call("createCustomer", customer_data())
        batch = [
            {"jsonrpc": "2.0", "id": index, "method": "updateCustomerInformation",
             "params": [api.session, {"AvangateCustomerReference": reference, "Phone": f"+1 {index}"}, False]}
            for index in range(205)
        ]  # fmt: skip
        assert all("result" in answer for answer in api.http.post("", json=batch).json())
    finally:
        api.close()
    page = server.get(f"/_twoco/customers/{merchant.code}/{reference}").text
    assert "History (206)" in page and "The latest 200 of 206 entries" in page
    assert "+1 204" in page and ">createCustomer<" not in page  # the oldest are left out


# --- escaping on every page, and the static files ---------------------------------------

IMG = "\"'><img src=x onerror=alert(1)>"  # out of a quoted attribute, then an element with a handler


def test_hostile_customer_fields_are_text_on_every_page_that_shows_them(server, merchant, page) -> None:
    """Both payloads in the fields each page shows: the search results (name, external reference),
    the customer page (title, heading, fields, subscriptions, history), the journal's bodies,
    and what pages echo (the search box, an unknown merchant, a customer not found)."""
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    page.goto(f"{server.base_url}/_twoco/journal")  # open first: the journal polls for what follows
    try:
        external, subscription = f"E-{secrets.token_hex(3)}{XSS}{IMG}", f"S-{secrets.token_hex(3)}{IMG}"
        reference = api.call(
            "createCustomer",
            customer_data(FirstName=XSS, LastName=IMG, Company=XSS + IMG, ExternalCustomerReference=external),
        )
        api.call(
            "addSubscription",
            subscription_data(
                reference,
                subscription,
                EndUser={
                    "FirstName": XSS,
                    "LastName": IMG,
                    "Email": "end@example.com",
                    "City": "Bucharest",
                    "CountryCode": "RO",
                },
            ),
        )
        api.call("updateCustomerInformation", {"AvangateCustomerReference": reference, "City": IMG}, False)
    finally:
        api.close()

    call = page.locator("#journal tr.request", has_text="createCustomer").filter(has_text=merchant.code)
    call.first.click(timeout=10_000)
    expect(page.locator("#journal tr.bodies")).to_contain_text(IMG)  # the JSON-RPC body, as text
    expect(page.locator("#journal tr.bodies")).to_contain_text(XSS)
    assert page.locator("img, svg").count() == 0
    assert page.locator("script").count() == 1 and page.locator("script").get_attribute("src").startswith(
        "/_twoco/static/journal.js?v="
    )

    customer_page = f"/_twoco/customers/{merchant.code}/{reference}"
    echoing = {
        f"/_twoco/customers?{urlencode({'q': external, 'merchant': merchant.code})}": [external, XSS + " " + IMG],
        f"/_twoco/customers?{urlencode({'q': XSS})}": [XSS + " " + IMG],
        customer_page: [XSS + " " + IMG, external, XSS + IMG, subscription, f"{XSS} {IMG} <end@example.com>"],
        f"/_twoco/customers?{urlencode({'merchant': IMG})}": [f"No merchant {IMG}."],
        f"/_twoco/customers/{merchant.code}/{quote(IMG, safe='')}": [f"with customer {IMG!r}."],
    }
    for path, shown in echoing.items():
        answer = server.get(path)
        assert answer.status_code in (200, 404), path
        assert "<img" not in answer.text and "<script>alert" not in answer.text, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in answer.text, path

        page.goto(server.base_url + path)
        for text in shown:
            expect(page.locator("main")).to_contain_text(text)
        assert page.locator("script, img, svg").count() == 0, path
    page.goto(server.base_url + customer_page)
    expect(page).to_have_title(f"{XSS} {IMG} · twoco")
    expect(page.locator("#history")).to_contain_text(IMG)
    page.goto(f"{server.base_url}/_twoco/customers?{urlencode({'q': IMG})}")
    expect(page.get_by_label("search")).to_have_value(IMG)  # an attribute's value, not its end
    page.wait_for_timeout(300)  # an onerror handler would have fired by now


def test_the_static_files_are_served_and_styled_under_the_policy(server, page) -> None:
    home = server.get("/_twoco/")
    policy = home.headers["content-security-policy"]
    assert "'self'" not in policy.split("style-src")[1].split(";")[0] and "unsafe" not in policy
    (stylesheet,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', home.text)
    (script,) = re.findall(r'<script src="([^"]+)"', server.get("/_twoco/journal").text)
    package = files("twoco.sandbox") / "static"
    for url, name, content_type in [
        (stylesheet, "dashboard.css", "text/css"),
        (script, "journal.js", "text/javascript"),
    ]:
        assert url.startswith(f"/_twoco/static/{name}?v=")
        answer = server.get(url)
        assert answer.status_code == 200 and answer.content == (package / name).read_bytes()
        assert answer.headers["content-type"] == f"{content_type}; charset=utf-8"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"  # the address names the version
        assert server.get(f"/_twoco/static/{name}").headers["cache-control"] == "no-cache"  # an unversioned address
        assert httpx.head(server.base_url + url, timeout=30).status_code == 200
        assert server.post(url).status_code == 405
    assert server.get("/_twoco/static/nothing.css").status_code == 404
    assert server.get("/_twoco/static/../templates/base.html").status_code == 404
    assert server.get("/_twoco/static/").status_code == 404

    page.goto(f"{server.base_url}/_twoco/")  # the stylesheet applies: the policy lets it load by its nonce
    expect(page.locator("header")).to_have_css("background-color", "rgb(23, 35, 59)")


# --- the catalogue ------------------------------------------------------------------------


def add_product(api: JsonRpcApi, code: str, **overrides: object) -> None:
    prices = {
        "Regular": [
            {"Amount": 10, "Currency": "USD", "MaxQuantity": 9},
            {"Amount": 8, "Currency": "USD", "MinQuantity": 10},
            {"Amount": 9, "Currency": "EUR"},
        ],
        "Renewal": [{"Amount": 7.5, "Currency": "USD"}],
    }
    product = {
        "ProductCode": code,
        "ProductName": f"Product {code}",
        "SubscriptionInformation": {"BillingCycle": 3, "BillingCycleUnits": "M"},
        "PricingConfigurations": [{"Name": "Standard", "PricingSchema": "FLAT", "Prices": prices}],
        **overrides,
    }
    assert api.call("addProduct", product) is True


def test_the_catalogue_from_the_home_page_to_a_product_and_from_a_subscription(server, merchant, page) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    try:
        code = f"CAT-{secrets.token_hex(3)}"
        reference = api.call("createCustomer", customer_data())
        # Imported while the catalogue is empty, so kept as named: "PRO", a product the catalogue lacks.
        api.call("addSubscription", subscription_data(reference, f"S2-{code}"))
        add_product(api, code)
        catalogued = subscription_data(reference, f"S-{code}", Product={"ProductCode": code})
        api.call("addSubscription", catalogued)
    finally:
        api.close()

    page.goto(f"{server.base_url}/_twoco/")
    page.locator("tr", has_text=merchant.code).get_by_role("link", name="1", exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"Products · {merchant.code} · 1")
    row = page.locator("tr", has_text=code)
    for shown in (f"Product {code}", "REGULAR", "yes", "General", "10.00 USD"):
        expect(row).to_contain_text(shown)
    row.get_by_role("link", name=code).click()

    expect(page.locator("h1")).to_contain_text(f"Product {code}")
    expect(page.locator("#product")).to_contain_text("GeneratesSubscription")
    expect(page.locator("#terms tr", has_text="BillingCycle").first).to_contain_text("3")
    expect(page.locator("h3")).to_contain_text("Standard")
    prices = page.locator("table.prices tbody tr")
    expect(prices).to_have_count(4)
    expect(prices.nth(0).locator("td")).to_have_text(["Regular", "USD", "1–9", "", "10.00 USD"])
    expect(prices.nth(1).locator("td")).to_have_text(["Regular", "USD", "10+", "", "8.00 USD"])
    expect(prices.nth(2).locator("td")).to_have_text(["Regular", "EUR", "1+", "", "9.00 EUR"])
    expect(prices.nth(3).locator("td")).to_have_text(["Renewal", "USD", "1+", "", "7.50 USD"])

    page.goto(f"{server.base_url}/_twoco/customers/{merchant.code}/{reference}")
    expect(page.get_by_role("link", name="PRO", exact=True)).to_have_count(0)  # no such product: plain text
    page.get_by_role("link", name=code).click()
    expect(page.locator("h1")).to_contain_text(f"Product {code}")


def test_hostile_product_fields_are_text_on_the_catalogue_pages(server, merchant, page) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    code = f"H/{secrets.token_hex(3)}{IMG}"  # a "/" too: the path quotes it
    try:
        add_product(api, code, ProductName=XSS, ShortDescription=IMG)
        reference = api.call("createCustomer", customer_data())
        api.call(
            "addSubscription", subscription_data(reference, f"H-{secrets.token_hex(3)}", Product={"ProductCode": code})
        )
    finally:
        api.close()
    product_page = f"/_twoco/products/{merchant.code}/{quote(code, safe='')}"
    for path in (f"/_twoco/products/{merchant.code}", product_page, f"/_twoco/customers/{merchant.code}/{reference}"):
        answer = server.get(path)
        assert answer.status_code == 200, path
        assert "<img" not in answer.text and "<script>alert" not in answer.text, path
        page.goto(server.base_url + path)
        expect(page.locator("main")).to_contain_text(code)
        assert page.locator("script, img, svg").count() == 0, path
    page.get_by_role("link", name=code).click()  # from the customer page, the code as it is
    expect(page.locator("h1")).to_contain_text(XSS)
    expect(page.locator("#product")).to_contain_text(IMG)
    expect(page).to_have_title(f"{XSS} · twoco")
    page.wait_for_timeout(300)  # an onerror handler would have fired by now


def test_the_catalogue_pages_and_what_they_refuse(server, merchant, merchant_factory) -> None:
    api = JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0")
    try:
        codes = [f"PAGE-{index:02}-{secrets.token_hex(2)}" for index in range(53)]
        for code in codes:
            add_product(api, code, PricingConfigurations=[])
        premium = {"Amount": 20, "Currency": "USD", "OptionCodes": [{"Code": "SUPPORT", "Options": ["PREMIUM"]}]}
        options = {"PriceOptions": [{"Code": "SUPPORT", "Required": True}], "Prices": {"Regular": [premium]}}
        add_product(api, "WITH-OPTIONS", PricingConfigurations=[options])
    finally:
        api.close()

    def listed(page: int) -> tuple[list[str], str]:
        answer = server.get(f"/_twoco/products/{merchant.code}", params={"page": page})
        assert answer.status_code == 200
        return re.findall(rf"/_twoco/products/{merchant.code}/(PAGE-[^\"]+)\"", answer.text), answer.text

    first, text = listed(1)
    assert first == codes[:50] and "next →" in text and "previous" not in text
    second, text = listed(2)
    assert second == codes[50:] and "next →" not in text and "← previous" in text
    product = server.get(f"/_twoco/products/{merchant.code}/{codes[0]}")
    assert product.status_code == 200 and "No pricing configuration." in product.text
    with_options = server.get(f"/_twoco/products/{merchant.code}/WITH-OPTIONS").text
    assert "price options SUPPORT (required)" in with_options and "<td>SUPPORT: PREMIUM</td>" in with_options

    other = merchant_factory()
    assert server.get(f"/_twoco/products/{other.code}/{codes[0]}").status_code == 404  # merchant isolation
    assert f'/_twoco/products/{other.code}"' in server.get("/_twoco/").text  # every merchant links its catalogue
    assert "No product in this catalogue." in server.get(f"/_twoco/products/{other.code}").text
    assert server.get("/_twoco/products/NOBODY").status_code == 404
    assert server.get(f"/_twoco/products/{quote(IMG, safe='')}").status_code == 404
    missing = server.get(f"/_twoco/products/{merchant.code}/{quote(IMG, safe='')}")
    assert missing.status_code == 404 and "&lt;img" in missing.text and "<img" not in missing.text
    assert server.get(f"/_twoco/products/{merchant.code}/a/b").status_code == 404  # no such page
