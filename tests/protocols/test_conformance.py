"""One scenario suite, run over SOAP and JSON-RPC 3.0, 4.0, 5.0 and 6.0, and REST 6.0.

The same inputs must give the same stored state and the same error codes on every protocol,
and what one protocol writes every other reads identically.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from lxml import etree

from tests import servers
from tests.clients import Fault, PhpClient, now_utc
from tests.clients.api import PROTOCOLS, Api, JsonRpcApi
from tests.data import customer_data, product_data, subscription_data
from twoco.core.auth import login_hash
from twoco.domains import REGISTRY
from twoco.domains.customers.schema import CUSTOMER, END_USER_FIELDS


@pytest.fixture(params=list(PROTOCOLS))
def api(request: pytest.FixtureRequest, app_server, merchant) -> Iterator[Api]:
    opened = PROTOCOLS[request.param](app_server.base_url, merchant.code, merchant.secret)
    yield opened
    opened.close()


@pytest.fixture
def every_protocol(app_server, merchant) -> Iterator[dict[str, Api]]:
    """The same merchant, logged in over every protocol."""
    opened = {name: make(app_server.base_url, merchant.code, merchant.secret) for name, make in PROTOCOLS.items()}
    yield opened
    for each in opened.values():
        each.close()


def common(customer: object) -> dict[str, object]:
    """The Customer fields every version has (6.0 adds Credit)."""
    return {name: customer[name] for name in CUSTOMER.field_names}  # type: ignore[index]


def code_of(api: Api, operation: str, *args: object) -> str:
    with pytest.raises(Fault) as caught:
        api.call(operation, *args)
    assert caught.value.message
    return caught.value.code


# --- customers -----------------------------------------------------------------------


def test_create_and_read_by_each_reference(api) -> None:
    reference = api.call("createCustomer", customer_data(ExternalCustomerReference="CONF-1", Language="EN", Phone=None))
    assert isinstance(reference, int)
    by_internal = api.call("getCustomerInformation", reference, None)
    assert api.call("getCustomerInformation", None, "CONF-1") == by_internal
    assert api.call("getCustomerInformation", reference, "CONF-1") == by_internal
    assert common(by_internal) == {
        "AvangateCustomerReference": reference, "ExternalCustomerReference": "CONF-1", "FirstName": "Ada",
        "LastName": "Lovelace", "Company": "Analytical Engines", "FiscalCode": None,
        "Address1": "12 St James's Square", "Address2": None, "City": "London", "State": None,
        "Zip": "SW1Y 4JH", "CountryCode": "gb", "Phone": None, "Fax": None, "Email": "ada@example.com",
        "ExistingCards": [], "Enabled": False, "Trial": False, "Language": "en",
    }  # fmt: skip
    if api.version == "6.0":
        assert by_internal["Credit"] is None


def test_a_customer_reads_identically_over_every_protocol(every_protocol) -> None:
    for writer_name, writer in every_protocol.items():
        reference = writer.call("createCustomer", customer_data(ExternalCustomerReference=f"X-{writer_name}"))
        reads = {
            name: common(reader.call("getCustomerInformation", reference, None))
            for name, reader in every_protocol.items()
        }
        first = next(iter(reads.values()))
        assert all(read == first for read in reads.values()), (writer_name, reads)
        assert first["ExternalCustomerReference"] == f"X-{writer_name}"


def test_update_semantics(api) -> None:
    reference = api.call("createCustomer", customer_data())
    update = {"AvangateCustomerReference": reference, "Email": "new@example.com", "Phone": None, "Trial": True}
    assert api.call("updateCustomerInformation", update, False) is True
    after = api.call("getCustomerInformation", reference, None)
    assert (after["Email"], after["Phone"], after["City"], after["Trial"]) == ("new@example.com", None, "London", False)


@pytest.mark.parametrize("push", [True, False])
def test_end_user_push(api, push) -> None:
    owner = api.call("createCustomer", customer_data())
    neighbour = api.call("createCustomer", customer_data(FirstName="Charles"))
    for index in range(3):
        api.call("addSubscription", subscription_data(owner, f"O{index}"))
    neighbour_subscription = api.call("addSubscription", subscription_data(neighbour, "N0"))
    neighbour_before = api.call("getSubscription", neighbour_subscription)

    update = {"AvangateCustomerReference": owner, "LastName": "Sklodowska", "Zip": "75006"}
    assert api.call("updateCustomerInformation", update, push) is True

    customer = api.call("getCustomerInformation", owner, None)
    end_users = [s["EndUser"] for s in api.call("getCustomerSubscriptions", owner, None)]
    assert len(end_users) == 3
    pushed = {name: customer[name] for name in END_USER_FIELDS}
    if push:
        assert all(end_user == pushed for end_user in end_users)
    else:
        assert all((end_user["FirstName"], end_user["LastName"]) == ("End", "User") for end_user in end_users)
    assert api.call("getSubscription", neighbour_subscription) == neighbour_before


def test_subscriptions(api) -> None:
    owner = api.call("createCustomer", customer_data(ExternalCustomerReference="S-OWNER"))
    other = api.call("createCustomer", customer_data(ExternalCustomerReference="S-OTHER"))
    reference = api.call("addSubscription", subscription_data(owner, "S-1"))
    subscription = api.call("getSubscription", reference)
    assert subscription["SubscriptionReference"] == reference
    assert (subscription["AvangateCustomerReference"], subscription["ExternalCustomerReference"]) == (owner, "S-OWNER")
    assert subscription["Product"]["PriceOptionCodes"] == ["EU"]
    assert api.call("getCustomerInformation", owner, None)["Enabled"] is True

    assert api.call("updateSubscriptionEndUser", reference, {"Phone": "+33 1 23 45 67 89"}) is True
    assert api.call("getSubscription", reference)["EndUser"]["Phone"] == "+33 1 23 45 67 89"
    assert api.call("setSubscriptionCustomer", reference, None, "S-OTHER") is True
    assert [s["SubscriptionReference"] for s in api.call("getCustomerSubscriptions", None, "S-OTHER")] == [reference]
    assert api.call("getCustomerSubscriptions", owner, None) == []
    assert api.call("getCustomerInformation", other, None)["Enabled"] is True


# --- every fault the operations can answer ---------------------------------------------

# (operation, arguments built from the fixture's references, expected code); "{c}" is an
# existing customer with external reference "E-1", "{s}" an existing subscription.
FAULTS = [
    ("getCustomerInformation", (123456789, None), "CUSTOMER_NOT_FOUND"),
    ("getCustomerInformation", (None, "NOBODY"), "CUSTOMER_NOT_FOUND"),
    ("getCustomerInformation", ("{c}", "E-2"), "CUSTOMER_REFERENCE_MISMATCH"),
    ("setSubscriptionCustomer", ("{s}", None, None), "CUSTOMER_REFERENCE_REQUIRED"),  # (REST paths always name one)
    ("createCustomer", ({"ExternalCustomerReference": "E-1"},), "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE"),
    ("createCustomer", ({"LastName": "  "},), "MISSING_REQUIRED_FIELD"),
    ("createCustomer", ({"CountryCode": "ZZ"},), "INVALID_COUNTRY_CODE"),
    ("createCustomer", ({"Language": "zz"},), "INVALID_LANGUAGE"),
    ("createCustomer", ({"Email": "marie at example"},), "INVALID_EMAIL"),
    ("createCustomer", ({"FiscalCode": "FR123", "Company": None},), "FISCAL_CODE_REQUIRES_COMPANY"),
    ("createCustomer", ({"Zip": "9" * 300},), "FIELD_TOO_LONG"),
    ("updateCustomerInformation", ({"AvangateCustomerReference": "{c}", "Email": None},), "MISSING_REQUIRED_FIELD"),
    ("updateCustomerInformation", ({"AvangateCustomerReference": 123456789, "City": "Lyon"},), "CUSTOMER_NOT_FOUND"),
    ("getSubscription", ("0123456789",), "SUBSCRIPTION_NOT_FOUND"),
    ("updateSubscriptionEndUser", ("{s}", {"CountryCode": "XX"}), "INVALID_COUNTRY_CODE"),
    ("updateSubscriptionEndUser", ("0123456789", {"City": "Lyon"}), "SUBSCRIPTION_NOT_FOUND"),
    ("setSubscriptionCustomer", ("{s}", 123456789, None), "CUSTOMER_NOT_FOUND"),
    ("addSubscription", ("sub:S-1",), "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE"),
    ("addSubscription", ("sub:S-2:ExpirationDate=2025-01-01",), "INVALID_FIELD_VALUE"),
    ("addSubscription", ("sub:S-3:StartDate=",), "MISSING_REQUIRED_FIELD"),
]


@pytest.mark.parametrize(("operation", "template", "expected"), FAULTS, ids=[f"{f[0]}-{f[2]}" for f in FAULTS])
def test_faults_are_the_same_everywhere_and_change_nothing(api, operation, template, expected) -> None:
    customer = api.call("createCustomer", customer_data(ExternalCustomerReference="E-1"))
    api.call("createCustomer", customer_data(ExternalCustomerReference="E-2"))
    subscription = api.call("addSubscription", subscription_data(customer, "S-1"))
    before = (api.call("getCustomerInformation", customer, None), api.call("getSubscription", subscription))

    def build(value: object) -> object:
        if value == "{c}":
            return customer
        if value == "{s}":
            return subscription
        if isinstance(value, str) and value.startswith("sub:"):
            _, external, *change = value.split(":")
            data = subscription_data(customer, external)
            for assignment in change:
                key, _, text = assignment.partition("=")
                data[key] = text
            return data
        if isinstance(value, dict):
            built = {key: build(item) for key, item in value.items()}
            return customer_data(**built) if operation == "createCustomer" else built
        return value

    assert code_of(api, operation, *map(build, template)) == expected
    assert (api.call("getCustomerInformation", customer, None), api.call("getSubscription", subscription)) == before


def test_text_that_is_no_number_is_invalid_parameters(api) -> None:
    expected = "INVALID_PARAMETERS"
    assert code_of(api, "setSubscriptionCustomer", "0123456789", "not-a-number", None) == expected
    if api.protocol != "soap":  # a WSDL client refuses to send these itself, and XML cannot carry \x01
        assert code_of(api, "createCustomer", customer_data(City="Par\x01is")) == "INVALID_FIELD_VALUE"


def test_scalars_are_read_as_2checkouts_php_backend_reads_them(api) -> None:
    """Numeric text for numbers, numbers for text, YES/NO for booleans (2Checkout's own samples send each)."""
    if api.protocol == "soap":  # a WSDL client converts these itself before sending
        return
    reference = api.call("createCustomer", customer_data(ExternalCustomerReference=610, Zip=75001))
    assert api.call("getCustomerInformation", str(reference), None)["Zip"] == "75001"
    assert api.call("getCustomerInformation", None, "610")["AvangateCustomerReference"] == reference
    loose = subscription_data(
        str(reference), "611", ExternalSubscriptionReference=611, RecurringEnabled="YES", SubscriptionEnabled="no",
        Product={"ProductCode": "P", "ProductId": "24584760", "ProductVersion": 1.0, "ProductQuantity": "2"},
    )  # fmt: skip
    got = api.call("getSubscription", api.call("addSubscription", loose))
    assert (got["RecurringEnabled"], got["SubscriptionEnabled"], got["ExternalSubscriptionReference"]) == (
        True,
        False,
        "611",
    )
    assert {name: got["Product"][name] for name in ("ProductId", "ProductVersion", "ProductQuantity")} == {
        "ProductId": 24584760, "ProductVersion": "1", "ProductQuantity": 2,
    }  # fmt: skip


def test_unknown_fields_are_ignored(api) -> None:
    """As 2Checkout ignores them (its own SDK examples send fields it does not document on the object)."""
    if api.protocol == "soap":  # a WSDL client sends only the WSDL's fields (test_lenient_input sends raw XML)
        return
    reference = api.call("createCustomer", customer_data(Nickname="Maria"))
    assert "Nickname" not in api.call("getCustomerInformation", reference, None)
    sent = subscription_data(reference, "IGNORED-1", LicenseStatus="ACTIVE", Payment={"CardNumber": "4111111111111111"})
    assert "LicenseStatus" not in api.call("getSubscription", api.call("addSubscription", sent))


def test_merchant_isolation(app_server, merchant_factory, api) -> None:
    other = merchant_factory()
    theirs = type(api)(app_server.base_url, other.code, other.secret, api.version)
    customer = theirs.call("createCustomer", customer_data(ExternalCustomerReference="THEIRS"))
    subscription = theirs.call("addSubscription", subscription_data(customer, "THEIRS-S"))
    before = (theirs.call("getCustomerInformation", customer, None), theirs.call("getSubscription", subscription))
    pairs = [
        (("getCustomerInformation", customer, None), ("getCustomerInformation", 123456780, None)),
        (("getCustomerInformation", None, "THEIRS"), ("getCustomerInformation", None, "NOT-THERE")),
        (("getSubscription", subscription), ("getSubscription", "FFFFFFFFFF")),
        (("updateCustomerInformation", {"AvangateCustomerReference": customer, "City": "Lyon"}, True),
         ("updateCustomerInformation", {"AvangateCustomerReference": 123456780, "City": "Lyon"}, True)),
        (("updateSubscriptionEndUser", subscription, {"City": "Lyon"}),
         ("updateSubscriptionEndUser", "FFFFFFFFFF", {"City": "Lyon"})),
    ]  # fmt: skip
    for (operation, *args), (_, *nonexistent) in pairs:
        assert code_of(api, operation, *args) == code_of(api, operation, *nonexistent), operation
    assert (
        theirs.call("getCustomerInformation", customer, None),
        theirs.call("getSubscription", subscription),
    ) == before
    theirs.close()


# --- single sign-on (twoco.core.sso): links into myAccount and the cart ----------------------------

LINK_TOKEN = re.compile(r"logintoken=([0-9a-f]{40})$")
BUY_LINK = "https://store.avancart.com/order/checkout.php?PRODS=4639321&QTY=1&CART=1&CARD=2"


def has(api: Api, operation: str) -> bool:
    return operation in REGISTRY.operations_for(api.version)


def test_myaccount_links_name_the_customer_by_either_reference_and_open_once(api, app_server) -> None:
    reference = api.call("createCustomer", customer_data(ExternalCustomerReference="SSO-1"))
    by_internal = api.call(
        "getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", "user_data", None, 60, None
    )
    assert by_internal.startswith(f"{app_server.base_url}/myaccount/user_data/?logintoken=")
    assert LINK_TOKEN.search(by_internal)
    by_external = api.call("getSingleSignOnByCustomer", "SSO-1", "ExternalCustomerReference", None, None, None, "")
    assert by_external.startswith(f"{app_server.base_url}/myaccount/?logintoken=")  # no page: the myAccount home
    rebranded = api.call(
        "getSingleSignOnByCustomer", str(reference), "2CheckoutCustomerReference", "faq", None, 60, None
    )
    assert rebranded.startswith(f"{app_server.base_url}/support/?logintoken=")

    first = servers.get(by_internal, timeout=30)
    assert first.status_code == 200 and "Lovelace" in first.text and f"{reference}" in first.text
    again = servers.get(by_internal, timeout=30)
    assert again.status_code == 410 and "already" in again.text and "Lovelace" not in again.text
    assert servers.get(by_external, timeout=30).status_code == 200  # each link its own token
    if has(api, "getCustomerInformationBySSOToken"):  # it reads cart tokens, not myAccount ones
        token = LINK_TOKEN.search(by_internal).group(1)
        assert code_of(api, "getCustomerInformationBySSOToken", token) == "SSO_TOKEN_NOT_FOUND"


def test_links_carry_their_language_on_6_0(api, app_server) -> None:
    if api.version != "6.0":
        assert "languageCode" not in [p.name for p in REGISTRY.lookup(api.version, "getSingleSignOnByCustomer").params]
        return
    reference = api.call("createCustomer", customer_data(Language="en"))
    link = api.call(
        "getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", None, None, 60, None, "DE"
    )
    assert '<html lang="de">' in servers.get(link, timeout=30).text
    bad = ("getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", None, None, 60, None, "xx")
    assert code_of(api, *bad) == "INVALID_LANGUAGE"


def test_a_subscription_link_opens_on_its_subscription(api, app_server) -> None:
    owner = api.call("createCustomer", customer_data())
    subscription = api.call("addSubscription", subscription_data(owner, "SSO-S"))
    link = api.call("getSingleSignOn", subscription, None, 60, "my_license", "127.0.0.1")
    assert link.startswith(f"{app_server.base_url}/myaccount/my_license/?logintoken=")
    opened = servers.get(link, timeout=30)
    assert opened.status_code == 200 and f"Subscription {subscription}." in opened.text


def test_cart_links_keep_the_buy_link_and_name_their_customer(api, app_server) -> None:
    reference = api.call("createCustomer", customer_data(ExternalCustomerReference="SSO-CART"))
    link = api.call("getSingleSignOnInCart", "SSO-CART", "ExternalCustomerReference", BUY_LINK, 60, None)
    assert link.startswith(f"{app_server.base_url}/order/checkout.php?PRODS=4639321&QTY=1&CART=1&CARD=2&logintoken=")
    token = LINK_TOKEN.search(link).group(1)
    if has(api, "getCustomerInformationBySSOToken"):
        customer = api.call("getCustomerInformationBySSOToken", token)
        assert customer == api.call("getCustomerInformation", reference, None)
    opened = servers.get(link, timeout=30)
    assert opened.status_code == 200 and "Checkout" in opened.text and "ada@example.com" in opened.text
    if has(api, "getCustomerInformationBySSOToken"):  # following the link does not stop the lookup
        assert api.call("getCustomerInformationBySSOToken", token)["AvangateCustomerReference"] == reference
    no_url = api.call("getSingleSignOnInCart", str(reference), "AvangateCustomerReference", None, None, None)
    assert no_url.startswith(f"{app_server.base_url}/order/checkout.php?logintoken=")


def test_links_expire_after_their_validity_time(api, app_server) -> None:
    reference = api.call("createCustomer", customer_data())
    cart = api.call("getSingleSignOnInCart", str(reference), "AvangateCustomerReference", "", 5, None)
    account = api.call("getSingleSignOnByCustomer", str(reference), "AvangateCustomerReference", None, None, None, None)
    app_server.move_clock(advance=11)  # past both: 5 seconds, and the default 10
    try:
        assert servers.get(account, timeout=30).status_code == 410
        assert "expired" in servers.get(cart, timeout=30).text
        if has(api, "getCustomerInformationBySSOToken"):
            assert (
                code_of(api, "getCustomerInformationBySSOToken", LINK_TOKEN.search(cart).group(1))
                == "SSO_TOKEN_EXPIRED"
            )
    finally:
        app_server.move_clock(reset=True)


def test_sso_by_token_is_for_5_0_and_later() -> None:
    assert "getCustomerInformationBySSOToken" not in REGISTRY.operations_for("4.0")
    assert {"getSingleSignOnByCustomer", "getSingleSignOnInCart", "getSingleSignOn"} <= set(
        REGISTRY.operations_for("4.0")
    )
    assert "languageCode" in [p.name for p in REGISTRY.lookup("6.0", "getSingleSignOnByCustomer").params]
    assert "languageCode" not in [p.name for p in REGISTRY.lookup("4.0", "getSingleSignOnByCustomer").params]


SSO_FAULTS = [
    (
        "getSingleSignOnByCustomer",
        ("123456789", "AvangateCustomerReference", None, None, None, None),
        "CUSTOMER_NOT_FOUND",
    ),
    (
        "getSingleSignOnByCustomer",
        ("NOBODY", "ExternalCustomerReference", None, None, None, None),
        "CUSTOMER_NOT_FOUND",
    ),
    (
        "getSingleSignOnByCustomer",
        ("{c}", "AvangateCustomerReference", "my_wallet", None, None, None),
        "INVALID_SSO_PAGE",
    ),
    ("getSingleSignOnByCustomer", ("{c}", "AvangateCustomerReference", None, None, -5, None), "INVALID_FIELD_VALUE"),
    ("getSingleSignOnByCustomer", ("{c}", "AvangateCustomerReference", None, None, 0, None), "INVALID_FIELD_VALUE"),
    (
        "getSingleSignOnByCustomer",
        ("{c}", "AvangateCustomerReference", None, None, 10, "300.1.2.3"),
        "INVALID_FIELD_VALUE",
    ),
    ("getSingleSignOnInCart", ("123456789", "AvangateCustomerReference", BUY_LINK, None, None), "CUSTOMER_NOT_FOUND"),
    ("getSingleSignOnInCart", ("{c}", "AvangateCustomerReference", BUY_LINK, None, "localhost"), "INVALID_FIELD_VALUE"),
    ("getSingleSignOn", ("0123456789", None, None, None, None), "SUBSCRIPTION_NOT_FOUND"),
    ("getSingleSignOn", ("{s}", None, None, "nowhere", None), "INVALID_SSO_PAGE"),
    ("getCustomerInformationBySSOToken", ("0" * 40,), "SSO_TOKEN_NOT_FOUND"),
    ("getCustomerInformationBySSOToken", ("not a token",), "SSO_TOKEN_NOT_FOUND"),
]


@pytest.mark.parametrize(("operation", "template", "expected"), SSO_FAULTS, ids=[f"{f[0]}-{f[2]}" for f in SSO_FAULTS])
def test_sso_faults_are_the_same_everywhere(api, operation, template, expected) -> None:
    customer = api.call("createCustomer", customer_data())
    subscription = api.call("addSubscription", subscription_data(customer, "SSO-F"))
    args = [str(customer) if value == "{c}" else subscription if value == "{s}" else value for value in template]
    if has(api, operation):
        assert code_of(api, operation, *args) == expected
    elif api.protocol == "soap":  # suds will not call what the WSDL lacks: see that it does
        assert f'name="{operation}"' not in servers.get(api.client.wsdl, timeout=30).text
    elif api.protocol == "rest":  # the route is another operation's (GET /customers/ beside POST), or none
        assert code_of(api, operation, *args) in ("METHOD_NOT_ALLOWED", "ENDPOINT_NOT_FOUND")
    else:
        assert code_of(api, operation, *args) == "UNKNOWN_OPERATION"


@pytest.mark.parametrize("name", [name for name in PROTOCOLS if not name.startswith("rest")])
def test_customer_type_is_checked(name, app_server, merchant) -> None:
    """REST has no customerType: its path names the customer by either reference."""
    api = PROTOCOLS[name](app_server.base_url, merchant.code, merchant.secret)
    try:
        reference = api.call("createCustomer", customer_data())
        assert (
            code_of(api, "getSingleSignOnByCustomer", str(reference), "CustomerId", None, None, None, None)
            == "INVALID_CUSTOMER_TYPE"
        )
        assert code_of(api, "getSingleSignOnInCart", str(reference), "", None, None, None) == "INVALID_CUSTOMER_TYPE"
        assert (
            code_of(api, "getSingleSignOnInCart", "x1", "AvangateCustomerReference", None, None, None)
            == "CUSTOMER_NOT_FOUND"
        )
        assert api.call("getSingleSignOnInCart", str(reference), "avangatecustomerreference", None, None, None)
    finally:
        api.close()


def test_sso_tokens_belong_to_their_merchant(app_server, merchant_factory, api) -> None:
    other = merchant_factory()
    theirs = type(api)(
        app_server.base_url, other.code, other.secret, *([api.version] if api.protocol != "rest" else [])
    )
    try:
        customer = theirs.call("createCustomer", customer_data(ExternalCustomerReference="THEIRS"))
        link = theirs.call("getSingleSignOnInCart", str(customer), "AvangateCustomerReference", None, 60, None)
        assert (
            code_of(api, "getSingleSignOnInCart", str(customer), "AvangateCustomerReference", None, 60, None)
            == "CUSTOMER_NOT_FOUND"
        )
        if has(api, "getCustomerInformationBySSOToken"):
            token = LINK_TOKEN.search(link).group(1)
            assert code_of(api, "getCustomerInformationBySSOToken", token) == "SSO_TOKEN_NOT_FOUND"
            assert theirs.call("getCustomerInformationBySSOToken", token)["ExternalCustomerReference"] == "THEIRS"
    finally:
        theirs.close()


# --- versions: what each one has ------------------------------------------------------------


def protocols(since: str = "3.0", until: str = "9.0", rest: bool = True) -> list[str]:
    """The PROTOCOLS entries whose version is in [since, until), REST included or not (stated here,
    not read from the registry, so that the registry is what is tested)."""
    return [name for name in PROTOCOLS if since <= name.split("-")[1] < until and (rest or not name.startswith("rest"))]


def test_every_version_is_served(app_server) -> None:
    for version in ("3.0", "4.0", "5.0", "6.0"):
        assert app_server.get(f"/soap/{version}/?wsdl").status_code == 200, version
        call = {"jsonrpc": "2.0", "id": 1, "method": "getSubscription", "params": ["0" * 32, "X"]}
        assert app_server.post(f"/rpc/{version}/", json=call).json()["error"]["data"]["error_code"] == "INVALID_SESSION"
        assert app_server.get(f"/rest/{version}/openapi.json").json()["servers"] == [{"url": f"/rest/{version}"}]
        assert app_server.get(f"/rest/{version}/customers/1/").json()["error_code"] == "AUTHENTICATION_ERROR"
    for path in ("/soap/2.0/?wsdl", "/rpc/7.0/", "/rest/2.0/customers/1/", "/4.0/customers/1/"):
        assert app_server.get(path).json()["error_code"] == "ENDPOINT_NOT_FOUND", path


@pytest.mark.parametrize(
    ("operation", "since"),
    [("searchSubscriptions", "4.0"), ("updateSubscription", "5.0"), ("searchCustomers", "6.0")],
)
def test_operations_are_unknown_before_their_version(server, merchant, operation, since) -> None:
    for name in protocols(until=since, rest=False):
        kind, version = name.split("-")
        if kind == "jsonrpc":
            with JsonRpcApi(server.base_url, merchant.code, merchant.secret, version) as api:
                assert code_of(api, operation, {}) == "UNKNOWN_OPERATION", name
        else:  # PHP in non-WSDL mode: a WSDL client would not send what its WSDL lacks
            php = PhpClient(server.base_url, version)
            with pytest.raises(Fault) as unknown:
                php.call_untyped(operation, sessionID=php.login(merchant.code, merchant.secret), SearchBy={})
            assert unknown.value.code == "UNKNOWN_OPERATION", name


def test_login_algo_by_version(app_server, merchant) -> None:
    """algo is optional (MD5 without it) on 3.0, 4.0 and 5.0; 6.0 requires it and refuses MD5."""
    for version in ("3.0", "4.0", "5.0", "6.0"):
        with JsonRpcApi(app_server.base_url, merchant.code, merchant.secret, version) as api:
            date = now_utc()
            md5 = login_hash(merchant.secret, merchant.code, date, "md5")
            sha = login_hash(merchant.secret, merchant.code, date, "sha256")
            assert len(api.rpc("login", merchant.code, date, sha, "sha256")) == 32
            if version == "6.0":
                with pytest.raises(Fault) as three:
                    api.rpc("login", merchant.code, date, md5)
                assert three.value.code == "INVALID_PARAMETERS"
                with pytest.raises(Fault) as retired:
                    api.rpc("login", merchant.code, date, md5, "md5")
                assert retired.value.code == "MD5_RETIRED"
            else:
                assert len(api.rpc("login", merchant.code, date, md5)) == 32
                assert len(api.rpc("login", merchant.code, date, md5, "md5")) == 32


@pytest.mark.parametrize("api", protocols(rest=False), indirect=True)
def test_get_customer_information_arity(api) -> None:
    """3.0 and 4.0: (AvangateCustomerReference, External); 5.0: (CustomerReference, External), three
    parameters with the session; 6.0 adds IncludePaymentData. Credit exists on 6.0 only."""
    reference = api.call("createCustomer", customer_data())
    if api.version == "6.0":
        assert api.call("getCustomerInformation", reference, None, True)["AvangateCustomerReference"] == reference
        assert "Credit" in api.call("getCustomerInformation", reference, None)
    elif api.protocol == "jsonrpc":  # suds refuses to send more parameters than the WSDL lists
        assert code_of(api, "getCustomerInformation", reference, None, True) == "INVALID_PARAMETERS"
        assert "Credit" not in api.call("getCustomerInformation", reference, None)


def test_wsdl_parameters_by_version(app_server) -> None:
    names = {"w": "http://schemas.xmlsoap.org/wsdl/", "xsd": "http://www.w3.org/2001/XMLSchema"}
    expected = {
        "3.0": ["sessionID", "AvangateCustomerReference", "ExternalCustomerReference"],
        "4.0": ["sessionID", "AvangateCustomerReference", "ExternalCustomerReference"],
        "5.0": ["sessionID", "CustomerReference", "ExternalCustomerReference"],
        "6.0": ["sessionID", "CustomerReference", "ExternalCustomerReference", "IncludePaymentData"],
    }
    for version, parts in expected.items():
        wsdl = etree.fromstring(app_server.get(f"/soap/{version}/?wsdl").content)
        found = wsdl.xpath("//w:message[@name='getCustomerInformationInput']/w:part/@name", namespaces=names)
        assert found == parts, version
        subscription_import = wsdl.xpath("//w:message[@name='addSubscriptionInput']/w:part/@name", namespaces=names)
        assert subscription_import == ["sessionID", "Subscription"] + (["Test"] if version >= "5.0" else [])
        operations = set(wsdl.xpath("//w:portType/w:operation/@name", namespaces=names))
        assert (
            "searchSubscriptions" in operations,
            "updateSubscription" in operations,
            "searchCustomers" in operations,
        ) == (version >= "4.0", version >= "5.0", version == "6.0"), version
        pagination = wsdl.xpath(
            "//xsd:complexType[@name='SubscriptionSearchOptions']//xsd:element/@name", namespaces=names
        )
        assert ("Pagination" in pagination) == (version >= "5.0") and (version == "3.0") == (not pagination)


@pytest.mark.parametrize("api", protocols(), indirect=True)
def test_add_subscription_test_parameter(api) -> None:
    """5.0 and 6.0: "To add test subscriptions, set the Test parameter to 1"; earlier versions have no
    third parameter."""
    owner = api.call("createCustomer", customer_data())
    plain = api.call("addSubscription", subscription_data(owner, "T-0"))
    assert api.call("getSubscription", plain)["TestSubscription"] is False
    if api.version >= "5.0":
        test = api.call("addSubscription", subscription_data(owner, "T-1"), 1)
        assert api.call("getSubscription", test)["TestSubscription"] is True
        not_test = api.call("addSubscription", subscription_data(owner, "T-2"), 0)
        assert api.call("getSubscription", not_test)["TestSubscription"] is False
    elif api.protocol == "jsonrpc":
        assert code_of(api, "addSubscription", subscription_data(owner, "T-1"), 1) == "INVALID_PARAMETERS"


# --- getSubscriptions -------------------------------------------------------------------------


@pytest.mark.parametrize("api", protocols(rest=False), indirect=True)
def test_get_subscriptions(api) -> None:
    owner = api.call("createCustomer", customer_data())
    first = api.call("addSubscription", subscription_data(owner, "G-1"))
    second = api.call("addSubscription", subscription_data(owner, "G-2"))
    # The docs' sample passes the references alone (no Aggregate): the order asked, each once,
    # unknown ones left out.
    found = api.call("getSubscriptions", [second, "0000000000", first, second])
    assert [s["SubscriptionReference"] for s in found] == [second, first]
    assert found[1] == api.call("getSubscription", first)
    assert api.call("getSubscriptions", [first], True) == [found[1]]  # Aggregate: no aggregated accounts here
    assert api.call("getSubscriptions", ["0000000000"]) == []
    if api.protocol == "jsonrpc":  # (suds sends an empty array for a null one)
        assert code_of(api, "getSubscriptions", None) == "INVALID_PARAMETERS"


# --- searchSubscriptions ----------------------------------------------------------------------


def _search_fixture(api) -> dict[str, str]:
    """Subscriptions of two customers with different products, countries, flags and dates."""
    ada = api.call("createCustomer", customer_data(ExternalCustomerReference="SR-ADA", Email="Ada@Example.com"))
    bob = api.call("createCustomer", customer_data(ExternalCustomerReference="SR-BOB", Email="bob@example.org"))
    made = {
        "a1": api.call("addSubscription", subscription_data(ada, "SR-A1", StartDate="2026-01-01", ExpirationDate="2027-01-01")),
        "a2": api.call("addSubscription", subscription_data(
            ada, "SR-A2", StartDate="2026-02-01", RecurringEnabled=True, IsTrial=True,
            Product={"ProductCode": "BASIC"}, EndUser={**subscription_data(ada, "x")["EndUser"], "CountryCode": "AU"},
        )),
        "b1": api.call("addSubscription", subscription_data(
            bob, "SR-B1", StartDate="2026-03-01", SubscriptionEnabled=False, Lifetime=True, TestSubscription=True,
        )),
    }  # fmt: skip
    return {**made, "ada": ada, "bob": bob}  # type: ignore[dict-item]


def _found(api, search_by: dict) -> list[str]:
    answer = api.call("searchSubscriptions", search_by)
    items = answer if api.version == "4.0" else answer["Items"]  # type: ignore[index]
    return [s["SubscriptionReference"] for s in items]


@pytest.mark.parametrize("api", protocols(since="4.0"), indirect=True)
def test_search_subscriptions_filters(api) -> None:
    made = _search_fixture(api)
    a1, a2, b1 = made["a1"], made["a2"], made["b1"]
    assert _found(api, {}) == [a1, a2, b1]  # by StartDate, then reference
    assert _found(api, {"AvangateCustomerReference": made["ada"]}) == [a1, a2]
    assert _found(api, {"ExternalCustomerReference": "SR-BOB"}) == [b1]
    assert _found(api, {"AvangateCustomerReference": made["ada"], "ExternalCustomerReference": "SR-BOB"}) == []
    assert _found(api, {"AvangateCustomerReference": 123456789}) == []  # names nobody: nothing found, no fault
    # Email: partial and case-insensitive unless ExactMatchEmail.
    assert _found(api, {"CustomerEmail": "EXAMPLE.COM"}) == [a1, a2]
    assert _found(api, {"CustomerEmail": "ada@example", "ExactMatchEmail": True}) == []
    assert _found(api, {"CustomerEmail": "ada@EXAMPLE.com", "ExactMatchEmail": True}) == [a1, a2]
    assert _found(api, {"CustomerEmail": "%"}) == []  # LIKE's wildcards are plain characters
    assert _found(api, {"SubscriptionEnabled": False}) == [b1]
    assert _found(api, {"RecurringEnabled": True}) == [a2]
    assert _found(api, {"LifetimeSubscription": True}) == [b1]
    assert _found(api, {"TestSubscription": True}) == [b1]
    assert _found(api, {"ProductCodes": ["BASIC", "NONE"]}) == [a2]
    assert _found(api, {"CountryCodes": ["au"]}) == [a2]
    assert _found(api, {"CountryCodes": ["RO", "AU"]}) == [a1, a2, b1]
    assert _found(api, {"PurchasedAfter": "2026-02-01"}) == [a2, b1]  # bounds are inclusive
    assert _found(api, {"PurchasedBefore": "2026-02-01 23:59:59"}) == [a1, a2]
    assert _found(api, {"ExpireBefore": "2027-06-01"}) == [a1]
    assert _found(api, {"Type": "trial"}) == [a2]
    assert _found(api, {"Type": "REGULAR"}) == [a1, b1]
    assert _found(api, {"Type": "regularfromtrial"}) == [a1, a2, b1]  # not kept: not applied
    # Documented filters on data twoco does not keep are accepted and not applied.
    unapplied = {"DeliveredCode": "X", "Aggregate": True, "RenewedAfter": "2020-01-01", "ModifiedBefore": "2020-01-01"}
    assert _found(api, {**unapplied, "ExternalCustomerReference": "SR-ADA"}) == [a1, a2]
    assert code_of(api, "searchSubscriptions", {"PurchasedAfter": "01/02/2026"}) == "INVALID_FIELD_VALUE"
    assert code_of(api, "searchSubscriptions", {"Type": "weekly"}) == "INVALID_FIELD_VALUE"


@pytest.mark.parametrize("api", protocols(since="4.0"), indirect=True)
def test_search_subscriptions_documented_sample(api) -> None:
    """The SearchBy of the docs' pagination page sample (its email, its filters), on each version
    (Pagination from 5.0: the sample's page is "Page 1, Limit 10" by default)."""
    owner = api.call("createCustomer", customer_data(Email="email@avangate.com"))
    regular = api.call("addSubscription", subscription_data(owner, "SAMPLE-1"))
    api.call("addSubscription", subscription_data(owner, "SAMPLE-2", IsTrial=True))
    sample = {
        "CustomerEmail": "email@avangate.com", "DeliveredCode": None, "AvangateCustomerReference": None,
        "ExternalCustomerReference": None, "Aggregate": False, "SubscriptionEnabled": None, "RecurringEnabled": None,
        "ProductCodes": None, "CountryCodes": None, "PurchasedAfter": None, "PurchasedBefore": None,
        "ExpireAfter": None, "ExpireBefore": None, "LifetimeSubscription": None, "Type": "regular",
        "TestSubscription": None,
    }  # fmt: skip
    if api.protocol == "rest":
        sample = {key: value for key, value in sample.items() if value is not None}
    assert _found(api, sample) == [regular]


@pytest.mark.parametrize("api", protocols(since="4.0"), indirect=True)
def test_search_subscriptions_pagination(api) -> None:
    owner = api.call("createCustomer", customer_data(ExternalCustomerReference="PAGES"))
    made = [
        api.call("addSubscription", subscription_data(owner, f"P-{n:02}", StartDate=f"2026-01-{n + 1:02}"))
        for n in range(12)
    ]
    mine = {"ExternalCustomerReference": "PAGES"}
    if api.version == "4.0":  # no pagination before 5.0: every match, as a plain array
        assert _found(api, mine) == made
        return

    def page(**pagination: object) -> dict:
        return api.call("searchSubscriptions", {**mine, "Pagination": pagination})  # type: ignore[return-value]

    first = api.call("searchSubscriptions", mine)  # "display page 1 with 10 results" by default
    assert [s["SubscriptionReference"] for s in first["Items"]] == made[:10]
    assert first["Pagination"] == {"Page": 1, "Limit": 10, "Count": 12}
    second = page(Page=2)
    assert [s["SubscriptionReference"] for s in second["Items"]] == made[10:]
    assert second["Pagination"] == {"Page": 2, "Limit": 10, "Count": 12}
    assert [s["SubscriptionReference"] for s in page(Page=3, Limit=5)["Items"]] == made[10:]
    assert page(Page=4, Limit=5) == {"Items": [], "Pagination": {"Page": 4, "Limit": 5, "Count": 12}}
    assert page(Limit=500)["Pagination"] == {"Page": 1, "Limit": 200, "Count": 12}  # "The maximum … is 200"
    assert len(page(Limit=200)["Items"]) == 12
    for bad in ({"Limit": 0}, {"Page": 0}, {"Page": -1, "Limit": 5}):
        assert code_of(api, "searchSubscriptions", {**mine, "Pagination": bad}) == "INVALID_FIELD_VALUE", bad


# --- updateSubscription -----------------------------------------------------------------------


@pytest.mark.parametrize("api", protocols(since="5.0"), indirect=True)
def test_update_subscription(api) -> None:
    owner = api.call("createCustomer", customer_data(ExternalCustomerReference="U-OWNER"))
    target = api.call("createCustomer", customer_data(ExternalCustomerReference="U-TARGET"))
    reference = api.call("addSubscription", subscription_data(owner, "U-1"))
    before = api.call("getSubscription", reference)

    # The docs' way: read the subscription, change it, send it back.
    changed = dict(before)
    changed.update(ExpirationDate="2030-06-30", SubscriptionEnabled=False, RecurringEnabled=True)
    changed["EndUser"] = {**before["EndUser"], "Phone": "+40 21 000 0000"}
    changed["StartDate"] = "2020-01-01"  # not something updateSubscription changes: ignored
    assert api.call("updateSubscription", changed) is True
    after = api.call("getSubscription", reference)
    assert (after["ExpirationDate"], after["SubscriptionEnabled"], after["RecurringEnabled"]) == (
        "2030-06-30",
        False,
        True,
    )
    assert after["EndUser"] == {**before["EndUser"], "Phone": "+40 21 000 0000"}
    assert after["StartDate"] == before["StartDate"] and after["AvangateCustomerReference"] == owner

    # Absent fields keep their values.
    assert api.call("updateSubscription", {"SubscriptionReference": reference, "EndUser": {"City": "Cluj"}}) is True
    partial = api.call("getSubscription", reference)
    assert partial["EndUser"] == {**after["EndUser"], "City": "Cluj"} and partial["ExpirationDate"] == "2030-06-30"

    # The docs' move: the read subscription with only AvangateCustomerReference changed.
    moving = api.call("getSubscription", reference)
    moving["AvangateCustomerReference"] = target
    assert api.call("updateSubscription", moving) is True
    assert api.call("getSubscription", reference)["AvangateCustomerReference"] == target
    assert api.call("getCustomerSubscriptions", owner, None) == []
    assert api.call("updateSubscription", {"SubscriptionReference": reference, "ExternalCustomerReference": "U-OWNER"})
    assert api.call("getSubscription", reference)["ExternalCustomerReference"] == "U-OWNER"

    unchanged = api.call("getSubscription", reference)
    faults = [
        ({"SubscriptionReference": "0000000000", "RecurringEnabled": False}, "SUBSCRIPTION_NOT_FOUND"),
        ({"SubscriptionReference": reference, "AvangateCustomerReference": 123456789}, "CUSTOMER_NOT_FOUND"),
        ({"SubscriptionReference": reference, "AvangateCustomerReference": target, "ExternalCustomerReference": "NOBODY"},
         "CUSTOMER_REFERENCE_MISMATCH"),
        ({"SubscriptionReference": reference, "ExpirationDate": "2025-12-31"}, "INVALID_FIELD_VALUE"),
        ({"SubscriptionReference": reference, "ExpirationDate": "2030-02-30"}, "INVALID_FIELD_VALUE"),
        ({"SubscriptionReference": reference, "EndUser": {"CountryCode": "XX"}}, "INVALID_COUNTRY_CODE"),
        ({"SubscriptionReference": reference, "EndUser": {"FirstName": None}}, "MISSING_REQUIRED_FIELD"),
    ]  # fmt: skip
    if api.protocol != "rest":  # REST names the subscription in the path
        faults.append(({"RecurringEnabled": False}, "MISSING_REQUIRED_FIELD"))
    for update, expected in faults:
        assert code_of(api, "updateSubscription", update) == expected, update
    assert api.call("getSubscription", reference) == unchanged


# --- searchCustomers --------------------------------------------------------------------------


@pytest.mark.parametrize("api", protocols(since="6.0", rest=False), indirect=True)
def test_search_customers(api, app_server, merchant_factory) -> None:
    def found(search_by: dict | None) -> list[int]:
        answer = api.call("searchCustomers", search_by)
        return [c["AvangateCustomerReference"] for c in answer["Items"]]  # type: ignore[index]

    active = api.call("createCustomer", customer_data(Email="Search.Me@Example.com", Phone="+1 555", CountryCode="US"))
    trial = api.call("createCustomer", customer_data(Email="trial@example.com", Language="fr"))
    inactive = api.call("createCustomer", customer_data(Email="search.me@example.com"))
    api.call("addSubscription", subscription_data(active, "SC-1"))
    api.call("addSubscription", subscription_data(trial, "SC-2", IsTrial=True))
    everyone = sorted([active, trial, inactive])
    assert found(None) == everyone and found({}) == everyone  # by AvangateCustomerReference
    assert found({"Email": "SEARCH.me@example.COM"}) == sorted([active, inactive])  # strict, case-insensitive
    assert found({"Email": "search.me"}) == []
    assert found({"Phone": "+1 555"}) == [active] and found({"Phone": "+1 55"}) == []
    assert found({"CountryCode": "us"}) == [active] and found({"CountryCode": "US"}) == [active]
    assert found({"Language": "fr"}) == [trial]
    assert found({"Status": "ACTIVE"}) == sorted([active, trial]) and found({"Status": "inactive"}) == [inactive]
    assert found({"Trial": True}) == [trial] and found({"Trial": False}) == sorted([active, inactive])
    assert found({"Status": "active", "Trial": False}) == [active]
    page = api.call("searchCustomers", {"Pagination": {"Page": 2, "Limit": 2}})
    assert [c["AvangateCustomerReference"] for c in page["Items"]] == everyone[2:]  # type: ignore[index]
    assert page["Pagination"] == {"Page": 2, "Limit": 2, "Count": 3}  # type: ignore[index]
    item = api.call("searchCustomers", {"Email": "trial@example.com"})["Items"][0]  # type: ignore[index]
    assert item == api.call("getCustomerInformation", trial, None)
    assert code_of(api, "searchCustomers", {"Status": "PAUSED"}) == "INVALID_FIELD_VALUE"
    assert code_of(api, "searchCustomers", {"Pagination": {"Limit": 0}}) == "INVALID_FIELD_VALUE"
    # Another merchant's customers are never found.
    other = merchant_factory()
    theirs = type(api)(app_server.base_url, other.code, other.secret, api.version)
    theirs.call("createCustomer", customer_data(Email="search.me@example.com"))
    assert found({"Email": "search.me@example.com"}) == sorted([active, inactive])
    theirs.close()


# --- cancelSubscription and enableSubscription ---------------------------------------------------


def _flags(api, reference: str) -> tuple[bool, bool]:
    subscription = api.call("getSubscription", reference)
    return subscription["SubscriptionEnabled"], subscription["RecurringEnabled"]


def test_cancel_and_enable_subscription(api, store, merchant) -> None:
    owner = api.call("createCustomer", customer_data())
    reference = api.call("addSubscription", subscription_data(owner, "CE-1", RecurringEnabled=True))
    assert api.call("getCustomerInformation", owner, None)["Enabled"] is True

    # "disables the subscription immediately and no longer performs any recurring billing actions"
    assert api.call("cancelSubscription", reference) is True
    assert _flags(api, reference) == (False, False)
    assert api.call("getCustomerInformation", owner, None)["Enabled"] is False  # its only subscription
    assert api.call("cancelSubscription", reference) is True  # already disabled: true, nothing changes

    # Enabling leaves recurring billing off (enableRecurringBilling is its own method).
    assert api.call("enableSubscription", reference) is True
    assert _flags(api, reference) == (True, False)
    assert api.call("getCustomerInformation", owner, None)["Enabled"] is True
    assert api.call("enableSubscription", reference) is True

    # One entry each: the repeated calls changed nothing, so recorded nothing.
    entries = store.customer_history(store.merchant(merchant.code).id, owner)
    changed = [(e["operation"], e["subscription"], e["protocol"], e["changes"]) for e in entries[-2:]]
    protocol = f"{api.protocol}/{api.version}"
    assert changed == [
        ("cancelSubscription", reference, protocol, [
            {"field": "SubscriptionEnabled", "old": True, "new": False},
            {"field": "RecurringEnabled", "old": True, "new": False},
        ]),
        ("enableSubscription", reference, protocol, [{"field": "SubscriptionEnabled", "old": False, "new": True}]),
    ]  # fmt: skip


def test_cancel_and_enable_an_unknown_subscription(api) -> None:
    owner = api.call("createCustomer", customer_data())
    reference = api.call("addSubscription", subscription_data(owner, "CE-2", RecurringEnabled=True))
    before = (api.call("getSubscription", reference), api.call("getCustomerInformation", owner, None))
    for operation in ("cancelSubscription", "enableSubscription"):
        assert code_of(api, operation, "0123456789") == "SUBSCRIPTION_NOT_FOUND", operation
    assert (api.call("getSubscription", reference), api.call("getCustomerInformation", owner, None)) == before


@pytest.mark.parametrize("api", protocols(since="6.0"), indirect=True)
def test_cancel_subscription_churn_reasons(api) -> None:
    """6.0's ChurnReasons and ChurnReasonOther: accepted, not kept; a value the docs do not list
    is accepted too (nothing shows 2Checkout refusing one)."""
    owner = api.call("createCustomer", customer_data())
    first = api.call("addSubscription", subscription_data(owner, "CR-1"))
    second = api.call("addSubscription", subscription_data(owner, "CR-2"))
    assert api.call("cancelSubscription", first, ["CHURN_REASON_HIGH_PRICE", "CHURN_REASON_OTHER"], "Too dear") is True
    assert api.call("cancelSubscription", second, ["CHURN_REASON_NOT_LISTED"], None) is True
    assert [_flags(api, reference)[0] for reference in (first, second)] == [False, False]


@pytest.mark.parametrize("api", protocols(until="6.0", rest=False), indirect=True)
def test_cancel_subscription_takes_no_churn_reasons_before_6_0(api) -> None:
    owner = api.call("createCustomer", customer_data())
    reference = api.call("addSubscription", subscription_data(owner, "CR-3"))
    if api.protocol == "jsonrpc":  # suds refuses to send more parameters than the WSDL lists
        assert code_of(api, "cancelSubscription", reference, ["CHURN_REASON_OTHER"], "x") == "INVALID_PARAMETERS"
        assert _flags(api, reference)[0] is True
    assert api.call("cancelSubscription", reference) is True


# --- enableRecurringBilling and disableRecurringBilling ------------------------------------------


def test_recurring_billing_on_and_off(api, store, merchant) -> None:
    """The automatic renewal switched off and on again; "the subscription status doesn't change"."""
    owner = api.call("createCustomer", customer_data())
    reference = api.call("addSubscription", subscription_data(owner, "RB-1", RecurringEnabled=True))
    assert api.call("disableRecurringBilling", reference) is True
    assert _flags(api, reference) == (True, False)
    assert api.call("disableRecurringBilling", reference) is True  # already off: true, nothing changes
    assert api.call("enableRecurringBilling", reference) is True
    assert _flags(api, reference) == (True, True)
    entries = store.customer_history(store.merchant(merchant.code).id, owner)
    changed = [(e["operation"], e["changes"]) for e in entries[-2:]]
    assert changed == [
        ("disableRecurringBilling", [{"field": "RecurringEnabled", "old": True, "new": False}]),
        ("enableRecurringBilling", [{"field": "RecurringEnabled", "old": False, "new": True}]),
    ]
    for operation in ("enableRecurringBilling", "disableRecurringBilling"):
        assert code_of(api, operation, "0123456789") == "SUBSCRIPTION_NOT_FOUND", operation


def test_recurring_billing_is_not_available_for_lifetime_or_expired_subscriptions(api) -> None:
    """2Checkout's "Control recurring billing": auto-renewal "is not available for: 1. Lifetime
    subscriptions 2. Expired subscriptions with the expiration deadline in the past"."""
    owner = api.call("createCustomer", customer_data())
    expired = api.call(
        "addSubscription", subscription_data(owner, "RB-3", StartDate="2019-01-01", ExpirationDate="2020-01-01")
    )
    lifetime = api.call("addSubscription", subscription_data(owner, "RB-4", Lifetime=True))
    for reference in (expired, lifetime):
        assert code_of(api, "enableRecurringBilling", reference) == "RECURRING_BILLING_NOT_AVAILABLE"
        assert _flags(api, reference)[1] is False
        assert api.call("disableRecurringBilling", reference) is True  # off already: true


@pytest.mark.parametrize("api", protocols(since="6.0"), indirect=True)
def test_disable_recurring_billing_takes_churn_reasons_on_6_0(api) -> None:
    owner = api.call("createCustomer", customer_data())
    reference = api.call("addSubscription", subscription_data(owner, "RB-2", RecurringEnabled=True))
    assert api.call("disableRecurringBilling", reference, ["CHURN_REASON_PREFER_MANUAL"], None) is True
    assert _flags(api, reference) == (True, False)


# --- the catalogue ------------------------------------------------------------------------------

CATALOGUE_OPERATIONS = (
    "addProduct", "getProductByCode", "getProductById", "searchProducts", "updateProduct", "setProductStatus",
    "getPricingConfigurations", "getAvailableCurrencies", "getProductGroups", "addProductGroup",
)  # fmt: skip
NO_REST_ROUTE = {"getProductById", "setProductStatus"}


def routed(api: Api, operation: str) -> bool:
    """Whether ``api`` can call ``operation``: every protocol but REST has every catalogue operation."""
    return api.protocol != "rest" or operation not in NO_REST_ROUTE


def translations(product: dict) -> list[dict]:
    """A product's Translations as a list: SOAP writes an array, JSON an object keyed by language."""
    value = product["Translations"]
    return sorted(value.values() if isinstance(value, dict) else value, key=lambda item: item["Language"])


def blank_as_nil(value: object) -> object:
    """suds reads an empty text element as None, where PHP and JSON read "": compared alike."""
    if isinstance(value, dict):
        return {key: blank_as_nil(item) for key, item in value.items()}
    if isinstance(value, list):
        return [blank_as_nil(item) for item in value]
    return None if value == "" else value


def products_found(api: Api, search: dict | None) -> list[str]:
    answer = api.call("searchProducts", search)
    items = answer["Items"] if api.version >= "5.0" else answer  # type: ignore[index]
    return [product["ProductCode"] for product in items]  # type: ignore[union-attr]


def test_every_catalogue_operation_is_on_every_version() -> None:
    for version in ("3.0", "4.0", "5.0", "6.0"):
        operations = REGISTRY.operations_for(version)
        assert set(CATALOGUE_OPERATIONS) <= set(operations), version
        assert {name for name in CATALOGUE_OPERATIONS if operations[name].route is None} == NO_REST_ROUTE


def test_catalogue(api) -> None:
    """Every catalogue operation the protocol has, on each protocol and version."""
    group = api.call("addProductGroup", {"Name": "Engines", "Description": "Analytical"})
    assert group == "ENGINES"
    assert [g["Code"] for g in api.call("getProductGroups")] == ["GENERAL", "ENGINES"]  # type: ignore[union-attr]
    assert api.call("addProduct", product_data("CAT-1", ProductGroupCode=group, ProductCategory="Software")) is True
    assert api.call("addProduct", {"ProductCode": "CAT-2", "ProductName": "Other", "ProductType": "BUNDLE"}) is True
    product = api.call("getProductByCode", "CAT-1")
    assert isinstance(product["AvangateId"], int) and 1_000_000 <= product["AvangateId"] <= 9_999_999
    assert (product["ProductName"], product["GroupName"], product["ProductCategory"]) == (
        "Engine CAT-1", "Engines", "Software",
    )  # fmt: skip
    assert ("ExternalReference" in product) == (api.version == "6.0")  # a 6.0 field
    if api.version == "6.0":  # the 6.0 page's ProductGroup object, beside GroupName
        assert product["ProductGroup"] == {
            "Name": "Engines", "Code": "ENGINES", "TemplateName": None, "Description": "Analytical", "Enabled": True,
        }  # fmt: skip
    assert "ProductGroupCode" not in product and "TaxCategory" not in product  # what only requests carry
    (configuration,) = product["PricingConfigurations"]
    assert [(p["Amount"], p["Currency"], p["MinQuantity"], p["MaxQuantity"]) for p in configuration["Prices"]["Regular"]] == [
        (99.5, "EUR", 1, 9), (89.0, "USD", 10, 99999),
    ]  # fmt: skip
    assert configuration["Code"] != "SENT-CODE" and configuration["Default"] is True
    assert product["SubscriptionInformation"]["BillingCycle"] == 12
    assert [(t["Language"], t["Name"]) for t in translations(product)] == [("ES", "Motor")]
    if routed(api, "getProductById"):
        assert api.call("getProductById", product["AvangateId"]) == product

    assert products_found(api, {}) == ["CAT-1", "CAT-2"]
    assert products_found(api, {"Name": "engine", "Types": ["REGULAR"], "Enabled": True}) == ["CAT-1"]
    assert products_found(api, {"Codes": ["CAT-2", "NONE"]}) == ["CAT-2"]
    assert products_found(api, {"GroupName": "ENGINES"}) == ["CAT-1"]
    assert products_found(api, {"Types": ["BUNDLE"]}) == ["CAT-2"]

    assert api.call("updateProduct", {"ProductCode": "CAT-1", "ShortDescription": "Changed", "GroupName": "General"})
    updated = api.call("getProductByCode", "CAT-1")
    moved = {"ShortDescription": "Changed", "GroupName": "General"}
    if api.version == "6.0":
        moved["ProductGroup"] = {
            "Name": "General",
            "Code": "GENERAL",
            "TemplateName": None,
            "Description": None,
            "Enabled": True,
        }
    assert updated == {**product, **moved}
    assert api.call("getPricingConfigurations", "CAT-1") == updated["PricingConfigurations"]
    if routed(api, "setProductStatus"):
        assert api.call("setProductStatus", "CAT-2", False, None, None) is True
        assert api.call("getProductByCode", "CAT-2")["Enabled"] is False
        assert products_found(api, {"Enabled": False}) == ["CAT-2"]
    assert api.call("getAvailableCurrencies", None, None) == ["eur", "gbp", "usd"]
    assert api.call("getAvailableCurrencies", "RO", "CC") == ["eur", "gbp", "usd"]


def test_a_product_reads_identically_over_every_protocol(every_protocol) -> None:
    for writer_name, writer in every_protocol.items():
        code = f"X-{writer_name}"
        writer.call("addProduct", product_data(code))
        reads = {}
        for name, reader in every_protocol.items():
            read = dict(reader.call("getProductByCode", code))  # type: ignore[arg-type]
            read["Translations"] = translations(read)
            six_only = ("ExternalReference", "PurchaseMultipleUnits", "Tangible", "ProductGroup")  # 6.0's fields
            reads[name] = blank_as_nil({key: value for key, value in read.items() if key not in six_only})
        first = next(iter(reads.values()))
        assert all(read == first for read in reads.values()), (writer_name, reads)
        assert first["ProductCode"] == code


PRODUCT_FAULTS = [
    ("addProduct", ({"ProductCode": "F-1", "ProductName": "Again"},), "DUPLICATE_PRODUCT_CODE"),
    ("addProduct", ({"ProductCode": "F-2"},), "MISSING_REQUIRED_FIELD"),
    ("addProduct", ({"ProductCode": "F-2", "ProductName": "X", "ProductType": "SERVICE"},), "INVALID_FIELD_VALUE"),
    ("addProduct", ({"ProductCode": "F-2", "ProductName": "X", "GroupName": "Nowhere"},), "PRODUCT_GROUP_NOT_FOUND"),
    ("addProduct", ({"ProductCode": "F-2", "ProductName": "X", "ProductGroupCode": "NOPE"},), "PRODUCT_GROUP_NOT_FOUND"),
    ("addProduct", ({"ProductCode": "F-2", "ProductName": "X", "PricingConfigurations": [{"PricingSchema": "X"}]},),
     "INVALID_FIELD_VALUE"),
    ("addProduct", ({"ProductCode": "F-2", "ProductName": "X", "Prices": [{"Amount": 1.0, "MinQuantity": 0}]},),
     "INVALID_FIELD_VALUE"),
    ("getProductByCode", ("NOWHERE",), "PRODUCT_NOT_FOUND"),
    ("getProductById", (1_000_000,), "PRODUCT_NOT_FOUND"),
    ("updateProduct", ({"ProductCode": "NOWHERE", "ProductName": "X"},), "PRODUCT_NOT_FOUND"),
    ("updateProduct", ({"ProductCode": "F-1", "ProductType": "SERVICE"},), "INVALID_FIELD_VALUE"),
    ("setProductStatus", ("NOWHERE", True, None, None), "PRODUCT_NOT_FOUND"),
    ("getPricingConfigurations", ("NOWHERE",), "PRODUCT_NOT_FOUND"),
    ("getAvailableCurrencies", ("RO", None), "INVALID_PARAMETERS"),
    ("getAvailableCurrencies", (None, "CC"), "INVALID_PARAMETERS"),
    ("searchProducts", ({"Types": ["DIGITAL"]},), "INVALID_FIELD_VALUE"),
    ("addProductGroup", ({"Name": "general"},), "DUPLICATE_PRODUCT_GROUP"),
    ("addProductGroup", ({"Description": "no name"},), "MISSING_REQUIRED_FIELD"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "args", "expected"), PRODUCT_FAULTS, ids=[f"{f[0]}-{f[2]}" for f in PRODUCT_FAULTS]
)
def test_product_faults_are_the_same_everywhere_and_change_nothing(api, operation, args, expected) -> None:
    if not routed(api, operation):  # REST has no route for it (test_every_catalogue_operation_is_on_every_version)
        return
    api.call("addProduct", product_data("F-1"))
    before = (api.call("getProductByCode", "F-1"), api.call("getProductGroups"))
    assert code_of(api, operation, *args) == expected
    assert (api.call("getProductByCode", "F-1"), api.call("getProductGroups")) == before
    assert products_found(api, {}) == ["F-1"]
