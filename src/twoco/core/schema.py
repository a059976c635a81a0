"""The API's wire schema: scalars, objects (``Struct``) and arrays, how versions change them,
and what every domain's objects share (pagination, the SOAP envelope).

Each domain defines its documented objects with these in its ``schema`` module
(``twoco.domains.customers.schema`` …). Those definitions are the single source for every wire
format: the SOAP adapter decodes and encodes with them and builds its WSDL from them; the JSON
adapters check against them. Field order is the order 2Checkout returns fields in. Values travel
as plain Python: ``int``, ``str``, ``bool``, ``float``, ``None``, ``dict`` keyed by the
documented field names, and ``list``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import cast

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")  # no nested repeats: linear time
_MAX_NUMBER_TEXT = 64  # longer "numbers" are refused before any parsing
_SURROGATE = re.compile("[\ud800-\udfff]")


class DecodeError(ValueError):
    """A value does not fit its declared type; ``path`` says where (e.g. Customer.Email)."""

    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)

    def within(self, outer: str) -> DecodeError:
        return DecodeError(self.reason, f"{outer}.{self.path}" if self.path else outer)


class UnknownFields:
    """The fields a request sent that their type does not declare.

    2Checkout ignores them, so twoco does too and lists them (the request journal shows
    them: a sandbox tells what production silently drops); ``strict`` refuses them instead.
    """

    MAX_LISTED = 50

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.names: list[str] = []

    def note(self, struct_name: str, name: str) -> None:
        if self.strict:
            raise DecodeError(f"{struct_name} has no field {name[:60]!r}")
        if len(self.names) < self.MAX_LISTED:
            self.names.append(f"{struct_name}.{name[:60]}")


@dataclass(frozen=True)
class Scalar:
    name: str  # the XML Schema type name, e.g. "int"
    xml_name: str = ""  # the name SOAP writes it under where that differs (an int sent as xsd:string)
    # A text where 2Checkout writes PHP's false for "none" (a Product's ProductCategory): false,
    # sent back as it came, reads as no value.
    false_is_none: bool = False

    @property
    def xsd(self) -> str:
        return self.xml_name or self.name

    def from_text(self, text: str) -> object:
        """Decode the text of an XML element (or a query-string value)."""
        if self.name == "string":
            return None if self.false_is_none and text in ("false", "") else text
        text = text.strip()
        if len(text) > _MAX_NUMBER_TEXT:
            raise DecodeError(f"too long for a {self.name}: {len(text)} characters")
        if self.name == "int":
            if _INTEGER.fullmatch(text):
                return _int32(int(text))
            if _NUMBER.fullmatch(text) and float(text).is_integer():  # "5.0", as a PHP float prints
                return _int32(int(float(text)))
            raise DecodeError(f"expected an integer, got {text[:40]!r}")
        if self.name == "boolean":
            flag = _BOOLEAN_WORDS.get(text.lower())
            if flag is None:
                raise DecodeError(f"expected a boolean (true/false, YES/NO, 1/0), got {text[:40]!r}")
            return flag
        if not _NUMBER.fullmatch(text):
            raise DecodeError(f"expected a number, got {text[:40]!r}")
        number = float(text)
        if not math.isfinite(number):
            raise DecodeError("expected a finite number")
        return number

    def from_json(self, value: object) -> object:
        """Check a decoded JSON value, read as 2Checkout's PHP backend reads it: a number where
        text is expected becomes its text, text holding a number (or a boolean word) becomes
        that number (or boolean). Text that is no number stays refused."""
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise DecodeError("not valid Unicode (a lone surrogate)")
            if self.name == "string":
                return value
            return self.from_text(value) if value.strip() else None  # PHP reads "" as no value
        if isinstance(value, bool):
            if self.false_is_none and not value:
                return None
            if self.name in ("boolean", "int"):  # PHP: true is 1
                return value if self.name == "boolean" else int(value)
            raise DecodeError(f"expected a {_KIND[self.name]}, got a boolean")
        if isinstance(value, int) or isinstance(value, float) and math.isfinite(value):
            if self.name == "string":
                return _php_number_text(value)
            if self.name == "double":
                return float(value)
            if self.name == "boolean":
                if value in (0, 1):
                    return value == 1
                raise DecodeError(f"expected a boolean, got the number {value}")
            if isinstance(value, float) and not value.is_integer():
                raise DecodeError(f"expected an integer, got {value}")
            return _int32(int(value))
        raise DecodeError(f"expected a {_KIND[self.name]}, got {_json_kind(value)}")

    def to_text(self, value: object) -> str:
        if self.name == "boolean":
            return "true" if value else "false"
        if self.name == "double":
            return repr(float(cast(float, value)))  # a double's value is a number
        return str(value)


_BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_KIND = {"string": "string", "int": "integer", "boolean": "boolean", "double": "number"}


def _php_number_text(value: int | float) -> str:
    """A number as PHP writes it as text: 1.0 is "1", 1.5 is "1.5"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _int32(value: int) -> int:
    # 2Checkout's references are 32-bit ints in its WSDL; larger numbers would not decode in clients.
    if not -(2**31) <= value < 2**31:
        raise DecodeError("integer out of range")
    return value


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


INT = Scalar("int")
# An integer SOAP 3.0 writes as text: 3.0's recorded outputs show references and product ids that
# PHP decoded as strings ("141589723"). Read as an integer all the same.
INT_AS_TEXT = Scalar("int", xml_name="string")
STRING = Scalar("string")
STRING_OR_FALSE = Scalar("string", false_is_none=True)
BOOLEAN = Scalar("boolean")
DOUBLE = Scalar("double")


@dataclass(frozen=True)
class Field:
    name: str
    type: WireType
    returned: bool = True  # False: a request-only field (e.g. an import's Test flag), never in answers
    since: str = ""  # the first API version that has the field ("": every version)
    until: str = ""  # the first API version without it ("": none)
    text_before: str = ""  # an int field that versions before this one write as text (INT_AS_TEXT)
    # Left out of an answer when it has no value, as recorded answers leave out some (a card
    # payment's PayPal RedirectURL, the Authorize3DS of a payment that needs none).
    omitted_when_none: bool = False

    def answered(self, record: Mapping[str, object]) -> bool:
        """Whether an answer writes this field of ``record``."""
        return self.returned and not (self.omitted_when_none and record.get(self.name) is None)


@dataclass(frozen=True)
class Struct:
    name: str
    fields: tuple[Field, ...]
    by_name: dict[str, Field] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # A name may appear twice with disjoint versions (``since``/``until``); the later one is kept here.
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Array:
    item: WireType

    @property
    def name(self) -> str:
        return f"ArrayOf{type_name(self.item)}"


@dataclass(frozen=True)
class Keyed(Array):
    """An array of structs that JSON writes as an object keyed by one of their fields
    (a Product's Translations: ``{"ES": {…, "Language": "ES"}}``) and SOAP as an array. Values
    travel as lists; a JSON request may send either form."""

    key: str = ""


WireType = Scalar | Struct | Array


def version_key(version: str) -> tuple[int, ...]:
    """``"5.0"`` as ``(5, 0)``: API versions compare in that order."""
    return tuple(int(part) for part in version.split("."))


def at_version(wire_type: WireType, version: str) -> WireType:
    """``wire_type`` as API ``version`` has it: without the fields of later versions (nested too)."""
    if isinstance(wire_type, Array):
        item = at_version(wire_type.item, version)
        return wire_type if item is wire_type.item else replace(wire_type, item=item)
    if not isinstance(wire_type, Struct):
        return wire_type
    fields = []
    for f in wire_type.fields:
        if (not f.since or version_key(version) >= version_key(f.since)) and (
            not f.until or version_key(version) < version_key(f.until)
        ):
            inner = at_version(f.type, version)
            if f.text_before and version_key(version) < version_key(f.text_before):
                inner = INT_AS_TEXT
            fields.append(f if inner is f.type else replace(f, type=inner))
    same = len(fields) == len(wire_type.fields) and all(a is b for a, b in zip(fields, wire_type.fields))
    return wire_type if same else Struct(wire_type.name, tuple(fields))


def type_name(wire_type: WireType) -> str:
    return wire_type.name[0].upper() + wire_type.name[1:] if isinstance(wire_type, Scalar) else wire_type.name


def struct(name: str, *fields: tuple[str, WireType] | Field) -> Struct:
    """A Struct from (name, type) pairs and Fields."""
    return Struct(name, tuple(f if isinstance(f, Field) else Field(*f) for f in fields))


def strings(*names: str) -> list[tuple[str, WireType]]:
    """(name, STRING) pairs, for a Struct's text fields."""
    return [(n, STRING) for n in names]


# Search methods (searchSubscriptions from 4.0, searchCustomers on 6.0…). "Starting with 2Checkout API
# 5.0, search methods are including the option of pagination": Pagination{Page, Limit} in the
# filters, and the answer carries Pagination{Page, Limit, Count} beside the Items found. One type
# for both (a Count sent in the filters is ignored), as one WSDL type.
PAGINATED_SINCE = "5.0"
PAGINATION = struct("Pagination", ("Page", INT), ("Limit", INT), ("Count", INT))


def declared_types(roots: list[WireType]) -> tuple[list[Struct], list[Array]]:
    """The structs and arrays reachable from ``roots``, each after the types it uses."""
    structs: dict[str, Struct] = {}
    arrays: dict[str, Array] = {}

    def visit(wire_type: WireType) -> None:
        if isinstance(wire_type, Array):
            visit(wire_type.item)
            arrays.setdefault(wire_type.name, wire_type)
        elif isinstance(wire_type, Struct) and wire_type.name not in structs:
            for f in wire_type.fields:
                visit(f.type)
            structs[wire_type.name] = wire_type

    for root in roots:
        visit(root)
    return list(structs.values()), list(arrays.values())


# The SOAP 1.1 envelope twoco answers in and its client writes requests in (PHP SoapClient's own).
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:ns1="urn:order"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"'
    ' SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>'
)
ENVELOPE_CLOSE = "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
