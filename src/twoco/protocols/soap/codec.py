"""SOAP 1.1 rpc/encoded envelopes: parse a request into a call, write a result or a fault.

Requests are accepted as real clients send them: any namespace prefixes, values with or
without ``xsi:type``, ``xsi:nil`` for null, and multiRef/``href`` indirection. Values are
decoded by the types the registry declares, not by what the request claims. Responses
carry ``xsi:type`` on every value so that clients decode each field with its type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast
from xml.sax.saxutils import escape

from lxml import etree

from twoco.core.schema import (
    ENVELOPE_CLOSE,
    ENVELOPE_OPEN,
    SOAP_ENV,
    Array,
    DecodeError,
    Scalar,
    Struct,
    UnknownFields,
    WireType,
)
from twoco.protocols.limits import shape_problem
from twoco.protocols.soap.wsdl import xml_type

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_ENVELOPE_TAG = f"{{{SOAP_ENV}}}Envelope"
_SOAP12_ENVELOPE_TAG = f"{{{SOAP12_ENV}}}Envelope"
_BODY_TAG = f"{{{SOAP_ENV}}}Body"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True, huge_tree=False
)

_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES = (b"utf-8", b"utf8", b"us-ascii", b"ascii")
_UTF8_BOM = b"\xef\xbb\xbf"

# A CR written as itself reaches the client as LF (XML parsers normalise line ends): as a reference it stays CR.
_TEXT_ENTITIES = {"\r": "&#13;"}


class EnvelopeError(ValueError):
    """The bytes are not a SOAP 1.1 request we can read."""


class VersionMismatch(EnvelopeError):
    """A SOAP 1.2 (or other) envelope: answered with a VersionMismatch fault."""


@dataclass
class References:
    """multiRef elements by id, and what decoding may still read.

    Every element decoded costs its text's length plus one, from a budget of the body's size:
    a value reached through many hrefs (a "billion laughs" made of multiRefs) runs out of budget
    instead of multiplying memory.
    """

    by_id: dict[str, etree._Element] = field(default_factory=dict)
    budget: int = 0
    unknown: UnknownFields = field(default_factory=UnknownFields)  # the request's undeclared fields

    def spend(self, cost: int) -> None:
        self.budget -= cost
        if self.budget < 0:
            raise DecodeError("the request refers to its multiRef values more than it can afford")


@dataclass
class RpcRequest:
    operation: str
    params: list[etree._Element]  # the operation element's children, in order
    references: References


def _check_encoding(body: bytes) -> None:
    """SOAP requests are UTF-8 (every known client sends it): anything else is refused, not guessed at."""
    declared = _DECLARED_ENCODING.match(body.removeprefix(_UTF8_BOM)[:200])
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        name = declared.group(1)[:40].decode("ascii", "replace")
        raise EnvelopeError(f"the XML declaration names encoding {name!r}; send UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvelopeError(f"the body is not UTF-8 (byte {error.start})") from None


def parse_request(body: bytes, strict_fields: bool = False) -> RpcRequest:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise EnvelopeError("DTDs and entity declarations are not allowed")
    _check_encoding(body)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise EnvelopeError(f"not well-formed XML ({error.msg})") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # lxml-stubs lacks DocInfo.doctype
        raise EnvelopeError("DTDs and entity declarations are not allowed")
    problem = shape_problem(root, iter, "elements")  # (the parser dropped comments and PIs)
    if problem:
        raise EnvelopeError(problem)
    # Tags compared as strings and children walked by tag: the cheapest lxml calls for this.
    if root.tag != _ENVELOPE_TAG:
        if root.tag == _SOAP12_ENVELOPE_TAG:
            raise VersionMismatch("SOAP 1.2 envelopes are not supported; send SOAP 1.1")
        raise EnvelopeError("the root element must be a SOAP 1.1 Envelope")
    body_element = next(root.iterchildren(_BODY_TAG), None)
    if body_element is None:
        raise EnvelopeError("the Envelope has no Body")
    children = list(body_element.iterchildren(etree.Element))  # elements only: no comments or PIs
    # rpc style: the first child is the call; multiRef values may follow it.
    if not children:
        raise EnvelopeError("the Body holds no operation")
    call = children[0]
    by_id = {el.get("id"): el for el in children[1:] if el.get("id")}
    references = References(by_id, len(body), UnknownFields(strict_fields))
    params = list(call.iterchildren(etree.Element))
    return RpcRequest(_local_name(call.tag), params, references)


def decode_value(element: etree._Element, wire_type: WireType, references: References) -> object:
    """The Python value of ``element`` read as ``wire_type``; raises DecodeError with a path."""
    href = element.get("href")
    if href is not None:
        target = references.by_id.get(href.removeprefix("#"))
        if target is None or not href.startswith("#"):
            raise DecodeError(f"href {href[:40]!r} points at no multiRef element")
        element = target
    references.spend(1)
    if element.get(XSI_NIL) in ("true", "1"):
        return None
    children = list(element.iterchildren(etree.Element))
    if isinstance(wire_type, Scalar):
        if children:
            raise DecodeError(f"expected a {wire_type.name}, got elements")
        text = element.text or ""
        references.spend(len(text))
        if wire_type.name != "string" and not text.strip():
            return None  # suds and others send an empty element for a null number or boolean
        return wire_type.from_text(text)
    if isinstance(wire_type, Array):
        items = []
        for index, child in enumerate(children):
            try:
                items.append(decode_value(child, wire_type.item, references))
            except DecodeError as error:
                raise error.within(f"[{index}]") from None
        return items
    return _decode_struct(children, wire_type, references)


def _decode_struct(children: list[etree._Element], struct: Struct, references: References) -> dict[str, object]:
    record: dict[str, object] = {}
    for child in children:
        name = _local_name(child.tag)
        field = struct.by_name.get(name)
        if field is None:
            references.unknown.note(struct.name, name)
            continue
        if name in record:
            raise DecodeError("given twice", name)
        try:
            record[name] = decode_value(child, field.type, references)
        except DecodeError as error:
            raise error.within(name) from None
    return record


def _local_name(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]  # "{namespace}name" or "name"


def _encode(name: str, value: object, wire_type: WireType, out: list[str]) -> None:
    if value is None and isinstance(wire_type, Scalar) and wire_type.false_is_none:
        out.append(f'<{name} xsi:type="xsd:boolean">false</{name}>')  # none, as 2Checkout writes it
    elif value is None:
        out.append(f'<{name} xsi:nil="true"/>')
    elif isinstance(wire_type, Scalar):
        text = escape(wire_type.to_text(value), _TEXT_ENTITIES)
        out.append(f'<{name} xsi:type="xsd:{wire_type.xsd}">{text}</{name}>')
    elif isinstance(wire_type, Array):
        items = cast("list[object]", value)
        out.append(
            f'<{name} SOAP-ENC:arrayType="{_ns1(xml_type(wire_type.item))}[{len(items)}]" xsi:type="SOAP-ENC:Array">'
        )
        for item in items:
            _encode("item", item, wire_type.item, out)
        out.append(f"</{name}>")
    else:
        record = cast("Mapping[str, object]", value)
        out.append(f'<{name} xsi:type="ns1:{wire_type.name}">')
        for field in wire_type.fields:
            if field.answered(record):
                _encode(field.name, record.get(field.name), field.type, out)
        out.append(f"</{name}>")


def _ns1(qname: str) -> str:
    return qname.replace("tns:", "ns1:")


def encode_result(operation: str, value: object, wire_type: WireType) -> bytes:
    out = [ENVELOPE_OPEN, f"<ns1:{operation}Response>"]
    _encode("return", value, wire_type, out)
    out.append(f"</ns1:{operation}Response>{ENVELOPE_CLOSE}")
    return "".join(out).encode()


def encode_fault(faultcode: str, message: str, error_code: str) -> bytes:
    return (
        f"{ENVELOPE_OPEN}<SOAP-ENV:Fault><faultcode>SOAP-ENV:{faultcode}</faultcode>"
        f"<faultstring>{escape(message, _TEXT_ENTITIES)}</faultstring>"
        f"<detail><error_code>{error_code}</error_code></detail></SOAP-ENV:Fault>{ENVELOPE_CLOSE}"
    ).encode()
