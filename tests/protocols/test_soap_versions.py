"""SOAP 3.0 and 5.0 through PHP's SoapClient and suds, reading each version's WSDL: the calls the
docs' samples of those versions make, and what differs from 4.0 and 6.0."""

from __future__ import annotations

import pytest

from tests.clients import CLIENTS, Fault, PhpClient, SoapClient, now_utc
from tests.data import customer_data, subscription_data


@pytest.fixture(params=[f"{name}-{version}" for name in sorted(CLIENTS) for version in ("3.0", "5.0")])
def client(request: pytest.FixtureRequest, server) -> SoapClient:
    name, version = request.param.split("-")
    return CLIENTS[name](server.base_url, version)


def fault_of(client: SoapClient, operation: str, *args: object) -> Fault:
    with pytest.raises(Fault) as caught:
        client.call(operation, *args)
    return caught.value


def test_login_as_each_versions_samples_sign(client, merchant) -> None:
    """3.0's sample signs with an MD5 HMAC and three parameters; 5.0's with sha256 and algo. MD5
    without algo still works on 5.0: it is 6.0 that requires algo and retires MD5."""
    assert len(client.login(merchant.code, merchant.secret)) == 32
    assert len(client.login(merchant.code, merchant.secret, "sha256")) == 32
    date = now_utc()
    assert fault_of(client, "login", merchant.code, date, "0" * 64, "sha256").code == "AUTHENTICATION_FAILED"


def test_customers_and_subscriptions(client, merchant) -> None:
    session = client.login(merchant.code, merchant.secret, "sha256" if client.version == "5.0" else None)
    reference = client.call("createCustomer", session, customer_data(ExternalCustomerReference=f"V-{client.version}"))
    customer = client.call("getCustomerInformation", session, reference, None)
    # 3.0 writes the reference as text, as 2Checkout's 3.0 output shows it ("141589723"); 5.0 as an int.
    assert customer["AvangateCustomerReference"] == (str(reference) if client.version == "3.0" else reference)
    assert customer["CountryCode"] == "gb"
    assert "Credit" not in customer  # 6.0's only
    assert client.call("getCustomerInformation", session, 0, f"V-{client.version}") == customer
    customer["City"] = "Paris"  # the docs' way: read, change, send back
    assert client.call("updateCustomerInformation", session, customer, False) is True

    first = client.call("addSubscription", session, subscription_data(reference, f"V-{client.version}-1"))
    if client.version == "5.0":
        test = client.call("addSubscription", session, subscription_data(reference, "V-5-TEST"), 1)
        assert client.call("getSubscription", session, test)["TestSubscription"] is True
        listed = client.call("getSubscriptions", session, [test, first])
        assert [s["SubscriptionReference"] for s in listed] == [test, first]
    else:
        listed = client.call("getSubscriptions", session, [first, "0000000000"])
        assert [s["SubscriptionReference"] for s in listed] == [first]
    assert listed[-1]["EndUser"]["CountryCode"] == "ro"
    product = {"ProductCode": "P", "ProductId": 4586004}
    by_id = client.call(
        "getSubscription",
        session,
        client.call(
            "addSubscription", session, subscription_data(reference, f"V-{client.version}-ID", Product=product)
        ),
    )
    as_text = client.version == "3.0"  # as 2Checkout's recorded 3.0 getSubscription output: "ProductId": "4586004"
    assert by_id["Product"]["ProductId"] == ("4586004" if as_text else 4586004)
    assert by_id["AvangateCustomerReference"] == (str(reference) if as_text else reference)
    assert client.call("getCustomerInformation", session, reference, None)["Enabled"] is True


def test_5_0_search_and_update(server, merchant) -> None:
    """searchSubscriptions with the 5.0 Pagination object, and updateSubscription as the 5.0
    "Update and assign a subscription" sample does it (read, change AvangateCustomerReference, send)."""
    for client in (PhpClient(server.base_url, "5.0"), CLIENTS["suds"](server.base_url, "5.0")):
        session = client.login(merchant.code, merchant.secret, "sha256")
        owner = client.call("createCustomer", session, customer_data(ExternalCustomerReference=f"S5-{client.name}"))
        target = client.call("createCustomer", session, customer_data())
        made = [
            client.call("addSubscription", session, subscription_data(owner, f"S5-{client.name}-{n}")) for n in range(3)
        ]
        search = {"ExternalCustomerReference": f"S5-{client.name}", "Pagination": {"Page": 2, "Limit": 2}}
        found = client.call("searchSubscriptions", session, search)
        assert found["Pagination"] == {"Page": 2, "Limit": 2, "Count": 3}
        assert [s["SubscriptionReference"] for s in found["Items"]] == sorted(made)[2:]

        retrieved = client.call("getSubscription", session, made[0])
        retrieved["AvangateCustomerReference"] = target
        assert client.call("updateSubscription", session, retrieved) is True
        assert client.call("getSubscription", session, made[0])["AvangateCustomerReference"] == target
        missing = fault_of(client, "updateSubscription", session, {**retrieved, "SubscriptionReference": "0000000000"})
        assert missing.code == "SUBSCRIPTION_NOT_FOUND"


def test_3_0_has_no_later_operations(server, merchant) -> None:
    php = PhpClient(server.base_url, "3.0")
    session = php.login(merchant.code, merchant.secret)
    for operation in ("searchSubscriptions", "updateSubscription", "searchCustomers"):
        with pytest.raises(Fault) as unknown:
            php.call_untyped(operation, sessionID=session, SearchBy={})
        assert unknown.value.code == "UNKNOWN_OPERATION", operation
    with pytest.raises(Fault) as too_many:  # no Test parameter before 5.0
        php.call_untyped("addSubscription", sessionID=session, Subscription={}, Test=1)
    assert too_many.value.code == "INVALID_PARAMETERS"
