"""The OpenAPI 3.1 document of the REST flavour, generated from the registry and the model."""

from __future__ import annotations

import json
from functools import cache

from twoco import __version__
from twoco.errors import CATALOGUE
from twoco.model import Array, Scalar, Struct, WireType, declared_types
from twoco.operations import operations_for
from twoco.protocols.rest import AUTH_HEADER, CUSTOMER_PATH_REFERENCE

_SCALARS = {
    "string": {"type": "string"},
    "int": {"type": "integer", "format": "int32"},
    "boolean": {"type": "boolean"},
    "double": {"type": "number", "format": "double"},
}
ERROR_STATUSES = ("400", "401", "404", "405", "409", "413")


def schema(wire_type: WireType, nullable: bool = True) -> dict[str, object]:
    if isinstance(wire_type, Scalar):
        base = dict(_SCALARS[wire_type.name])
        if nullable:
            base["type"] = [base["type"], "null"]
        return base
    if isinstance(wire_type, Array):
        array: dict[str, object] = {"type": ["array", "null"] if nullable else "array", "items": schema(wire_type.item)}
        return array
    reference = {"$ref": f"#/components/schemas/{wire_type.name}"}
    return {"anyOf": [reference, {"type": "null"}]} if nullable else reference


def _struct_schema(struct: Struct) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {f.name: schema(f.type) for f in struct.fields},
        "additionalProperties": False,
    }


def _json(wire_schema: dict[str, object]) -> dict[str, object]:
    return {"content": {"application/json": {"schema": wire_schema}}}


@cache
def _document(version: str) -> bytes:
    operations = [op for op in operations_for(version).values() if op.route is not None]
    structs, _ = declared_types([t for op in operations for t in (op.result, *(p.type for p in op.params))])
    paths: dict[str, dict[str, object]] = {}
    for op in operations:
        route = op.route
        assert route is not None
        parameters: list[dict[str, object]] = []
        body = None
        for param in op.params:
            if "{" + param.name + "}" in route.path:
                parameters.append({"name": param.name, "in": "path", "required": True, "schema": schema(param.type, False)})
            elif isinstance(param.type, Struct):
                body = {"required": True, **_json(schema(param.type, False))}
            elif not (param.name.endswith("CustomerReference") and CUSTOMER_PATH_REFERENCE in route.path):
                parameters.append({"name": param.name, "in": "query", "required": param.required, "schema": schema(param.type, False)})
        if "{" + CUSTOMER_PATH_REFERENCE + "}" in route.path:
            parameters.insert(0, {
                "name": CUSTOMER_PATH_REFERENCE,
                "in": "path",
                "required": True,
                "description": "AvangateCustomerReference, or ExternalCustomerReference",
                "schema": {"type": "string"},
            })  # fmt: skip
        responses: dict[str, object] = {"200": {"description": "Success", **_json(schema(op.result, False))}}
        for status in ERROR_STATUSES:
            responses[status] = {"description": "Error", **_json({"$ref": "#/components/schemas/Error"})}
        entry: dict[str, object] = {"operationId": op.name, "parameters": parameters, "responses": responses}
        if body is not None:
            entry["requestBody"] = body
        paths.setdefault(route.path, {})[route.method.lower()] = entry
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "twoco: 2Checkout customer API, REST",
            "version": f"{version} (twoco {__version__})",
            "description": "Every request is signed: X-Avangate-Authentication: "
            'code="MERCHANT" date="YYYY-MM-DD HH:MM:SS" hash="HMAC hex" algo="sha256".',
        },
        "servers": [{"url": f"/rest/{version}"}],
        "security": [{"avangate": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"avangate": {"type": "apiKey", "in": "header", "name": AUTH_HEADER}},
            "schemas": {
                **{s.name: _struct_schema(s) for s in structs},
                "Error": {
                    "type": "object",
                    "required": ["error_code", "message"],
                    "properties": {"error_code": {"type": "string", "enum": list(CATALOGUE)}, "message": {"type": "string"}},
                    "additionalProperties": False,
                },
            },
        },
    }
    return json.dumps(document, indent=2).encode()


def openapi_document(version: str) -> bytes:
    return _document(version)
