"""As strict as 2Checkout, no stricter: what its own samples and SDKs send is accepted.

Unknown fields are ignored (and listed in the request journal), loose scalars are read as
2Checkout's PHP backend reads them, and ``serve --strict-fields`` keeps the old refusal.
The request bodies below are 2Checkout's published samples, changed only in references.
"""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.clients import Fault, PhpClient, now_utc
from tests.data import customer_data
from tests.servers import start_server, stop_server, store_with_merchants
from twoco.core.auth import login_hash

_ids = itertools.count(1)


def rpc(server, version: str, method: str, *params: object) -> dict:
    body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)}
    return server.post(f"/rpc/{version}/", json=body).json()


def rpc_session(server, merchant, version: str = "6.0") -> str:
    date = now_utc()
    algo = "sha256" if version == "6.0" else "md5"
    return rpc(
        server, version, "login", merchant.code, date, login_hash(merchant.secret, merchant.code, date, algo), algo
    )["result"]


def rest_headers(code: str, secret: str) -> dict[str, str]:
    date = now_utc()
    digest = login_hash(secret, code, date, "sha256")
    return {"X-Avangate-Authentication": f'code="{code}" date="{date}" hash="{digest}" algo="sha256"'}


def customer_envelope(session: str, extra: str) -> bytes:
    """A createCustomer request as a hand-written client might send it, with ``extra`` in the Customer."""
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in customer_data().items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:ns1="urn:order"><SOAP-ENV:Body><ns1:createCustomer>'
        f"<sessionID>{session}</sessionID><Customer>{fields}{extra}</Customer>"
        "</ns1:createCustomer></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()


def last_journal_entry(server) -> dict:
    return server.get("/_twoco/requests", params={"limit": "1"}).json()["requests"][0]


# The body of 2Checkout/2checkout-python-sdk examples/subscription.py, as its SDK posts it.
PYTHON_SDK_SUBSCRIPTION = {
    "CustomPriceBillingCyclesLeft": 2,
    "DeliveryInfo": {"Codes": [{"Code": "___TEST___CODE____"}]},
    "EndUser": {
        "Address1": "Test Address", "Address2": "", "City": "LA", "Company": "", "CountryCode": "us",
        "Email": "customer@2Checkout.com", "Fax": "", "FirstName": "Customer", "Language": "en",
        "LastName": "2Checkout", "Phone": "", "State": "CA", "Zip": "12345",
    },
    "ExpirationDate": "2015-12-16",
    "ExternalSubscriptionReference": "ThisIsYourUniqueIdentifier123",
    "NextRenewalPrice": 49.99,
    "NextRenewalPriceCurrency": "usd",
    "PartnerCode": "",
    "Payment": {
        "CCID": "123", "CardNumber": "4111111111111111", "CardType": "VISA",
        "ExpirationMonth": "12", "ExpirationYear": "2018", "HolderName": "John Doe",
    },
    "Product": {
        "PriceOptionCodes": ["addon-1_1_annually"], "ProductCode": "my_subscription_1", "ProductId": "24584760",
        "ProductName": "2Checkout Subscription", "ProductQuantity": 1, "ProductVersion": "",
    },
    "StartDate": "2015-02-16",
    "SubscriptionValue": 199,
    "SubscriptionValueCurrency": "usd",
    "Test": 1,
}  # fmt: skip

# avangate/avangate-php-rest-code-samples subscriptions/AddSubscription.php, as json_encode writes it.
PHP_REST_SUBSCRIPTION = {
    "StartDate": "2015-01-01",
    "ExpirationDate": "2020-01-01",
    "LicenseHistory": None,
    "LicenseStatus": "ACTIVE",
    "RecurringEnabled": "YES",
    "EndUser": {
        "FirstName": "John", "LastName": "Doe", "Company": "Company", "Email": "john.doe@avangate.com",
        "Phone": "0123456789", "Fax": "9876543210", "Address1": "address1", "Address2": "address2",
        "Zip": "12345", "City": "Bucharest", "State": "State", "CountryCode": "GB", "Language": "RO",
    },
    "ActivationInfo": {"Codes": {"Code": 512, "Description": "-", "File": "", "Extrainfo": []}, "Description": "-"},
    "ExternalSubscriptionReference": 512,
    "Product": {
        "ProductId": 4586004, "ProductName": "APRODUCT", "ProductCode": "", "ProductVersion": "1",
        "ProductQuantity": 1, "PriceOptionCodes": [],
    },
    "NextRenewalPrice": 100,
    "NextRenewalPriceCurrency": "USD",
    "CustomPriceBillingCyclesLeft": 100,
}  # fmt: skip


def test_the_python_sdks_subscription_import_works_over_rest(app_server, merchant) -> None:
    headers = rest_headers(merchant.code, merchant.secret)
    created = app_server.post("/rest/6.0/subscriptions/", json=PYTHON_SDK_SUBSCRIPTION, headers=headers)
    assert created.status_code == 200, created.text
    assert last_journal_entry(app_server)["ignored_fields"] == ["Subscription.Payment"]
    reference = created.json()
    path = f"/rest/6.0/subscriptions/{reference}/"
    got = app_server.get(path, headers=rest_headers(merchant.code, merchant.secret)).json()
    assert got["SubscriptionReference"] == reference and got["TestSubscription"] is True
    assert got["Product"]["ProductId"] == 24584760
    assert (got["NextRenewalPrice"], got["NextRenewalPriceCurrency"]) == (49.99, "USD")
    assert (got["SubscriptionValue"], got["CustomPriceBillingCyclesLeft"]) == (199.0, 2)
    assert got["DeliveryInfo"]["Codes"][0]["Code"] == "___TEST___CODE____"
    assert "Payment" not in got and "Test" not in got
    # It named no customer: one was made from its EndUser, as 2Checkout makes one.
    customer = rpc(
        app_server, "6.0", "getCustomerInformation", rpc_session(app_server, merchant), got["AvangateCustomerReference"]
    )
    assert (customer["result"]["FirstName"], customer["result"]["Email"]) == ("Customer", "customer@2Checkout.com")


def test_the_php_rest_samples_subscription_import_works(app_server, merchant) -> None:
    """At the sample's own base (REST 3.0 at /3.0/): 201, and the new subscription at Location."""
    headers = rest_headers(merchant.code, merchant.secret)
    created = app_server.post("/3.0/subscriptions/", json=PHP_REST_SUBSCRIPTION, headers=headers)
    assert created.status_code == 201, created.text
    assert sorted(last_journal_entry(app_server)["ignored_fields"]) == [
        "Subscription.ActivationInfo", "Subscription.LicenseHistory", "Subscription.LicenseStatus",
    ]  # fmt: skip
    got = app_server.get(created.headers["location"], headers=rest_headers(merchant.code, merchant.secret)).json()
    assert (got["StartDate"], got["RecurringEnabled"], got["ExternalSubscriptionReference"]) == (
        "2015-01-01",
        True,
        "512",
    )
    assert (got["SKU"], got["PartnerCode"]) == ("", "")  # as 2Checkout's recorded output shows them


def test_the_php_soap_samples_subscription_import_works_through_soapclient(server, merchant) -> None:
    """avangate/avangate-php-soap-code-samples Subscriptions/Create/add-subscription.php: no customer, ProductId only."""
    php = PhpClient(server.base_url)
    session = php.login(merchant.code, merchant.secret)
    sample = {
        **PHP_REST_SUBSCRIPTION,
        "ExternalSubscriptionReference": 513,
        "EndUser": {**PHP_REST_SUBSCRIPTION["EndUser"], "CountryCode": "RO", "Language": "ro"},
    }
    reference = php.call("addSubscription", session, sample)
    assert isinstance(reference, str) and len(reference) == 10
    got = php.call("getSubscription", session, reference)
    assert got["EndUser"]["CountryCode"] == "ro" and isinstance(got["AvangateCustomerReference"], int)
    assert got["DeliveryInfo"] == {
        "Description": "",
        "Codes": [{"Code": None, "File": None, "Description": "", "ExtraInfo": None}],
    }
    assert (got["SKU"], got["PartnerCode"], got["ExternalCustomerReference"]) == ("", "", None)


def test_the_json_rpc_import_sample_works(app_server, merchant) -> None:
    """The JSON-RPC 4.0 docs' import sample: SubscriptionCode = NULL, ProductVersion 1.0, an empty EndUser Email."""
    session = rpc_session(app_server, merchant, "4.0")
    sample = {
        "ExternalSubscriptionReference": "12345678912ImportedSubscription",
        "SubscriptionCode": None,
        "StartDate": "2013-01-01",
        "ExpirationDate": "2017-12-30",
        "Product": {
            "ProductCode": "my_subscription_1", "ProductId": 4639321, "ProductName": "2Checkout Subscription Imported",
            "ProductVersion": 1.0, "ProductQuantity": 3, "PriceOptionCodes": [],
        },
        "EndUser": {
            "Address1": "Address line 1", "Address2": "Address line 2", "City": "LA", "Company": "Company Name",
            "CountryCode": "US", "Email": "", "FirstName": "Customer", "Language": "en", "LastName": "2Checkout",
            "Phone": "1234567890", "State": "California", "Fax": None, "Zip": "90210",
        },
        "ExternalCustomerReference": "12354678ExtCustRef",
    }  # fmt: skip
    answer = rpc(app_server, "4.0", "addSubscription", session, sample)
    assert "result" in answer, answer
    got = rpc(app_server, "4.0", "getSubscription", session, answer["result"])["result"]
    assert (got["ExternalCustomerReference"], got["Product"]["ProductVersion"]) == ("12354678ExtCustRef", "1")
    assert last_journal_entry(app_server)["ignored_fields"] == []
    owner = rpc(app_server, "4.0", "getCustomerInformation", session, None, "12354678ExtCustRef")["result"]
    assert owner["AvangateCustomerReference"] == got["AvangateCustomerReference"]


def test_a_customer_reference_sent_as_text_names_the_customer(app_server, merchant) -> None:
    """The 6.0 docs sample sends the reference as '1111'."""
    session = rpc_session(app_server, merchant)
    reference = rpc(app_server, "6.0", "createCustomer", session, customer_data())["result"]
    assert (
        rpc(app_server, "6.0", "getCustomerInformation", session, str(reference))["result"]["AvangateCustomerReference"]
        == reference
    )
    assert (
        rpc(app_server, "6.0", "getCustomerInformation", session, "1111")["error"]["data"]["error_code"]
        == "CUSTOMER_NOT_FOUND"
    )
    assert (
        rpc(app_server, "6.0", "getCustomerInformation", session, "eleven")["error"]["data"]["error_code"]
        == "INVALID_PARAMETERS"
    )


def test_soap_ignores_elements_it_does_not_know_and_the_journal_lists_them(server, merchant) -> None:
    php = PhpClient(server.base_url)
    envelope = customer_envelope(php.login(merchant.code, merchant.secret), "<Nickname>Maria</Nickname>")
    reference = php.call_raw("createCustomer", envelope)
    assert isinstance(reference, int)
    assert last_journal_entry(server)["ignored_fields"] == ["Customer.Nickname"]


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("strict")
    db = store_with_merchants(f"sqlite:///{tmp}/strict.sqlite3", {"STRICT": "strict-secret"})
    server = start_server(tmp, db, "--strict-fields")
    yield server
    stop_server(server)


def test_strict_fields_refuses_unknown_fields_on_every_protocol(strict_server) -> None:
    class Strict:
        code, secret = "STRICT", "strict-secret"

    session = rpc_session(strict_server, Strict)
    refused = rpc(strict_server, "6.0", "createCustomer", session, customer_data(Nickname="Maria"))["error"]
    assert refused["data"]["error_code"] == "INVALID_PARAMETERS" and "Nickname" in refused["message"]
    rest = httpx.post(
        f"{strict_server.base_url}/rest/6.0/customers/", json=customer_data(Nickname="Maria"),
        headers=rest_headers(Strict.code, Strict.secret), timeout=30,
    )  # fmt: skip
    assert (rest.status_code, rest.json()["error_code"]) == (400, "INVALID_PARAMETERS")
    php = PhpClient(strict_server.base_url)
    with pytest.raises(Fault) as caught:
        php.call_raw(
            "createCustomer", customer_envelope(php.login(Strict.code, Strict.secret), "<Nickname>Maria</Nickname>")
        )
    assert caught.value.code == "INVALID_PARAMETERS" and "Nickname" in caught.value.message
