"""The OpenAPI 3.1 document of the REST flavour, generated from the registry and the model."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import cast

from twoco.core import validation as rules
from twoco.core.errors import CATALOGUE
from twoco.core.iso_codes import COUNTRY_CODES, LANGUAGE_CODES
from twoco.core.registry import Operation
from twoco.core.schema import (
    INT,
    STRING,
    Array,
    Field,
    Keyed,
    Scalar,
    Struct,
    WireType,
    declared_types,
)
from twoco.domains import REGISTRY
from twoco.domains.customers.rules import CUSTOMER_REQUIRED, END_USER_REQUIRED
from twoco.domains.customers.schema import CUSTOMER, CUSTOMER_V6, END_USER
from twoco.domains.customers.search import STATUSES
from twoco.domains.orders.schema import ORDER
from twoco.domains.products import rules as product_rules
from twoco.domains.products.schema import PRODUCT, PRODUCT_GROUP
from twoco.domains.sso.links import ACCOUNT_PAGES
from twoco.domains.subscriptions.rules import IMPORT_REQUIRED, MAX_QUANTITY, MIN_QUANTITY
from twoco.domains.subscriptions.schema import SUBSCRIPTION, SUBSCRIPTION_FLAGS
from twoco.domains.subscriptions.search import DATE_FILTERS, SUBSCRIPTION_TYPES
from twoco.protocols.rest import AUTH_HEADER, CUSTOMER_PATH_REFERENCE
from twoco.version import __version__

_SCALARS = {
    "string": {"type": "string"},
    "int": {"type": "integer", "format": "int32"},
    "boolean": {"type": "boolean"},
    "double": {"type": "number", "format": "double"},
}
# Every status an error of the catalogue travels with (any REST call may meet the HTTP-level ones,
# the store's 503 and the 500), with the codes that use it.
ERROR_STATUSES = {
    str(status): sorted(kind.code for kind in CATALOGUE.values() if kind.http_status == status)
    for status in sorted({kind.http_status for kind in CATALOGUE.values()})
}


def schema(wire_type: WireType, nullable: bool = True) -> dict[str, object]:
    if isinstance(wire_type, Scalar):
        base: dict[str, object] = dict(_SCALARS[wire_type.name])
        if nullable:
            base["type"] = [base["type"], "null"]
        if wire_type.false_is_none:  # answered false when none, as 2Checkout answers it
            return {"anyOf": [base, {"const": False}]}
        return base
    if isinstance(wire_type, Keyed):  # an object keyed by language (a request may send an array)
        keyed: dict[str, object] = {"type": "object", "additionalProperties": schema(wire_type.item)}
        return {"anyOf": [keyed, schema(Array(wire_type.item), False), {"type": "null"}]} if nullable else keyed
    if isinstance(wire_type, Array):
        array: dict[str, object] = {"type": ["array", "null"] if nullable else "array", "items": schema(wire_type.item)}
        return array
    reference: dict[str, object] = {"$ref": f"#/components/schemas/{wire_type.name}"}
    return {"anyOf": [reference, {"type": "null"}]} if nullable else reference


# --- request bodies: the validation rules of twoco.core.validation, stated as JSON Schema ---------

# JSON bodies cannot carry lone surrogates as valid UTF-8, and a surrogate range confuses
# pattern-based generators, so the schema leaves them out of the character class.
_C = rules.CONTROL_CHARACTERS.replace(r"\ud800-\udfff", "")
NO_CONTROLS = {"pattern": f"^[^{_C}]*$"}
NOT_BLANK_NO_CONTROLS = {"pattern": rf"^[^{_C}]*[^\s{_C}][^{_C}]*$"}
INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}


def _any_case(codes: frozenset[str]) -> list[str]:
    return sorted(
        {variant for code in codes for variant in (code, code.upper(), code.title(), code[0] + code[1].upper())}
    )


def _text(name: str, required: bool = False) -> dict[str, object]:
    """A text field: its length limit, no control characters, its own rule; never blank if required."""
    if name == "CountryCode":
        return {"enum": _any_case(COUNTRY_CODES) + ([] if required else [None])}
    if name == "Language":
        return {"enum": [*_any_case(LANGUAGE_CODES), "", None]}
    limit = rules.text_limit(name)
    if name == "Email":
        # Python's \s also matches U+0085, which a JSON Schema (ECMA) \s does not: named here.
        pattern = {"pattern": "^" + rules.EMAIL_PATTERN.replace("\\s", "\\s\\x85" + _C) + "$"}
    else:
        pattern = NOT_BLANK_NO_CONTROLS if required else NO_CONTROLS
    return {"type": "string" if required else ["string", "null"], "maxLength": limit, **pattern}


def _nullable(wire_schema: dict[str, object]) -> dict[str, object]:
    return {"anyOf": [wire_schema, {"type": "null"}]}


def _object(properties: Mapping[str, object], required: tuple[str, ...] = ()) -> dict[str, object]:
    # Other fields are ignored, as 2Checkout ignores them (refused under serve --strict-fields).
    described: dict[str, object] = {"type": "object", "properties": properties, "additionalProperties": True}
    if required:
        described["required"] = list(required)
    return described


def _person(struct: Struct, required: tuple[str, ...], create: bool) -> dict[str, object]:
    """Customer or EndUser input: on create the required fields must be there; on update they
    may be left out (they keep their value) but never emptied."""
    properties: dict[str, object] = {}
    for f in struct.fields:
        if f.name == "AvangateCustomerReference":
            properties[f.name] = _nullable(INT32)
        elif f.name == "Credit":
            amount = _nullable({"type": "number", "minimum": 0, "maximum": rules.MAX_AMOUNT})
            currency = {"type": ["string", "null"], "pattern": f"^{rules.CURRENCY_PATTERN}$"}
            properties[f.name] = _nullable(_object({"Limit": amount, "Remaining": amount, "Currency": currency}))
        elif isinstance(f.type, Scalar) and f.type.name == "string":
            properties[f.name] = _text(f.name, f.name in required)
        else:  # ExistingCards, Enabled, Trial: accepted and ignored
            properties[f.name] = schema(f.type)
    described = _object(properties, required if create else ())
    if "FiscalCode" in properties:
        described["if"] = {"properties": {"FiscalCode": {"type": "string", "minLength": 1}}, "required": ["FiscalCode"]}
        described["then"] = {"properties": {"Company": {"type": "string", "pattern": r"\S"}}, "required": ["Company"]}
    return described


def _subscription_import() -> dict[str, object]:
    date: dict[str, object] = {"type": "string", "format": "date", "pattern": f"^{rules.DATE_PATTERN}$"}
    flag = {"type": ["boolean", "null"]}
    product = _object(
        {
            "ProductCode": _text("ProductCode"),
            "ProductId": _nullable(INT32),
            "ProductName": _text("ProductName"),
            "ProductVersion": _text("ProductVersion"),
            "ProductQuantity": _nullable({"type": "integer", "minimum": MIN_QUANTITY, "maximum": MAX_QUANTITY}),
            "PriceOptionCodes": {"type": ["array", "null"], "items": _text("PriceOptionCode")},
        },
    )
    # A product is named by its code or its id.
    product["anyOf"] = [
        {"properties": {"ProductCode": NOT_BLANK_NO_CONTROLS | {"type": "string"}}, "required": ["ProductCode"]},
        {"properties": {"ProductId": INT32}, "required": ["ProductId"]},
    ]
    amount = _nullable({"type": "number", "minimum": 0, "maximum": rules.MAX_AMOUNT})
    currency = {"type": ["string", "null"], "pattern": f"^{rules.CURRENCY_PATTERN}$"}
    properties: dict[str, object] = {
        "SubscriptionReference": {"type": ["string", "null"], "description": "ignored: twoco makes the reference"},
        "StartDate": date,
        "ExpirationDate": date,
        "Product": product,
        "EndUser": _person(END_USER, END_USER_REQUIRED, create=True),
        "AvangateCustomerReference": _nullable(INT32),
        "ExternalCustomerReference": _text("ExternalCustomerReference"),
        "ExternalSubscriptionReference": _text("ExternalSubscriptionReference", required=True),
        "SKU": _text("SKU"),
        "PartnerCode": _text("PartnerCode"),
        "ActivationDate": _nullable(date),
        "DeliveryInfo": schema(SUBSCRIPTION.by_name["DeliveryInfo"].type),
        "NextRenewalPrice": amount,
        "NextRenewalPriceCurrency": currency,
        "SubscriptionValue": amount,
        "SubscriptionValueCurrency": currency,
        "CustomPriceBillingCyclesLeft": _nullable({"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
        "Test": _nullable({"enum": [0, 1]}),
        "LatestSubscriptionOrder": {
            **schema(SUBSCRIPTION.by_name["LatestSubscriptionOrder"].type),
            "description": "ignored: the order that made it",
        },
    }
    for name in SUBSCRIPTION_FLAGS:
        properties[name] = flag
    if set(properties) != set(SUBSCRIPTION.field_names):  # a field added to the model needs its schema here
        differing = sorted(set(properties) ^ set(SUBSCRIPTION.field_names))
        raise RuntimeError(f"the Subscription schema and the model differ in {', '.join(differing)}")
    return _object(properties, IMPORT_REQUIRED)


def _subscription_update() -> dict[str, object]:
    """updateSubscription's body: every Subscription field may be sent (a subscription read and sent
    back), those it changes are checked; the path names the subscription."""
    date: dict[str, object] = {"type": ["string", "null"], "pattern": f"^{rules.DATE_PATTERN}$"}
    described = _subscription_import()
    properties = dict(cast(dict[str, dict[str, object]], described["properties"]))  # _object's: a field's schema each
    properties.update(
        StartDate=date,
        ExpirationDate=date,
        Product=_nullable(properties["Product"]),
        EndUser=_nullable(_person(END_USER, END_USER_REQUIRED, create=False)),
        ExternalSubscriptionReference=_text("ExternalSubscriptionReference"),
    )
    return _object(properties)


def _product(create: bool) -> dict[str, object]:
    """addProduct's body (ProductCode and ProductName required), or updateProduct's (the path names
    the product; fields left out keep their values). Nested objects as the model declares them."""
    properties: dict[str, object] = {}
    for f in PRODUCT.fields:
        if f.name == "AvangateId":
            properties[f.name] = {**_nullable(INT32), "description": "ignored: twoco gives the AvangateId"}
        elif f.name == "ProductType":
            properties[f.name] = {"enum": [*product_rules.PRODUCT_TYPES, "", None]}
        elif isinstance(f.type, Scalar) and f.type.name == "string":
            required = create and f.name in product_rules.REQUIRED
            limit = product_rules.text_limit(f.name)
            pattern = NOT_BLANK_NO_CONTROLS if required else NO_CONTROLS
            properties[f.name] = {"type": "string" if required else ["string", "null"], "maxLength": limit, **pattern}
        else:
            properties[f.name] = schema(f.type)
    return _object(properties, product_rules.REQUIRED if create else ())


def _product_group() -> dict[str, object]:
    properties: dict[str, object] = {
        f.name: _text(f.name, f.name == "Name") if f.type == STRING else schema(f.type) for f in PRODUCT_GROUP.fields
    }
    properties["Code"] = {"type": ["string", "null"], "maxLength": rules.MAX_REFERENCE, **NO_CONTROLS}
    return _object(properties, ("Name",))


def _order() -> dict[str, object]:
    """placeOrder's body: the Order as the model declares it. What it must hold the rules say, as
    2Checkout's errors (ORDER_PRODUCTS_EMPTY, MISSING_REQUIRED_FIELD …), not the schema."""
    return _object({f.name: schema(f.type) for f in ORDER.fields})


def _named_parameters(op: Operation, path: str) -> dict[str, object]:
    """The body of a route whose parameters are its fields (``Route.body_fields``), in lower case
    as every REST client sends them."""
    sent = [p for p in op.params if "{" + p.name + "}" not in path]
    return _object(
        {p.name.lower(): schema(p.type, not p.required) for p in sent},
        tuple(p.name.lower() for p in sent if p.required),
    )


def _input_schemas(version: str) -> dict[str, dict[str, object]]:
    """Request-body schemas by operation name."""
    customer = CUSTOMER_V6 if version == "6.0" else CUSTOMER
    return {
        "createCustomer": _person(customer, CUSTOMER_REQUIRED, create=True),
        "updateCustomerInformation": _person(customer, CUSTOMER_REQUIRED, create=False),
        "addSubscription": _subscription_import(),
        "updateSubscription": _subscription_update(),
        "updateSubscriptionEndUser": _person(END_USER, END_USER_REQUIRED, create=False),
        "addProduct": _product(create=True),
        "updateProduct": _product(create=False),
        "addProductGroup": _product_group(),
        "placeOrder": _order(),
    }


# Rules of single sign-on parameters (twoco.domains.sso.links) the types alone do not say.
_PARAM_RULES: dict[str, dict[str, object]] = {
    "page": {"enum": list(ACCOUNT_PAGES)},
    "accessPage": {"enum": list(ACCOUNT_PAGES)},
    "validityTime": {"minimum": 1},
    "languageCode": {"enum": [*_any_case(LANGUAGE_CODES), ""]},
    "validationIp": {"anyOf": [{"maxLength": 0}, {"format": "ipv4"}, {"format": "ipv6"}]},
}


def _query_fields(struct: Struct) -> list[dict[str, object]]:
    """A GET's struct parameter as query parameters, one per field (a nested struct's by their names)."""
    parameters: list[dict[str, object]] = []
    for f in struct.fields:
        if isinstance(f.type, Struct):
            parameters += [p for p in _query_fields(f.type) if p["name"] != "Count"]
        elif isinstance(f.type, Array):
            parameters.append(
                {"name": f.name, "in": "query", "required": False, "schema": _query_schema(f.type, f.name)}
            )
        else:
            parameters.append({"name": f.name, "in": "query", "required": False, "schema": _filter_schema(f)})
    return parameters


def _filter_schema(f: Field) -> dict[str, object]:
    """A search filter's schema: its dates as dates, Type and Page/Limit as the search rules take them."""
    # (An empty query value counts as absent.)
    if f.name in DATE_FILTERS:
        return {"type": "string", "pattern": f"^({rules.DATE_PATTERN})?$"}
    if f.name == "Type":
        return {"enum": ["", *sorted(SUBSCRIPTION_TYPES)]}
    if f.name == "Status":
        return {"enum": ["", *sorted(STATUSES)]}
    if f.name in ("Page", "Limit"):
        return {**INT32, "minimum": 1}
    return _query_schema(f.type, f.name)


def _query_schema(wire_type: WireType, name: str) -> dict[str, object]:
    if isinstance(wire_type, Array):  # repeated or comma-separated (see twoco.protocols.rest)
        return {"type": "array", "items": _query_schema(wire_type.item, name)}
    if isinstance(wire_type, Scalar) and wire_type.name == "string":
        return _text(name)
    return INT32 if wire_type == INT else schema(wire_type, False)


def _struct_schema(struct: Struct) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {f.name: schema(f.type) for f in struct.fields if f.returned},
        "additionalProperties": False,
    }


def _json(wire_schema: dict[str, object]) -> dict[str, object]:
    return {"content": {"application/json": {"schema": wire_schema}}}


@cache
def _document(version: str) -> bytes:
    operations = [op for op in REGISTRY.operations_for(version).values() if op.route is not None]
    structs, _ = declared_types([t for op in operations for t in (op.result, *(p.type for p in op.params))])
    paths: dict[str, dict[str, object]] = {}
    inputs = _input_schemas(version)
    for op in operations:
        route = op.route
        assert route is not None  # for mypy: filtered above
        parameters: list[dict[str, object]] = []
        body = None
        fixed = dict(route.fixed)
        for param in op.params:
            name = route.name_of(param.name)
            if param.name in fixed or name == CUSTOMER_PATH_REFERENCE:
                continue  # implied by the route
            rules_of = _PARAM_RULES.get(param.name, {})
            if "{" + name + "}" in route.path:
                path_schema = {**schema(param.type, False), **rules_of}
                parameters.append({"name": name, "in": "path", "required": True, "schema": path_schema})
            elif route.body_fields:
                body = {"required": True, **_json(_named_parameters(op, route.path))}
            elif isinstance(param.type, Struct) and route.method == "GET":
                parameters += _query_fields(param.type)
            elif isinstance(param.type, Struct):
                body = {"required": True, **_json(inputs[op.name])}
            elif not (param.name.endswith("CustomerReference") and CUSTOMER_PATH_REFERENCE in route.path):
                query_schema = {**_query_schema(param.type, param.name), **rules_of}
                if param.required and param.type == STRING:
                    query_schema["minLength"] = 1  # an empty value is no value
                parameters.append({"name": name, "in": "query", "required": param.required, "schema": query_schema})
        body_struct = next((p.type for p in op.params if isinstance(p.type, Struct)), None)
        for name in re.findall(r"\{(\w+)\}", route.path):
            if body_struct is not None and name in body_struct.by_name:  # a field of the body, named by the path
                text = {"type": "string", "minLength": 1, "maxLength": rules.MAX_REFERENCE, **NO_CONTROLS}
                parameters.append({"name": name, "in": "path", "required": True, "schema": text})
        if "{" + CUSTOMER_PATH_REFERENCE + "}" in route.path:
            parameters.insert(0, {
                "name": CUSTOMER_PATH_REFERENCE,
                "in": "path",
                "required": True,
                "description": "AvangateCustomerReference, or ExternalCustomerReference",
                "schema": {"type": "string", "minLength": 1, "maxLength": rules.MAX_REFERENCE, **NO_CONTROLS},
            })  # fmt: skip
        created = route.created_with_201(version)
        success: dict[str, object] = {"description": "Created" if created else "Success"}
        if created:  # the new record's address
            success["headers"] = {"Location": {"schema": {"type": "string"}}}
        responses: dict[str, object] = {"201" if created else "200": {**success, **_json(schema(op.result, False))}}
        for status, codes in ERROR_STATUSES.items():
            error = {"description": "Error: " + ", ".join(codes), **_json({"$ref": "#/components/schemas/Error"})}
            responses[status] = error
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
                    "properties": {
                        "error_code": {"type": "string", "enum": list(CATALOGUE)},
                        "message": {"type": "string"},
                        "reason": {"type": "string", "description": "why, where the message is 2Checkout's own"},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }
    return json.dumps(document, indent=2).encode()


def openapi_document(version: str) -> bytes:
    return _document(version)
