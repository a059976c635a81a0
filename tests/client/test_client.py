"""twoco.client against a real server, over every protocol and version."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.data import customer_data, subscription_data
from tests.servers import free_port
from twoco.client import Client, TransportError, TwoCheckoutError, jsonrpc
from twoco.client.soap import read_answer
from twoco.core.registry import VERSIONS
from twoco.core.schema import at_version
from twoco.domains import REGISTRY
from twoco.domains.customers.schema import CUSTOMER, CUSTOMER_V6
from twoco.domains.subscriptions.schema import SUBSCRIPTION

COMBINATIONS = [f"{kind}-{version}" for kind in ("soap", "jsonrpc", "rest") for version in ("3.0", "4.0", "5.0", "6.0")]
# The HTTP status each protocol carries a fault with (REST: the catalogue's, here CUSTOMER_NOT_FOUND's).
FAULT_STATUS = {"soap": 500, "jsonrpc": 200, "rest": 404}


class Recorder:
    """The requests a client sent, seen through httpx's event hooks (the requests really go out)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.http = httpx.Client(timeout=30, event_hooks={"request": [self.requests.append]})

    def operations(self) -> list[str]:
        """The operation each SOAP or JSON-RPC request named, in order."""
        names = []
        for request in self.requests:
            body = request.content.decode()
            found = re.search(r'"method": "(\w+)"', body) or re.search(r"<ns1:(\w+)>", body)
            names.append(found.group(1) if found else "?")
        return names


@pytest.fixture(params=COMBINATIONS)
def client(request: pytest.FixtureRequest, server, merchant) -> Iterator[Client]:
    protocol, version = request.param.split("-")
    with Client(server.base_url, merchant.code, merchant.secret, protocol, version) as opened:
        yield opened


def server_clock(server):
    """A clock that follows the server's, moved or not: what a client whose clock agrees with the server's reads."""
    return lambda: datetime.fromisoformat(server.get("/_twoco/clock").json()["now"])


def test_every_registry_operation_has_a_method() -> None:
    for version in VERSIONS:
        for name in REGISTRY.operations_for(version):
            method = re.sub(
                r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name
            ).lower()  # BySSOToken: by_sso_token
            assert callable(getattr(Client, method, None)), f"Client lacks {method} for {name}"
            assert getattr(Client, method).__doc__, method


def test_every_operation(client) -> None:
    reference = client.create_customer(customer_data(ExternalCustomerReference="CL-1", Email="a&b<c>@example.com"))
    assert isinstance(reference, int)

    customer = client.get_customer_information(reference)
    fields = CUSTOMER_V6.field_names if client.version == "6.0" else CUSTOMER.field_names
    assert list(customer) == list(fields)
    assert customer["AvangateCustomerReference"] == reference and customer["Email"] == "a&b<c>@example.com"
    assert customer["CountryCode"] == "gb" and customer["Enabled"] is False and customer["ExistingCards"] == []
    assert client.get_customer_information(None, "CL-1") == customer
    assert client.get_customer_information(reference, "CL-1") == customer

    subscription_reference = client.add_subscription(subscription_data(reference, "CL-SUB-1"))
    assert re.fullmatch(r"[0-9A-F]{10}", subscription_reference)
    subscription = client.get_subscription(subscription_reference)
    assert list(subscription) == [f.name for f in at_version(SUBSCRIPTION, client.version).fields if f.returned]
    assert subscription["Product"]["ProductQuantity"] == 2 and subscription["Product"]["PriceOptionCodes"] == ["EU"]
    assert subscription["SubscriptionEnabled"] is True and subscription["AvangateCustomerReference"] == reference
    assert client.get_customer_subscriptions(reference) == [subscription]
    assert client.get_customer_subscriptions(None, "CL-1") == [subscription]

    # The seed script's way: read, change, send the whole object back; then a partial update.
    customer["Email"] = "changed@example.com"
    assert client.update_customer_information(customer) is True
    assert (
        client.update_customer_information(
            {"AvangateCustomerReference": reference, "City": "Paris", "Phone": None}, update_end_user_subscriptions=True
        )
        is True
    )
    changed = client.get_customer_information(reference)
    assert (changed["Email"], changed["City"], changed["Phone"], changed["Enabled"]) == (
        "changed@example.com",
        "Paris",
        None,
        True,
    )
    assert client.get_subscription(subscription_reference)["EndUser"]["City"] == "Paris"

    assert client.update_subscription_end_user(subscription_reference, {"FirstName": "Grace", "Fax": None}) is True
    end_user = client.get_subscription(subscription_reference)["EndUser"]
    assert (end_user["FirstName"], end_user["LastName"], end_user["Fax"]) == ("Grace", "Lovelace", None)

    other = client.create_customer(customer_data(ExternalCustomerReference="CL-2"))
    assert client.set_subscription_customer(subscription_reference, None, "CL-2") is True
    assert client.get_subscription(subscription_reference)["AvangateCustomerReference"] == other
    assert client.get_customer_subscriptions(reference) == []
    assert client.set_subscription_customer(subscription_reference, reference) is True
    assert [s["SubscriptionReference"] for s in client.get_customer_subscriptions(reference)] == [
        subscription_reference
    ]


def test_single_sign_on_methods(client, server) -> None:
    reference = client.create_customer(customer_data(ExternalCustomerReference="CL-SSO"))
    subscription = client.add_subscription(subscription_data(reference, "CL-SSO-S"))
    home = client.get_single_sign_on_by_customer(reference, validity_time=30)
    assert re.fullmatch(rf"{re.escape(server.base_url)}/myaccount/\?logintoken=[0-9a-f]{{40}}", home)
    by_external = client.get_single_sign_on_by_customer("CL-SSO", "ExternalCustomerReference", "user_data")
    assert "/myaccount/user_data/?logintoken=" in by_external
    licence = client.get_single_sign_on(subscription, access_page="my_license", validation_ip="127.0.0.1")
    assert f"Subscription {subscription}." in httpx.get(licence, timeout=30).text
    cart = client.get_single_sign_on_in_cart(reference, url="https://store.example/order/cart.php?PRODS=7")
    assert cart.startswith(f"{server.base_url}/order/cart.php?PRODS=7&logintoken=")
    if client.version != "6.0":  # languageCode is 6.0's
        with pytest.raises(ValueError, match="no language_code"):
            client.get_single_sign_on_by_customer(reference, language_code="en")
    else:
        assert "/support/?logintoken=" in client.get_single_sign_on_by_customer(
            reference, page="faq", language_code="fr"
        )
    if client.version in ("3.0", "4.0"):  # the customer behind a cart token: from 5.0 on
        with pytest.raises(ValueError, match="no operation"):
            client.get_customer_information_by_sso_token(cart.rsplit("=", 1)[1])
    else:
        found = client.get_customer_information_by_sso_token(cart.rsplit("=", 1)[1])
        assert found == client.get_customer_information(reference)


def test_every_operation_added_in_later_versions(client) -> None:
    """getSubscriptions, searchSubscriptions (4.0 on), updateSubscription and Test (5.0 on), searchCustomers (6.0)."""
    operations = REGISTRY.operations_for(client.version)
    owner = client.create_customer(customer_data(ExternalCustomerReference="CL-LATER", Email="later@example.com"))
    first = client.add_subscription(subscription_data(owner, "CL-LATER-1"))
    if client.protocol != "rest":  # no documented REST route
        assert [s["SubscriptionReference"] for s in client.get_subscriptions([first, "0000000000"])] == [first]
    if "searchSubscriptions" in operations:
        found = client.search_subscriptions({"ExternalCustomerReference": "CL-LATER"})
        items = found if client.version == "4.0" else found["Items"]
        assert [s["SubscriptionReference"] for s in items] == [first]
        if client.version != "4.0":
            assert found["Pagination"] == {"Page": 1, "Limit": 10, "Count": 1}
    if "updateSubscription" in operations:
        test = client.add_subscription(subscription_data(owner, "CL-LATER-2"), test=True)
        assert client.get_subscription(test)["TestSubscription"] is True
        assert client.update_subscription({"SubscriptionReference": first, "RecurringEnabled": True}) is True
        assert client.get_subscription(first)["RecurringEnabled"] is True
    else:
        with pytest.raises(ValueError, match="from API 5.0 on"):
            client.add_subscription(subscription_data(owner, "CL-LATER-2"), test=True)
        with pytest.raises(ValueError, match=f"API {client.version} has no operation 'updateSubscription'"):
            client.update_subscription({"SubscriptionReference": first})
    if "searchCustomers" in operations and client.protocol != "rest":
        found = client.search_customers({"Email": "LATER@example.com"})
        assert [c["AvangateCustomerReference"] for c in found["Items"]] == [owner] and found["Pagination"]["Count"] == 1


def test_cancel_and_enable_subscription(client) -> None:
    """Every version; the churn reasons (REST: comma-separated in the query) on 6.0 only."""
    owner = client.create_customer(customer_data())
    reference = client.add_subscription(subscription_data(owner, "CL-CANCEL", RecurringEnabled=True))
    if client.version == "6.0":
        assert client.cancel_subscription(reference, ["CHURN_REASON_DONT_NEED", "CHURN_REASON_OTHER"], "moved") is True
    else:
        with pytest.raises(ValueError, match="6.0 only"):
            client.cancel_subscription(reference, ["CHURN_REASON_DONT_NEED"])
        assert client.cancel_subscription(reference) is True
    cancelled = client.get_subscription(reference)
    assert (cancelled["SubscriptionEnabled"], cancelled["RecurringEnabled"]) == (False, False)
    assert client.enable_subscription(reference) is True
    assert client.get_subscription(reference)["SubscriptionEnabled"] is True
    with pytest.raises(TwoCheckoutError) as unknown:
        client.enable_subscription("0123456789")
    assert unknown.value.code == "SUBSCRIPTION_NOT_FOUND"


def test_call_takes_the_api_names(client) -> None:
    reference = client.call("createCustomer", customer_data())
    assert client.call("getCustomerInformation", reference)["AvangateCustomerReference"] == reference
    with pytest.raises(ValueError, match="no operation 'getCustomer'"):
        client.call("getCustomer", reference)


def test_faults_are_raised_with_their_code(client) -> None:
    with pytest.raises(TwoCheckoutError) as caught:
        client.get_customer_information(123)
    assert caught.value.code == "CUSTOMER_NOT_FOUND"
    assert caught.value.message.startswith("No customer matches")
    assert caught.value.status == FAULT_STATUS[client.protocol]
    assert str(caught.value) == f"CUSTOMER_NOT_FOUND: {caught.value.message}"

    with pytest.raises(TwoCheckoutError) as caught:
        client.create_customer(customer_data(Email="not-an-address"))
    assert caught.value.code == "INVALID_EMAIL" and "Email" in caught.value.message

    if client.protocol != "rest":  # a REST path takes any text as an external reference
        with pytest.raises(TwoCheckoutError) as caught:
            client.get_customer_information("not-a-number")
        assert caught.value.code == "INVALID_PARAMETERS" and "integer" in caught.value.message


def test_a_wrong_key_is_an_authentication_error(server, merchant_factory) -> None:
    for combination in COMBINATIONS:  # a merchant each: more failures than one would be throttled
        protocol, version = combination.split("-")
        client = Client(server.base_url, merchant_factory().code, "not-the-key", protocol, version)
        with client, pytest.raises(TwoCheckoutError) as caught:
            client.get_customer_information(1)
        expected = {"soap": ("AUTHENTICATION_FAILED", 500), "jsonrpc": ("AUTHENTICATION_FAILED", 200)}.get(
            protocol, ("AUTHENTICATION_ERROR", 401)
        )
        assert (caught.value.code, caught.value.status) == expected
        assert client.session_id is None


@pytest.mark.parametrize("combination", ["soap-4.0", "soap-6.0", "jsonrpc-4.0", "jsonrpc-6.0"])
def test_logs_in_once_and_again_when_the_session_expires(server, merchant, combination) -> None:
    protocol, version = combination.split("-")
    recorder = Recorder()
    client = Client(
        server.base_url,
        merchant.code,
        merchant.secret,
        protocol,
        version,
        clock=server_clock(server),
        http=recorder.http,
    )
    reference = client.create_customer(customer_data())
    first_session = client.session_id
    assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
    assert recorder.operations() == ["login", "createCustomer", "getCustomerInformation"]
    server.move_clock(advance=601)  # past the 600-second session lifetime
    try:
        assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
    finally:
        server.move_clock(reset=True)
    assert recorder.operations()[3:] == ["getCustomerInformation", "login", "getCustomerInformation"]
    assert client.session_id not in (None, first_session)
    recorder.http.close()


@pytest.fixture
def inject(server) -> Iterator:
    """Inject faults (POST /_twoco/faults) for one test; whatever is left is cleared after it."""

    def add(operation: str, error: str, count: int = 1) -> None:
        server.post("/_twoco/faults", json={"operation": operation, "error": error, "count": count}).raise_for_status()

    yield add
    httpx.delete(f"{server.base_url}/_twoco/faults", timeout=30).raise_for_status()


@pytest.mark.parametrize("combination", ["soap-4.0", "jsonrpc-6.0"])
@pytest.mark.parametrize("code", ["FORBIDDEN", "INVALID_SESSION"])
def test_a_lost_session_is_renewed_once_then_the_error_is_raised(server, merchant, inject, combination, code) -> None:
    protocol, version = combination.split("-")
    recorder = Recorder()
    client = Client(server.base_url, merchant.code, merchant.secret, protocol, version, http=recorder.http)
    reference = client.create_customer(customer_data())

    inject("getCustomerInformation", code)
    assert client.get_customer_information(reference)["AvangateCustomerReference"] == reference
    assert recorder.operations()[2:] == ["getCustomerInformation", "login", "getCustomerInformation"]

    inject("getCustomerInformation", code, count=2)  # the retry fails too: raised, no third attempt
    with pytest.raises(TwoCheckoutError) as caught:
        client.get_customer_information(reference)
    assert caught.value.code == code
    assert recorder.operations()[5:] == ["getCustomerInformation", "login", "getCustomerInformation"]
    recorder.http.close()


def test_other_errors_are_not_retried(server, merchant, inject) -> None:
    recorder = Recorder()
    client = Client(server.base_url, merchant.code, merchant.secret, "jsonrpc", http=recorder.http)
    reference = client.create_customer(customer_data())
    inject("updateCustomerInformation", "INTERNAL_ERROR")
    with pytest.raises(TwoCheckoutError, match="INTERNAL_ERROR"):
        client.update_customer_information({"AvangateCustomerReference": reference, "City": "Oslo"})
    assert recorder.operations() == ["login", "createCustomer", "updateCustomerInformation"]
    assert client.get_customer_information(reference)["City"] == "London"  # the failed call changed nothing
    recorder.http.close()


def test_an_explicit_login_returns_the_session(server, merchant) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc", "6.0") as client:
        session = client.login()
        assert re.fullmatch(r"[0-9a-f]{32}", session) and client.session_id == session
        with pytest.raises(TwoCheckoutError, match="CUSTOMER_NOT_FOUND"):
            client.get_customer_subscriptions(None, "nobody")
        assert client.session_id == session
    with (
        Client(server.base_url, merchant.code, merchant.secret, "rest") as client,
        pytest.raises(ValueError, match="REST"),
    ):
        client.login()


@pytest.mark.parametrize("algo", ["sha256", "sha3-256"])
def test_rest_signs_every_request(server, merchant, algo) -> None:
    recorder = Recorder()
    client = Client(server.base_url, merchant.code, merchant.secret, "rest", algo=algo, http=recorder.http)
    reference = client.create_customer(customer_data(ExternalCustomerReference="REST/1 ?&"))
    assert client.get_customer_information(None, "REST/1 ?&")["AvangateCustomerReference"] == reference
    assert client.update_customer_information({"ExternalCustomerReference": "REST/1 ?&", "City": "Oslo"}, True) is True
    sent = [(r.method, r.url.raw_path.decode()) for r in recorder.requests]
    assert sent == [
        ("POST", "/rest/6.0/customers/"),
        ("GET", "/rest/6.0/customers/REST%2F1%20%3F%26/?IncludePaymentData=false"),
        ("PUT", "/rest/6.0/customers/REST%2F1%20%3F%26/?UpdateEndUserSubscriptions=true"),
    ]
    digest = {"sha256": hashlib.sha256, "sha3-256": hashlib.sha3_256}[algo]
    for request in recorder.requests:
        header = request.headers["X-Avangate-Authentication"]
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        assert set(fields) == {"code", "date", "hash", "algo"} and fields["algo"] == algo
        message = f"{len(merchant.code)}{merchant.code}{len(fields['date'])}{fields['date']}".encode()
        assert fields["hash"] == hmac.new(merchant.secret.encode(), message, digest).hexdigest()
    assert "Cookie" not in recorder.requests[-1].headers  # stateless: nothing carried between requests
    recorder.http.close()


def test_rest_follows_the_server_clock_when_told(server, merchant) -> None:
    """While the sandbox clock is moved, a request signed by either clock is accepted; one
    signed by neither is refused."""
    server.move_clock(advance=3600)
    try:
        neither = lambda: datetime.now(UTC) + timedelta(seconds=1800)  # noqa: E731
        with Client(server.base_url, merchant.code, merchant.secret, "rest", clock=neither) as client:
            with pytest.raises(TwoCheckoutError) as caught:
                client.create_customer(customer_data())
            assert caught.value.code == "AUTHENTICATION_ERROR" and "server clock" in caught.value.message
        with Client(server.base_url, merchant.code, merchant.secret, "rest") as client:  # the real clock
            assert isinstance(client.create_customer(customer_data()), int)
        with Client(server.base_url, merchant.code, merchant.secret, "rest", clock=server_clock(server)) as client:
            assert isinstance(client.create_customer(customer_data()), int)
    finally:
        server.move_clock(reset=True)


def test_md5_on_6_0_is_refused_by_the_server_not_the_client(server, merchant) -> None:
    client = Client(server.base_url, merchant.code, merchant.secret, "soap", "6.0", algo="md5")
    with client, pytest.raises(TwoCheckoutError) as caught:
        client.login()
    assert caught.value.code == "MD5_RETIRED"


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"protocol": "xmlrpc"}, "protocol must be one of soap, jsonrpc, rest"),
        ({"version": "7.0"}, "version must be one of 3.0, 4.0, 5.0, 6.0"),
        ({"algo": "sha1"}, "algo must be one of md5, sha256, sha3-256"),
    ],
)
def test_impossible_combinations_are_value_errors(arguments, message) -> None:
    with pytest.raises(ValueError, match=message):
        Client("http://127.0.0.1:1", "CODE", "KEY", **arguments)


def test_include_payment_data_needs_6_0(server, merchant) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc", "4.0") as client:
        with pytest.raises(ValueError, match="6.0 only"):
            client.get_customer_information(1, include_payment_data=True)
        assert client.session_id is None  # refused before any request
    with Client(server.base_url, merchant.code, merchant.secret, "jsonrpc", "6.0") as client:
        reference = client.create_customer(customer_data())
        assert client.get_customer_information(reference, include_payment_data=True)["ExistingCards"] == []


def test_rest_needs_a_customer_reference_for_its_path(server, merchant) -> None:
    with Client(server.base_url, merchant.code, merchant.secret, "rest") as client:
        with pytest.raises(ValueError, match="needs a customer reference"):
            client.update_customer_information({"City": "Oslo"})
        with pytest.raises(ValueError, match="needs ExternalCustomerReference"):
            client.get_customer_information()


@pytest.mark.parametrize("protocol", ["soap", "jsonrpc", "rest"])
def test_no_server_is_a_transport_error(protocol) -> None:
    client = Client(f"http://127.0.0.1:{free_port()}", "CODE", "KEY", protocol, timeout=5)
    with client, pytest.raises(TransportError) as caught:
        client.get_subscription("A1B2C3D4E5")
    assert caught.value.code == "TRANSPORT_ERROR" and "ConnectError" in caught.value.message
    assert isinstance(caught.value, TwoCheckoutError) and caught.value.status is None


@pytest.mark.parametrize("protocol", ["soap", "jsonrpc"])
def test_an_answer_in_another_format_is_an_unexpected_response(server, protocol) -> None:
    client = Client(server.base_url + "/elsewhere", "CODE", "KEY", protocol)
    with client, pytest.raises(TransportError) as caught:
        client.login()
    assert caught.value.code == "UNEXPECTED_RESPONSE" and caught.value.status == 404
    assert "ENDPOINT_NOT_FOUND" in caught.value.message


def test_soap_text_that_xml_cannot_carry_is_refused_before_sending(server, merchant) -> None:
    client = Client(server.base_url, merchant.code, merchant.secret, "soap")
    with client, pytest.raises(ValueError, match=r"Customer.City: holds a character XML cannot carry"):
        client.create_customer(customer_data(City="Lon\x01don"))


def test_soap_answers_are_read_leniently() -> None:
    """2Checkout's PHP server may type references as strings, share objects by href and add
    fields twoco does not know: the client keeps what it cannot convert."""
    answer = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:order"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>
<ns1:getCustomerSubscriptionsResponse><return SOAP-ENC:arrayType="ns1:Subscription[2]" xsi:type="SOAP-ENC:Array">
 <item id="ref1" xsi:type="ns1:Subscription">
  <SubscriptionReference xsi:type="xsd:string">ABC</SubscriptionReference>
  <AvangateCustomerReference xsi:type="xsd:string">141589723</AvangateCustomerReference>
  <Product xsi:type="ns1:Product"><ProductId xsi:type="xsd:string">4586004</ProductId>
   <ProductQuantity xsi:type="xsd:int">n/a</ProductQuantity>
   <PriceOptionCodes SOAP-ENC:arrayType="xsd:string[0]" xsi:type="SOAP-ENC:Array"/></Product>
  <RecurringEnabled xsi:type="xsd:boolean">true</RecurringEnabled>
  <PurchaseDate xsi:type="xsd:string">2026-01-01</PurchaseDate>
  <Extra><Count xsi:type="xsd:int">3</Count><Ratio xsi:type="xsd:double">0.5</Ratio></Extra>
  <Lifetime xsi:nil="true"/>
 </item>
 <item href="#ref1"/>
</return></ns1:getCustomerSubscriptionsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"""
    result = read_answer(REGISTRY.lookup("4.0", "getCustomerSubscriptions"), 200, answer)
    expected = {
        "SubscriptionReference": "ABC",
        "AvangateCustomerReference": 141589723,
        "Product": {"ProductId": 4586004, "ProductQuantity": "n/a", "PriceOptionCodes": []},
        "RecurringEnabled": True,
        "PurchaseDate": "2026-01-01",
        "Extra": {"Count": 3, "Ratio": 0.5},
        "Lifetime": None,
    }
    assert result == [expected, expected]


def test_a_soap_fault_without_detail_takes_its_faultcode() -> None:
    fault = b"""<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>
<SOAP-ENV:Fault><faultcode>SOAP-ENV:FORBIDDEN</faultcode><faultstring>Invalid hash provided or session expired</faultstring>
</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"""
    with pytest.raises(TwoCheckoutError) as caught:
        read_answer(REGISTRY.lookup("6.0", "getSubscription"), 500, fault)
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "FORBIDDEN",
        "Invalid hash provided or session expired",
        500,
    )


def test_a_json_rpc_error_about_an_unreadable_request_is_still_an_api_error() -> None:
    answer = b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Malformed request: x", '
    answer += b'"data": {"error_code": "MALFORMED_REQUEST"}}}'
    with pytest.raises(TwoCheckoutError) as caught:
        jsonrpc.read_answer(200, answer, 7)
    assert (caught.value.code, caught.value.message) == ("MALFORMED_REQUEST", "Malformed request: x")
    with pytest.raises(TransportError, match="not a JSON-RPC answer"):
        jsonrpc.read_answer(200, b'{"jsonrpc": "2.0", "id": 8, "result": true}', 7)  # someone else's answer
    with pytest.raises(TwoCheckoutError) as caught:
        jsonrpc.read_answer(200, b'{"id": 7, "error": {"code": 10000, "message": "Forbidden area"}}', 7)
    assert caught.value.code == "10000"  # no data.error_code: the integer code is all there is


def _soap_answer(body: str) -> bytes:
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:order"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()


CYCLE = (
    '<ns1:getSubscriptionResponse><return href="#id1"/></ns1:getSubscriptionResponse><x id="id1"><y href="#id1"/></x>'
)
# Forty levels, each naming the next twice: 2**40 paths to the last element, from 81 elements.
FAN_OUT = (
    '<ns1:getSubscriptionResponse><return href="#l0"/></ns1:getSubscriptionResponse>'
    + "".join(f'<x id="l{level}"><a href="#l{level + 1}"/><b href="#l{level + 1}"/></x>' for level in range(40))
    + '<x id="l40">leaf</x>'
)


@pytest.mark.parametrize("hostile", [CYCLE, FAN_OUT], ids=["cycle", "fan-out"])
def test_soap_references_that_loop_or_fan_out_are_an_unexpected_response(hostile) -> None:
    """A hostile answer's hrefs are followed within a budget: TransportError, not RecursionError or a hang."""

    def answer(request: httpx.Request) -> httpx.Response:
        if "#login" in request.headers["SOAPAction"]:
            return httpx.Response(
                200, content=_soap_answer("<ns1:loginResponse><return>S1</return></ns1:loginResponse>")
            )
        return httpx.Response(200, content=_soap_answer(hostile))

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        client = Client("http://twoco.test", "CODE", "KEY", http=http)
        with pytest.raises(TransportError) as caught:
            client.get_subscription("A1B2C3D4E5")
    assert caught.value.code == "UNEXPECTED_RESPONSE" and caught.value.status == 200
    assert "href" in caught.value.message
