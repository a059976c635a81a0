"""SOAP 6.0 through PHP's SoapClient: sha256 logins, MD5 retired, Credit, IncludePaymentData."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.clients import Fault, PhpClient, now_utc
from twoco.core.auth import login_hash

WSDL = {"w": "http://schemas.xmlsoap.org/wsdl/", "xsd": "http://www.w3.org/2001/XMLSchema"}


@pytest.fixture
def php6(server) -> PhpClient:
    return PhpClient(server.base_url, "6.0")


def test_wsdl_6_0(server) -> None:
    wsdl = etree.fromstring(server.get("/soap/6.0/?wsdl").content)
    parts = wsdl.xpath("//w:message[@name='getCustomerInformationInput']/w:part/@name", namespaces=WSDL)
    assert parts == ["sessionID", "CustomerReference", "ExternalCustomerReference", "IncludePaymentData"]
    customer = wsdl.xpath("//xsd:complexType[@name='Customer']//xsd:element/@name", namespaces=WSDL)
    assert customer[-1] == "Credit"
    assert wsdl.xpath("//w:port/*/@location", namespaces=WSDL) == [f"{server.base_url}/soap/6.0/"]


def test_login_needs_a_sha_hash(php6, merchant) -> None:
    assert len(php6.login(merchant.code, merchant.secret, "sha3-256")) == 32
    with pytest.raises(Fault) as md5:
        php6.login(merchant.code, merchant.secret, "md5")
    assert md5.value.code == "MD5_RETIRED"
    date = now_utc()
    with pytest.raises(Fault) as three_arguments:
        php6.call("login", merchant.code, date, login_hash(merchant.secret, merchant.code, date))
    assert three_arguments.value.code == "INVALID_PARAMETERS"
    assert "algo" in three_arguments.value.message


def test_credit_round_trip(php6, merchant) -> None:
    session = php6.login(merchant.code, merchant.secret, "sha256")
    customer = {
        "ExternalCustomerReference": "CREDIT-1", "FirstName": "Ada", "LastName": "L", "Address1": "1", "City": "L",
        "Zip": "1", "CountryCode": "us", "Email": "a@b.us", "Credit": {"Limit": 51.0, "Remaining": 21.0, "Currency": "EUR"},
    }  # fmt: skip
    reference = php6.call("createCustomer", session, customer)
    read = php6.call("getCustomerInformation", session, reference, None, True)
    assert read["Credit"] == {"Limit": 51, "Remaining": 21, "Currency": "EUR"}
    read["Credit"]["Remaining"] = 7.5
    assert php6.call("updateCustomerInformation", session, read, False) is True
    assert php6.call("getCustomerInformation", session, 0, "CREDIT-1", False)["Credit"]["Remaining"] == 7.5

    php4 = PhpClient(php6.base_url, "4.0")
    session4 = php4.login(merchant.code, merchant.secret)
    read4 = php4.call("getCustomerInformation", session4, reference, None)
    assert "Credit" not in read4
    read4["City"] = "Paris"
    assert php4.call("updateCustomerInformation", session4, read4, False) is True  # 4.0 leaves Credit alone
    assert php6.call("getCustomerInformation", session, reference, None, False)["Credit"]["Remaining"] == 7.5
