"""SOAP 1.1 rpc/encoded, client side: write a call's envelope, read its answer or fault.

Requests are written as PHP's SoapClient writes them from the WSDL: the operation element
in ``urn:order``, one element per positional parameter named after it, ``xsi:type`` on every
value, ``xsi:nil`` for None, SOAP-encoded arrays. In a dict, a key set to None is sent as nil
(an update clears that field) and an absent key is not sent at all (the field keeps its value).

Answers are read leniently, so that 2Checkout's own server reads as well as twoco: values are
converted by the type the registry declares for them, else by their ``xsi:type``; fields
the model does not know are kept; ``href``/``id`` references are followed (within the limits of
``twoco.protocols.limits``: a cycle is a TransportError); a number that does
not parse stays text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from twoco.client.errors import TransportError, TwoCheckoutError
from twoco.core.registry import Operation
from twoco.core.schema import ENVELOPE_CLOSE, ENVELOPE_OPEN, SOAP_ENV, Array, Scalar, Struct, WireType
from twoco.core.validation import NOT_XML

# How far the client follows an answer's href references: as deep and as many as the server
# accepts in a request (twoco.protocols.limits), which no real answer comes near.
MAX_DEPTH = 32
MAX_ELEMENTS = 10_000

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
NAMESPACE = "urn:order"

# Refused here with a clear message rather than by the server's parser.
_NOT_XML = re.compile(f"[{NOT_XML}]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_INTEGER_TYPES = {"int", "integer", "long", "short", "byte", "unsignedInt", "unsignedLong", "unsignedShort"}
_NUMBER_TYPES = {"double", "float", "decimal"}


def soap_action(operation: Operation) -> str:
    return f'"{NAMESPACE}#{operation.name}"'


def envelope(operation: Operation, args: Sequence[object]) -> bytes:
    """The request for ``operation`` with its positional wire arguments (session ID first)."""
    out = [ENVELOPE_OPEN, f"<ns1:{operation.name}>"]
    for param, value in zip(operation.wire_params, args):
        _encode(param.name, value, param.type, out, param.name)
    out.append(f"</ns1:{operation.name}>{ENVELOPE_CLOSE}")
    return "".join(out).encode()


def _encode(name: str, value: object, wire_type: WireType | None, out: list[str], path: str) -> None:
    if value is None:
        out.append(f'<{name} xsi:nil="true"/>')
    elif isinstance(value, dict):
        struct = wire_type if isinstance(wire_type, Struct) else None
        type_attribute = f' xsi:type="ns1:{struct.name}"' if struct else ""
        out.append(f"<{name}{type_attribute}>")
        for key, item in value.items():
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][\w.-]*", key):
                raise ValueError(f"{path}: {key!r} cannot be an XML element name")
            field = struct.by_name.get(key) if struct else None
            _encode(key, item, field.type if field else None, out, f"{path}.{key}")
        out.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        item_type = wire_type.item if isinstance(wire_type, Array) else None
        out.append(f'<{name} SOAP-ENC:arrayType="{_item_xml_type(item_type)}[{len(value)}]" xsi:type="SOAP-ENC:Array">')
        for index, item in enumerate(value):
            _encode("item", item, item_type, out, f"{path}[{index}]")
        out.append(f"</{name}>")
    else:
        scalar = _scalar_name(value, wire_type)
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if _NOT_XML.search(text):
            raise ValueError(f"{path}: holds a character XML cannot carry")
        out.append(f'<{name} xsi:type="xsd:{scalar}">{_escaped(text)}</{name}>')


def _scalar_name(value: object, wire_type: WireType | None) -> str:
    if isinstance(wire_type, Scalar):
        return wire_type.name
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def _item_xml_type(item: WireType | None) -> str:
    if isinstance(item, Scalar):
        return f"xsd:{item.name}"
    if isinstance(item, Struct):
        return f"ns1:{item.name}"
    return "xsd:anyType"


def read_answer(operation: Operation, status: int, body: bytes) -> object:
    """The result of ``operation`` from the HTTP answer, or the fault raised as TwoCheckoutError."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise _unexpected(status, body) from None
    soap_body = root.find(f"{{{SOAP_ENV}}}Body") if root.tag == f"{{{SOAP_ENV}}}Envelope" else None
    children = _elements(soap_body) if soap_body is not None else []
    if not children:
        raise _unexpected(status, body)
    if children[0].tag == f"{{{SOAP_ENV}}}Fault":
        raise _fault(children[0], status)
    returned = _elements(children[0])
    if not returned:
        return None  # a response without a return value
    assert soap_body is not None  # children came from it
    references = {ref: element for element in soap_body.iter() if (ref := element.get("id"))}
    # Followed references could loop or fan out without end: the decoded answer may hold the
    # document's own elements plus MAX_ELEMENTS more, nested MAX_DEPTH deep at most.
    budget = _Budget(sum(1 for _ in soap_body.iter()) + MAX_ELEMENTS, status)
    return _decode(returned[0], operation.result, references, budget, 0)


def _fault(fault: etree._Element, status: int) -> TwoCheckoutError:
    faultcode = (fault.findtext("faultcode") or "").strip()
    message = (fault.findtext("faultstring") or "").strip()
    detail_code = (fault.findtext("detail/error_code") or "").strip()
    # twoco (and the reference's reading of 2Checkout) puts the code in detail/error_code;
    # without it, the faultcode's local name is the most specific thing there is.
    return TwoCheckoutError(detail_code or faultcode.rpartition(":")[2] or "SOAP_FAULT", message, status)


def _unexpected(status: int, body: bytes) -> TransportError:
    text = body[:200].decode("utf-8", "replace").strip()
    return TransportError("UNEXPECTED_RESPONSE", f"HTTP {status}, not a SOAP envelope: {text!r}", status)


def _elements(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _local(name: str) -> str:
    return name[name.rfind("}") + 1 :].rpartition(":")[2]


class _Budget:
    """What is left of the nodes an answer may decode to."""

    def __init__(self, nodes: int, status: int) -> None:
        self.nodes = nodes
        self.status = status

    def spend(self, depth: int) -> None:
        self.nodes -= 1
        if self.nodes < 0 or depth > MAX_DEPTH:
            raise TransportError(
                "UNEXPECTED_RESPONSE",
                f"HTTP {self.status}: the answer's href references nest more than {MAX_DEPTH} deep"
                " or expand to too many elements (a cycle?)",
                self.status,
            )


def _decode(
    element: etree._Element,
    wire_type: WireType | None,
    references: dict[str, etree._Element],
    budget: _Budget,
    depth: int,
) -> object:
    budget.spend(depth)
    href = element.get("href")
    if href is not None and href.startswith("#") and href[1:] in references:
        element = references[href[1:]]
    if element.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    children = _elements(element)
    declared = _local(element.get(f"{{{XSI}}}type") or "")
    if isinstance(wire_type, Array) or (
        wire_type is None and (declared.endswith("Array") or element.get(f"{{{SOAP_ENC}}}arrayType") is not None)
    ):
        item = wire_type.item if isinstance(wire_type, Array) else None
        return [_decode(child, item, references, budget, depth + 1) for child in children]
    if isinstance(wire_type, Struct) or (wire_type is None and children):
        fields = wire_type.by_name if isinstance(wire_type, Struct) else {}
        record: dict[str, object] = {}
        for child in children:
            name = _local(child.tag)
            field = fields.get(name)
            record[name] = _decode(child, field.type if field else None, references, budget, depth + 1)
        return record
    return _scalar(element.text or "", wire_type.name if isinstance(wire_type, Scalar) else declared)


def _scalar(text: str, type_name: str) -> object:
    """Text converted by its type's name; text that does not parse stays text."""
    if type_name in _INTEGER_TYPES | _NUMBER_TYPES | {"boolean"}:
        if not text.strip():
            return None  # an empty element for a number or boolean is nil, as twoco reads it too
        try:
            if type_name in _INTEGER_TYPES:
                return int(text)
            if type_name in _NUMBER_TYPES:
                return float(text)
        except ValueError:
            return text
        if text.strip() in ("true", "1"):
            return True
        if text.strip() in ("false", "0"):
            return False
    return text


def _escaped(text: str) -> str:
    """Text as XML character data; a carriage return as a reference, since XML parsers turn a raw
    one into a newline. (xml.sax.saxutils.escape does the same but loads urllib.request.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
