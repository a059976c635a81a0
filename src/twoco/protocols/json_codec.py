"""JSON values checked against the model's types, for JSON-RPC and REST."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import cast

from twoco.core.errors import ApiError
from twoco.core.schema import Array, DecodeError, Keyed, Scalar, Struct, UnknownFields, WireType
from twoco.protocols.limits import shape_problem


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # A repeated key means different things to different readers (first or last wins): refused.
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {key[:60]!r} is given twice")
            seen.add(key)
    return record


def parse(body: bytes) -> object:
    """The decoded body, or MALFORMED_REQUEST (not UTF-8, invalid JSON, NaN, a repeated key, too long a
    number, more than MAX_DEPTH levels or MAX_ELEMENTS values)."""
    try:
        # UTF-8 only (a UTF-8 byte-order mark is allowed): json.loads would also guess UTF-16 and UTF-32.
        text = body.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError("MALFORMED_REQUEST", reason=f"the body is not UTF-8 (byte {error.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constants, parse_float=_finite, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error) or "nested too deeply"
        raise ApiError("MALFORMED_REQUEST", reason=f"not valid JSON ({reason[:100]})") from None
    problem = shape_problem(value, _children, "JSON values")
    if problem:
        raise ApiError("MALFORMED_REQUEST", reason=problem)
    return value


def _children(value: object) -> Iterable[object]:
    return value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()


def dumps(value: object) -> bytes:
    # ASCII output: a lone surrogate echoed back (say, in a JSON-RPC id) stays encodable.
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def decode(value: object, wire_type: WireType, unknown: UnknownFields | None = None) -> object:
    """``value`` checked and converted to ``wire_type``; raises DecodeError with a path.

    Fields the type does not declare go to ``unknown`` (refused when it is None or strict).
    """
    if value is None:
        return None
    if isinstance(wire_type, Scalar):
        return wire_type.from_json(value)
    unknown = unknown or _STRICT
    if isinstance(wire_type, Keyed) and isinstance(value, dict):
        value = [_keyed_item(wire_type.key, name, item) for name, item in value.items()]
    if isinstance(wire_type, Array):
        if not isinstance(value, list):
            raise DecodeError("expected an array")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(decode(item, wire_type.item, unknown))
            except DecodeError as error:
                raise error.within(f"[{index}]") from None
        return items
    if not isinstance(value, dict):
        raise DecodeError(f"expected a {wire_type.name} object")
    record = {}
    for name, item in value.items():
        field = wire_type.by_name.get(name)
        if field is None:
            unknown.note(wire_type.name, name)
            continue
        try:
            record[name] = decode(item, field.type, unknown)
        except DecodeError as error:
            raise error.within(name) from None
    return record


_STRICT = UnknownFields(strict=True)


def _keyed_item(key: str, name: str, item: object) -> object:
    """An item of a keyed object, with its key as its field when it does not name one itself."""
    if isinstance(item, dict) and item.get(key) in (None, ""):
        return {**item, key: name}
    return item


def encode(value: object, wire_type: WireType) -> object:
    """A result as JSON-ready data holding exactly the fields ``wire_type`` declares."""
    if value is None and isinstance(wire_type, Scalar) and wire_type.false_is_none:
        return False  # the recorded answers' "ProductCategory": false
    if value is None or isinstance(wire_type, Scalar):
        return value
    if isinstance(wire_type, Keyed):
        keyed = cast(Iterable[Mapping[str, object]], value)  # a Keyed value is a list of records
        if not keyed:
            return []  # none, as the recorded answers write it ("Translations": [])
        return {str(item.get(wire_type.key)): encode(item, wire_type.item) for item in keyed}
    if isinstance(wire_type, Array):
        items = cast(Iterable[object], value)  # an Array's value is a list
        return [encode(item, wire_type.item) for item in items]
    struct: Struct = wire_type
    record = cast(Mapping[str, object], value)  # a Struct's value is a mapping
    return {f.name: encode(record.get(f.name), f.type) for f in struct.fields if f.answered(record)}
