"""SOAP 4.0 on the wire: the WSDL's shape, and requests as assorted real clients write them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from tests.clients import Fault, PhpClient, SudsClient, now_utc
from twoco.core.auth import login_hash
from twoco.core.schema import at_version
from twoco.domains import REGISTRY
from twoco.domains.customers.schema import CUSTOMER
from twoco.domains.products.schema import PRODUCT
from twoco.domains.subscriptions.schema import SUBSCRIPTION

WSDL_NS = {
    "w": "http://schemas.xmlsoap.org/wsdl/",
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
    "xsd": "http://www.w3.org/2001/XMLSchema",
}
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"


def envelope(body: str, prefix: str = "soapenv", extra_ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><{prefix}:Envelope xmlns:{prefix}="http://schemas.xmlsoap.org/soap/envelope/"'
        f' xmlns:o="urn:order" {extra_ns}><{prefix}:Body>{body}</{prefix}:Body></{prefix}:Envelope>'
    ).encode()


def post_soap(server, body: bytes, **headers: str):
    return server.post("/soap/4.0/", content=body, headers={"Content-Type": "text/xml; charset=utf-8", **headers})


def read_return(response) -> etree._Element:
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    (returned,) = root.iter("return")
    return returned


def read_fault(response) -> tuple[str, str, str]:
    assert response.status_code == 500, response.text
    root = etree.fromstring(response.content)
    fault = root.find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    return fault.findtext("faultcode"), fault.findtext("faultstring"), fault.findtext("detail/error_code")


def raw_login(server, merchant) -> str:
    date = now_utc()
    digest = login_hash(merchant.secret, merchant.code, date)
    body = f"<o:login><merchantCode>{merchant.code}</merchantCode><date>{date}</date><hash>{digest}</hash></o:login>"
    return read_return(post_soap(server, envelope(body))).text


# --- the WSDL ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/soap/4.0/?wsdl", "/soap/4.0?wsdl", "/soap/4.0/?WSDL"])
def test_wsdl_identity(app_server, path) -> None:
    response = app_server.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    wsdl = etree.fromstring(response.content)
    assert wsdl.get("targetNamespace") == "urn:order"
    assert wsdl.find("w:portType", WSDL_NS).get("name") == "AvangateAPIPortType"
    binding = wsdl.find("w:binding", WSDL_NS)
    assert binding.get("name") == "AvangateAPIBinding"
    assert binding.find("soap:binding", WSDL_NS).get("style") == "rpc"
    service = wsdl.find("w:service", WSDL_NS)
    assert service.get("name") == "AvangateService"
    port = service.find("w:port", WSDL_NS)
    assert port.get("name") == "AvangateAPIPort"
    assert port.find("soap:address", WSDL_NS).get("location") == f"{app_server.base_url}/soap/4.0/"
    bodies = binding.findall(".//soap:body", WSDL_NS)
    assert len(bodies) == 2 * len(REGISTRY.operations_for("4.0"))
    assert {(b.get("use"), b.get("encodingStyle")) for b in bodies} == {("encoded", SOAP_ENCODING)}


def test_wsdl_types_follow_the_documented_field_order(app_server) -> None:
    wsdl = etree.fromstring(app_server.get("/soap/4.0/?wsdl").content)

    def fields(name: str) -> list[str]:
        (complex_type,) = wsdl.xpath(f"//xsd:complexType[@name='{name}']", namespaces=WSDL_NS)
        return [element.get("name") for element in complex_type.iter("{http://www.w3.org/2001/XMLSchema}element")]

    assert fields("Customer") == [
        "AvangateCustomerReference", "ExternalCustomerReference", "FirstName", "LastName", "Company",
        "FiscalCode", "Address1", "Address2", "City", "State", "Zip", "CountryCode", "Phone", "Fax",
        "Email", "ExistingCards", "Enabled", "Trial", "Language",
    ]  # fmt: skip
    assert fields("EndUser") == [
        "FirstName", "LastName", "Email", "Company", "Phone", "Fax", "Address1", "Address2", "Zip",
        "City", "State", "CountryCode", "Language",
    ]  # fmt: skip
    # A subscription's product (SubscriptionProduct, since the catalogue's Product took the name).
    assert fields("SubscriptionProduct")[:5] == [
        "ProductCode", "ProductId", "ProductName", "ProductVersion", "ProductQuantity"
    ]  # fmt: skip
    # The catalogue's: the recorded SOAP 3.0 getProductByCode answer's order, without 6.0's fields.
    assert fields("Product")[:12] == [
        "AvangateId", "ProductCode", "ProductType", "ProductName", "ProductVersion", "GroupName", "ShippingClass",
        "GiftOption", "ShortDescription", "LongDescription", "SystemRequirements", "ProductCategory",
    ]  # fmt: skip
    assert fields("Product") == [f.name for f in at_version(PRODUCT, "4.0").fields]
    assert fields("ProductTranslation")[-1] == "Language"
    assert fields("Subscription") == list(at_version(SUBSCRIPTION, "4.0").field_names)
    (array,) = wsdl.xpath("//xsd:complexType[@name='ArrayOfSubscription']//xsd:restriction", namespaces=WSDL_NS)
    assert array.get("base") == "soapenc:Array"


@pytest.mark.parametrize("version", ["3.0", "4.0", "5.0", "6.0"])
def test_zeep_loads_the_wsdl_and_lists_every_operation(server, version) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zeep", f"{server.base_url}/soap/{version}/?wsdl"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in REGISTRY.operations_for(version):
        assert f"\n            {name}(" in done.stdout, name


# --- requests as various clients write them ---------------------------------------------


def test_untyped_parameters_and_other_prefixes(app_server, merchant) -> None:
    session = raw_login(app_server, merchant)
    body = (
        f"<o:createCustomer><sessionID>{session}</sessionID><Customer><FirstName>Grace</FirstName>"
        "<LastName>Hopper</LastName><Address1>1 Navy Way</Address1><City>Arlington</City><Zip>22201</Zip>"
        "<CountryCode>us</CountryCode><Email>grace@example.com</Email><Company "
        'xsi:nil="true"/></Customer></o:createCustomer>'
    )
    response = post_soap(
        app_server, envelope(body, prefix="S", extra_ns='xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
    )
    returned = read_return(response)
    assert returned.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "xsd:int"
    reference = int(returned.text)

    read = (
        f'<q:getCustomerInformation xmlns:q="urn:order"><a>{session}</a><b>{reference}</b>'
        "<c/></q:getCustomerInformation>"
    )
    customer = read_return(post_soap(app_server, envelope(read)))
    assert customer.findtext("FirstName") == "Grace"
    assert [child.tag for child in customer] == list(CUSTOMER.field_names)


def test_multiref_href_values(app_server, merchant) -> None:
    """Apache Axis style: the Customer travels as a multiRef element referenced by href."""
    session = raw_login(app_server, merchant)
    body = (
        f'<o:createCustomer><sessionID href="#id0"/><Customer href="#id1"/></o:createCustomer>'
        f'<multiRef id="id0">{session}</multiRef>'
        '<multiRef id="id1"><FirstName>Alan</FirstName><LastName>Turing</LastName><Address1>Bletchley</Address1>'
        "<City>Milton Keynes</City><Zip>MK3 6EB</Zip><CountryCode>GB</CountryCode>"
        '<Email href="#id2"/></multiRef><multiRef id="id2">alan@example.com</multiRef>'
    )
    reference = int(read_return(post_soap(app_server, envelope(body))).text)
    read = f"<o:getCustomerInformation><s>{session}</s><r>{reference}</r></o:getCustomerInformation>"
    assert read_return(post_soap(app_server, envelope(read))).findtext("Email") == "alan@example.com"


@pytest.mark.parametrize(
    ("body", "faultcode", "code"),
    [
        (b"this is not xml", "SOAP-ENV:Client", "MALFORMED_REQUEST"),
        (b"<a><b></a>", "SOAP-ENV:Client", "MALFORMED_REQUEST"),
        (b"<Envelope/>", "SOAP-ENV:Client", "MALFORMED_REQUEST"),
        (envelope(""), "SOAP-ENV:Client", "MALFORMED_REQUEST"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + envelope("<o:login><a>&e;</a></o:login>").split(b"?>", 1)[1],
            "SOAP-ENV:Client",
            "MALFORMED_REQUEST",
        ),
        (
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
            "SOAP-ENV:VersionMismatch",
            "MALFORMED_REQUEST",
        ),
        (envelope("<o:noSuchOperation/>"), "SOAP-ENV:Client", "UNKNOWN_OPERATION"),
        (
            envelope("<o:login><a>1</a><b>2</b><c>3</c><d>4</d><e>5</e></o:login>"),
            "SOAP-ENV:Client",
            "INVALID_PARAMETERS",
        ),
        (envelope("<o:login><a>1</a></o:login>"), "SOAP-ENV:Client", "INVALID_PARAMETERS"),
        (envelope("<o:login><a><x/></a><b>2</b><c>3</c></o:login>"), "SOAP-ENV:Client", "INVALID_PARAMETERS"),
        (envelope("<o:getSubscription><a>0</a><b>x</b></o:getSubscription>"), "SOAP-ENV:Client", "INVALID_SESSION"),
    ],
)
def test_bad_requests_get_faults(app_server, body, faultcode, code) -> None:
    faultcode_seen, message, code_seen = read_fault(post_soap(app_server, body))
    assert (faultcode_seen, code_seen) == (faultcode, code)
    assert message and "Traceback" not in message


@pytest.mark.parametrize("client_name", ["php", "suds"])
@pytest.mark.parametrize(
    ("operation", "body", "code"),
    [
        ("login", b"<not-an-envelope/>", "MALFORMED_REQUEST"),
        ("login", envelope("<o:deleteEverything/>"), "UNKNOWN_OPERATION"),
        (
            "getCustomerInformation",
            envelope("<o:getCustomerInformation><a>x</a><b>abc</b></o:getCustomerInformation>"),
            "INVALID_PARAMETERS",
        ),
        # The client sends SOAPAction urn:order#login (from the WSDL) with another operation's body.
        ("login", envelope("<o:getCustomerInformation><a>x</a></o:getCustomerInformation>"), "SOAP_ACTION_MISMATCH"),
    ],
)
def test_request_faults_reach_real_clients(server, client_name, operation, body, code) -> None:
    """Faults for requests a WSDL-reading client would not write, sent through that client's transport."""
    if client_name == "php":
        send = PhpClient(server.base_url).call_raw
    else:
        send = SudsClient(server.base_url).raw
    with pytest.raises(Fault) as caught:
        send(operation, body)
    assert caught.value.code == code
    assert caught.value.message


def test_http_level_errors_are_json(app_server) -> None:
    assert app_server.get("/_twoco/health").json()["status"] == "ok"
    not_found = app_server.get("/nothing/here")
    assert (not_found.status_code, not_found.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    get_endpoint = app_server.get("/soap/4.0/")
    assert (get_endpoint.status_code, get_endpoint.json()["error_code"]) == (400, "MALFORMED_REQUEST")
    put_endpoint = app_server.request("PUT", "/soap/4.0/")
    assert (put_endpoint.status_code, put_endpoint.headers["allow"]) == (405, "GET, HEAD, POST")
    too_large = post_soap(app_server, b"x" * (1024 * 1024 + 1))
    assert (too_large.status_code, too_large.json()["error_code"]) == (413, "REQUEST_TOO_LARGE")
