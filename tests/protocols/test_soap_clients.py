"""Every SOAP 4.0 operation and fault, through PHP's SoapClient and through suds, against a running server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.clients import Fault, PhpClient, now_utc
from tests.data import customer_data, product_data, subscription_data
from twoco.core.auth import login_hash
from twoco.domains.customers.schema import END_USER_FIELDS


def fault_of(client, operation: str, *args: object) -> Fault:
    with pytest.raises(Fault) as caught:
        client.call(operation, *args)
    return caught.value


# --- login and sessions --------------------------------------------------------------


@pytest.mark.parametrize("algo", [None, "md5", "sha256", "sha3-256"])
def test_login_returns_a_session_id(client, merchant, algo) -> None:
    session = client.login(merchant.code, merchant.secret, algo)
    assert re.fullmatch(r"[0-9a-f]{32}", session), session
    # It works: the call gets past the session to the lookup (INVALID_SESSION otherwise).
    assert fault_of(client, "getCustomerInformation", session, 1, None).code == "CUSTOMER_NOT_FOUND"


def test_login_faults(client, merchant) -> None:
    date = now_utc()
    good = login_hash(merchant.secret, merchant.code, date)
    assert fault_of(client, "login", merchant.code, date, "0" * 32).code == "AUTHENTICATION_FAILED"
    assert fault_of(client, "login", "NO_SUCH_MERCHANT", date, good).code == "AUTHENTICATION_FAILED"
    assert fault_of(client, "login", merchant.code, "13/05/2010 12:12", good).code == "INVALID_LOGIN_DATE"
    assert fault_of(client, "login", merchant.code, date, good, "sha1").code == "UNSUPPORTED_HASH_ALGORITHM"
    stale = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    fault = fault_of(client, "login", merchant.code, stale, login_hash(merchant.secret, merchant.code, stale))
    assert fault.code == "LOGIN_DATE_OUT_OF_RANGE"
    assert "300 seconds" in fault.message


def test_invalid_and_expired_sessions_fault_differently(server, client, session) -> None:
    assert fault_of(client, "getCustomerInformation", "0" * 32, 1, None).code == "INVALID_SESSION"
    assert fault_of(client, "getCustomerInformation", "not a session", 1, None).code == "INVALID_SESSION"
    reference = client.call("createCustomer", session, customer_data())
    server.move_clock(advance=590)  # 10 s short of the TTL: slack for slow client processes
    try:
        assert client.call("getCustomerInformation", session, reference, None)["AvangateCustomerReference"] == reference
        server.move_clock(advance=10)
        assert fault_of(client, "getCustomerInformation", session, reference, None).code == "FORBIDDEN"
    finally:
        server.move_clock(reset=True)


# --- customers -----------------------------------------------------------------------


def test_create_and_read_by_each_reference(client, session) -> None:
    reference = client.call("createCustomer", session, customer_data(ExternalCustomerReference="EXT-1"))
    assert isinstance(reference, int) and 100_000_000 <= reference <= 999_999_999

    by_internal = client.call("getCustomerInformation", session, reference, None)
    by_external = client.call("getCustomerInformation", session, 0, "EXT-1")
    by_both = client.call("getCustomerInformation", session, reference, "EXT-1")

    assert by_internal == by_external == by_both
    assert by_internal["AvangateCustomerReference"] == reference
    assert by_internal["CountryCode"] == "gb"
    assert by_internal["Company"] == "Analytical Engines" and by_internal["FiscalCode"] is None
    assert by_internal["Enabled"] is False and by_internal["Trial"] is False
    assert by_internal["ExistingCards"] == []
    assert list(by_internal)[:3] == ["AvangateCustomerReference", "ExternalCustomerReference", "FirstName"]


def test_customer_reference_faults(client, session) -> None:
    first = client.call("createCustomer", session, customer_data(ExternalCustomerReference="REF-A"))
    client.call("createCustomer", session, customer_data(ExternalCustomerReference="REF-B"))
    assert fault_of(client, "getCustomerInformation", session, first, "REF-B").code == "CUSTOMER_REFERENCE_MISMATCH"
    assert fault_of(client, "getCustomerInformation", session, 123456789, None).code == "CUSTOMER_NOT_FOUND"
    assert fault_of(client, "getCustomerInformation", session, None, "NOPE").code == "CUSTOMER_NOT_FOUND"
    assert fault_of(client, "getCustomerInformation", session, None, None).code == "CUSTOMER_REFERENCE_REQUIRED"
    duplicate = fault_of(client, "createCustomer", session, customer_data(ExternalCustomerReference="REF-A"))
    assert duplicate.code == "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"FirstName": None}, "MISSING_REQUIRED_FIELD", "FirstName"),
        ({"Email": ""}, "MISSING_REQUIRED_FIELD", "Email"),
        ({"CountryCode": "XX"}, "INVALID_COUNTRY_CODE", "CountryCode"),
        ({"Language": "english"}, "INVALID_LANGUAGE", "Language"),
        ({"Email": "not-an-email"}, "INVALID_EMAIL", "Email"),
        ({"FiscalCode": "RO123", "Company": None}, "FISCAL_CODE_REQUIRES_COMPANY", "FiscalCode"),
        ({"City": "x" * 256}, "FIELD_TOO_LONG", "City"),
    ],
)
def test_validation_faults_name_the_field_and_change_nothing(client, session, change, code, field) -> None:
    fault = fault_of(client, "createCustomer", session, customer_data(**change))
    assert (fault.code, field in fault.message) == (code, True)

    reference = client.call("createCustomer", session, customer_data())
    before = client.call("getCustomerInformation", session, reference, None)
    fault = fault_of(client, "updateCustomerInformation", session, {"AvangateCustomerReference": reference, **change})
    assert fault.code == code
    assert client.call("getCustomerInformation", session, reference, None) == before


def test_update_keeps_absent_fields_and_replaces_present_ones(client, session) -> None:
    reference = client.call("createCustomer", session, customer_data())
    changed = client.call(
        "updateCustomerInformation",
        session,
        {"AvangateCustomerReference": reference, "Email": "new@example.com", "Phone": None, "Enabled": True},
        False,
    )
    assert changed is True
    after = client.call("getCustomerInformation", session, reference, None)
    assert after["Email"] == "new@example.com"
    assert after["Phone"] is None  # sent as nil: cleared
    assert after["Company"] == "Analytical Engines" and after["City"] == "London"  # absent: kept
    assert after["Enabled"] is False  # derived, never taken from input


def test_update_the_read_object_back(client, session) -> None:
    """The documented pattern: read, change a field, send the whole object back."""
    reference = client.call("createCustomer", session, customer_data(ExternalCustomerReference="ROUND-TRIP"))
    customer = client.call("getCustomerInformation", session, reference, "ROUND-TRIP")
    customer["LastName"] = "King"
    assert client.call("updateCustomerInformation", session, customer, None) is True
    assert client.call("getCustomerInformation", session, reference, None) == {**customer, "LastName": "King"}


def test_update_faults_on_references(client, session) -> None:
    first = client.call("createCustomer", session, customer_data(ExternalCustomerReference="U-1"))
    client.call("createCustomer", session, customer_data(ExternalCustomerReference="U-2"))
    mismatch = {"AvangateCustomerReference": first, "ExternalCustomerReference": "U-2", "City": "Paris"}
    assert fault_of(client, "updateCustomerInformation", session, mismatch).code == "CUSTOMER_REFERENCE_MISMATCH"
    missing = {"AvangateCustomerReference": 999999999, "City": "Paris"}
    assert fault_of(client, "updateCustomerInformation", session, missing).code == "CUSTOMER_NOT_FOUND"
    assert client.call("getCustomerInformation", session, first, None)["City"] == "London"


# --- subscriptions and the end-user push -----------------------------------------------


def end_users(client, session: str, customer: int) -> dict[str, dict]:
    subscriptions = client.call("getCustomerSubscriptions", session, customer, None)
    return {s["SubscriptionReference"]: s["EndUser"] for s in subscriptions}


@pytest.mark.parametrize("push", [True, False, None])
def test_end_user_push(client, session, push) -> None:
    owner = client.call("createCustomer", session, customer_data())
    neighbour = client.call("createCustomer", session, customer_data(FirstName="Charles"))
    for index in range(3):
        client.call("addSubscription", session, subscription_data(owner, f"OWN-{index}"))
    for index in range(2):
        client.call("addSubscription", session, subscription_data(neighbour, f"NEI-{index}"))
    owner_before, neighbour_before = end_users(client, session, owner), end_users(client, session, neighbour)

    update = {"AvangateCustomerReference": owner, "Email": "pushed@example.com", "State": "Greater London"}
    assert client.call("updateCustomerInformation", session, update, push) is True

    customer = client.call("getCustomerInformation", session, owner, None)
    owner_after = end_users(client, session, owner)
    assert len(owner_after) == 3
    if push:
        expected = {name: customer[name] for name in END_USER_FIELDS}
        assert all(end_user == expected for end_user in owner_after.values())
        assert expected["Email"] == "pushed@example.com" and expected["CountryCode"] == "gb"
    else:
        assert owner_after == owner_before
    assert end_users(client, session, neighbour) == neighbour_before


def test_subscription_operations(client, session) -> None:
    owner = client.call("createCustomer", session, customer_data(ExternalCustomerReference="SUB-OWNER"))
    other = client.call("createCustomer", session, customer_data(ExternalCustomerReference="SUB-OTHER"))
    reference = client.call("addSubscription", session, subscription_data(owner, "SUB-1", IsTrial=True))
    assert len(reference) == 10 and reference == reference.upper()

    subscription = client.call("getSubscription", session, reference)
    assert subscription["AvangateCustomerReference"] == owner
    assert subscription["ExternalCustomerReference"] == "SUB-OWNER"
    assert subscription["SubscriptionEnabled"] is True and subscription["RecurringEnabled"] is False
    assert subscription["Product"]["ProductCode"] == "PRO" and subscription["Product"]["ProductQuantity"] == 2
    assert subscription["EndUser"]["CountryCode"] == "ro"
    customer = client.call("getCustomerInformation", session, owner, None)
    assert (customer["Enabled"], customer["Trial"]) == (True, True)

    assert client.call("updateSubscriptionEndUser", session, reference, {"Company": "Acme", "City": "Cluj"}) is True
    end_user = client.call("getSubscription", session, reference)["EndUser"]
    assert (end_user["Company"], end_user["City"], end_user["FirstName"]) == ("Acme", "Cluj", "End")

    assert client.call("setSubscriptionCustomer", session, reference, None, "SUB-OTHER") is True
    assert client.call("getCustomerSubscriptions", session, owner, None) == []
    moved = client.call("getCustomerSubscriptions", session, other, None)
    assert [s["SubscriptionReference"] for s in moved] == [reference]
    assert client.call("getCustomerInformation", session, owner, None)["Enabled"] is False


def test_subscription_faults(client, session) -> None:
    owner = client.call("createCustomer", session, customer_data())
    client.call("addSubscription", session, subscription_data(owner, "DUP"))
    assert fault_of(client, "getSubscription", session, "0000000000").code == "SUBSCRIPTION_NOT_FOUND"
    duplicate = fault_of(client, "addSubscription", session, subscription_data(owner, "DUP"))
    assert duplicate.code == "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE"
    bad_date = fault_of(client, "addSubscription", session, subscription_data(owner, "D2", StartDate="2026-13-01"))
    assert (bad_date.code, "StartDate" in bad_date.message) == ("INVALID_FIELD_VALUE", True)
    no_owner = subscription_data(999999999, "D3")
    assert fault_of(client, "addSubscription", session, no_owner).code == "CUSTOMER_NOT_FOUND"
    bad_end_user = fault_of(client, "updateSubscriptionEndUser", session, "0000000000", {"City": "x"})
    assert bad_end_user.code == "SUBSCRIPTION_NOT_FOUND"
    assert (
        fault_of(client, "setSubscriptionCustomer", session, "0000000000", owner, None).code == "SUBSCRIPTION_NOT_FOUND"
    )
    assert len(client.call("getCustomerSubscriptions", session, owner, None)) == 1


# --- merchant isolation ----------------------------------------------------------------


def test_another_merchants_references_behave_as_nonexistent(client, merchant_factory) -> None:
    alice, mallory = merchant_factory(), merchant_factory()
    alice_session = client.login(alice.code, alice.secret)
    mallory_session = client.login(mallory.code, mallory.secret)
    customer = client.call("createCustomer", alice_session, customer_data(ExternalCustomerReference="ALICE-1"))
    subscription = client.call("addSubscription", alice_session, subscription_data(customer, "ALICE-S1"))
    before = client.call("getCustomerInformation", alice_session, customer, None)
    before_subscription = client.call("getSubscription", alice_session, subscription)

    def code(operation: str, *args: object) -> str:
        return fault_of(client, operation, mallory_session, *args).code

    calls = [
        ("getCustomerInformation", (customer, None), (123456780, None)),
        ("getCustomerInformation", (None, "ALICE-1"), (None, "NOBODY")),
        ("updateCustomerInformation", ({"AvangateCustomerReference": customer, "City": "X"}, True),
         ({"AvangateCustomerReference": 123456780, "City": "X"}, True)),
        ("getCustomerSubscriptions", (customer, None), (123456780, None)),
        ("getSubscription", (subscription,), ("FFFFFFFFFF",)),
        ("updateSubscriptionEndUser", (subscription, {"City": "X"}), ("FFFFFFFFFF", {"City": "X"})),
        ("setSubscriptionCustomer", (subscription, customer, None), ("FFFFFFFFFF", customer, None)),
        ("addSubscription", (subscription_data(customer, "M-1"),), (subscription_data(123456780, "M-1"),)),
    ]  # fmt: skip
    for operation, theirs, nonexistent in calls:
        assert code(operation, *theirs) == code(operation, *nonexistent), operation

    assert client.call("getCustomerInformation", alice_session, customer, None) == before
    assert client.call("getSubscription", alice_session, subscription) == before_subscription


# --- requests a WSDL-mode client would not send ----------------------------------------


def test_unknown_operation_and_wrong_parameters_through_php(server, merchant) -> None:
    php = PhpClient(server.base_url)
    session = php.login(merchant.code, merchant.secret)
    with pytest.raises(Fault) as unknown:
        php.call_untyped("deleteCustomer", sessionID=session)
    assert unknown.value.code == "UNKNOWN_OPERATION"
    with pytest.raises(Fault) as wrong_type:
        php.call_untyped(
            "getCustomerInformation", sessionID=session, AvangateCustomerReference="abc", ExternalCustomerReference=None
        )
    assert wrong_type.value.code == "INVALID_PARAMETERS"
    assert "AvangateCustomerReference" in wrong_type.value.message
    with pytest.raises(Fault) as too_many:
        php.call_untyped("getSubscription", sessionID=session, SubscriptionReference="A", Extra="B")
    assert too_many.value.code == "INVALID_PARAMETERS"
    with pytest.raises(Fault) as case_sensitive:
        php.call_untyped("GetSubscription", sessionID=session, SubscriptionReference="A")
    assert case_sensitive.value.code == "UNKNOWN_OPERATION"


# --- the catalogue ---------------------------------------------------------------------


def test_a_product_without_a_category_reads_false(client, session) -> None:
    """The recorded SOAP 3.0 answer, as PHP decodes it, has "ProductCategory": false: twoco writes an
    xsd:boolean false there, and each client reads it without choking on the WSDL's string."""
    assert client.call("addProduct", session, {"ProductCode": "SOAP-NOCAT", "ProductName": "No category"}) is True
    assert client.call("getProductByCode", session, "SOAP-NOCAT")["ProductCategory"] is False


def test_a_product_with_its_nested_objects(client, session) -> None:
    """addProduct with pricing configurations, prices, subscription terms and translations, read back
    whole: SOAP carries Translations as an array (JSON keys them by language)."""
    assert client.call("addProduct", session, product_data("SOAP-1", ProductCategory="Tools")) is True
    product = client.call("getProductByCode", session, "SOAP-1")
    assert isinstance(product["AvangateId"], int) and 1_000_000 <= product["AvangateId"] <= 9_999_999
    assert (product["ProductCode"], product["ProductName"], product["ProductCategory"]) == (
        "SOAP-1", "Engine SOAP-1", "Tools",
    )  # fmt: skip
    (configuration,) = product["PricingConfigurations"]
    assert configuration["Code"] != "SENT-CODE" and len(configuration["Code"]) == 10
    assert configuration["BillingCountries"] == ["RO", "GB"] and configuration["DefaultCurrency"] == "EUR"
    regular = [
        (p["Amount"], p["Currency"], p["MinQuantity"], p["MaxQuantity"]) for p in configuration["Prices"]["Regular"]
    ]
    assert regular == [(99.5, "EUR", 1, 9), (89.0, "USD", 10, 99999)]
    (renewal,) = configuration["Prices"]["Renewal"]
    assert (renewal["Amount"], renewal["Currency"]) == (49.0, "EUR")
    terms = product["SubscriptionInformation"]
    assert (terms["BillingCycle"], terms["BillingCycleUnits"], terms["IsOneTimeFee"]) == (12, "M", False)
    assert isinstance(product["Translations"], list)
    (translation,) = product["Translations"]
    assert (translation["Language"], translation["Name"], translation["Description"]) == (
        "ES",
        "Motor",
        "Calcula tablas",
    )
    assert client.call("getProductById", session, product["AvangateId"]) == product

    found = client.call("searchProducts", session, {"Name": "soap-1", "Types": ["REGULAR"], "Enabled": True})
    assert [p["ProductCode"] for p in found] == ["SOAP-1"] and found[0] == product  # 4.0: a bare array
    assert client.call("searchProducts", session, {"Codes": ["NOWHERE"]}) == []
    assert client.call("getPricingConfigurations", session, "SOAP-1") == product["PricingConfigurations"]

    assert client.call("updateProduct", session, {"ProductCode": "SOAP-1", "ShortDescription": "Changed"}) is True
    assert client.call("getProductByCode", session, "SOAP-1")["ShortDescription"] == "Changed"
    assert client.call("setProductStatus", session, "SOAP-1", False, None, None) is True
    assert client.call("getProductByCode", session, "SOAP-1")["Enabled"] is False


def test_product_faults_through_soap_clients(client, session) -> None:
    client.call("addProduct", session, {"ProductCode": "SOAP-DUP", "ProductName": "First"})
    duplicate = fault_of(client, "addProduct", session, {"ProductCode": "SOAP-DUP", "ProductName": "Again"})
    assert duplicate.code == "DUPLICATE_PRODUCT_CODE"
    bad = {"ProductCode": "SOAP-BAD", "ProductName": "Bad", "PricingConfigurations": [{"PriceType": "VAT"}]}
    invalid = fault_of(client, "addProduct", session, bad)
    assert (invalid.code, "PriceType" in invalid.message) == ("INVALID_FIELD_VALUE", True)
    assert fault_of(client, "getProductByCode", session, "SOAP-BAD").code == "PRODUCT_NOT_FOUND"
    assert fault_of(client, "getAvailableCurrencies", session, "RO", None).code == "INVALID_PARAMETERS"
    assert client.call("getAvailableCurrencies", session, None, None) == ["eur", "gbp", "usd"]
    assert client.call("addProductGroup", session, {"Name": "Soap Group"}) == "SOAPGROUP"
    assert [g["Name"] for g in client.call("getProductGroups", session)] == ["General", "Soap Group"]
