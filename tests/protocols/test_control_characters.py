"""The control-character rule, alike on every protocol: TAB, LF and CR are text, every other
control (C0, DEL, C1) is refused, and what one protocol stores every other reads back as it was
(those three and every other character a codec could trip on)."""

from __future__ import annotations

import itertools

import pytest

from tests.clients import Fault
from tests.clients.api import JsonRpcApi, RestApi
from tests.data import customer_data
from tests.protocols.test_soap_wire import envelope, post_soap, raw_login, read_fault, read_return
from twoco.domains.customers.schema import CUSTOMER

PROTOCOLS = ("soap", "jsonrpc", "rest")
# Multi-line text as clients send it: CR LF, a lone CR, a lone LF, and TABs.
KEPT = {
    "FirstName": "Ada\tAugusta",
    "Address1": "12 St James's Square\nSt James's",
    "Address2": "Flat 1\r\nLevel 2\rBack\t",
    # And what else trips a codec: markup, quotes, a CDATA end, non-BMP, joiners, separators, a BOM.
    "Company": "A & <B> 'C' \"D\" ]]> Zürich 漢字 😀 👩\u200d💻 \u00a0\u2028\u2029\ufeff\u0301",
}
REFUSED = ["\u0085", "\u009b", "\u0080", "\u009f", "\x7f"]  # C1 (NEL, CSI and the range's ends) and DEL


def xml_text(text: str) -> str:
    """Text as element content; TAB, LF and CR as character references, which XML parsers keep as they are."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


class Soap:
    """SOAP 4.0 as raw XML posts, read with lxml (which hands &#13; back as CR)."""

    def __init__(self, server, merchant) -> None:
        self.server, self.session = server, raw_login(server, merchant)

    def create(self, customer: dict[str, str]) -> int:
        fields = "".join(f"<{name}>{xml_text(value)}</{name}>" for name, value in customer.items())
        body = f"<o:createCustomer><s>{self.session}</s><Customer>{fields}</Customer></o:createCustomer>"
        answer = post_soap(self.server, envelope(body))
        if answer.status_code != 200:
            _, message, code = read_fault(answer)
            raise Fault(code, message)
        return int(read_return(answer).text)

    def read(self, reference: int) -> dict[str, str | None]:
        body = f"<o:getCustomerInformation><s>{self.session}</s><r>{reference}</r></o:getCustomerInformation>"
        customer = read_return(post_soap(self.server, envelope(body)))
        return {child.tag: child.text for child in customer}

    def close(self) -> None:
        pass


class Api:
    """JSON-RPC or REST, through the conformance suite's clients (API 6.0)."""

    def __init__(self, api) -> None:
        self.api = api

    def create(self, customer: dict[str, str]) -> int:
        return self.api.call("createCustomer", customer)

    def read(self, reference: int) -> dict[str, object]:
        return self.api.call("getCustomerInformation", reference, None)

    def close(self) -> None:
        self.api.close()


def client(protocol: str, server, merchant):
    if protocol == "soap":
        return Soap(server, merchant)
    if protocol == "jsonrpc":
        return Api(JsonRpcApi(server.base_url, merchant.code, merchant.secret, "6.0"))
    return Api(RestApi(server.base_url, merchant.code, merchant.secret, "6.0"))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("character", REFUSED, ids=lambda character: f"U+{ord(character):04X}")
def test_c1_controls_and_del_are_refused_alike(app_server, merchant, protocol, character) -> None:
    api = client(protocol, app_server, merchant)
    with pytest.raises(Fault) as refused:
        api.create(customer_data(FirstName=f"Jo{character}e"))
    api.close()
    assert refused.value.code == "INVALID_FIELD_VALUE"
    assert "FirstName" in refused.value.message and "control characters are not allowed" in refused.value.message


@pytest.mark.parametrize(("writer", "reader"), list(itertools.product(PROTOCOLS, PROTOCOLS)))
def test_tab_lf_and_cr_read_back_as_stored_on_every_protocol(app_server, merchant, writer, reader) -> None:
    write, read = client(writer, app_server, merchant), client(reader, app_server, merchant)
    reference = write.create(customer_data(**KEPT))
    customer = read.read(reference)
    write.close()
    read.close()
    assert {name: customer[name] for name in KEPT} == KEPT
    assert set(KEPT) <= set(CUSTOMER.field_names)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x0b"], ids=lambda character: f"U+{ord(character):04X}")
def test_c0_controls_are_refused_and_soap_cannot_even_carry_them(app_server, merchant, protocol, character) -> None:
    """XML 1.0 has no way to write a C0 control but TAB, LF and CR, not even &#1;: such a SOAP
    request is not well-formed, refused before any field is read."""
    api = client(protocol, app_server, merchant)
    if protocol == "soap":
        reference = f"&#{ord(character)};"
        customer = f"<Customer><FirstName>Jo{reference}e</FirstName></Customer>"
        body = f"<o:createCustomer><s>{api.session}</s>{customer}</o:createCustomer>"
        assert read_fault(post_soap(app_server, envelope(body)))[2] == "MALFORMED_REQUEST"
        raw = envelope(body.replace(reference, character))
        assert read_fault(post_soap(app_server, raw))[2] == "MALFORMED_REQUEST"
    else:
        with pytest.raises(Fault) as refused:
            api.create(customer_data(FirstName=f"Jo{character}e"))
        assert refused.value.code == "INVALID_FIELD_VALUE"
        assert "control characters are not allowed" in refused.value.message
    api.close()
