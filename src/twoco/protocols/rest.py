"""REST: routes derived from the registry, stateless authentication per request.

Every request carries ``X-Avangate-Authentication: code="…" date="…" hash="…" algo="…"``
(no ``algo`` means MD5, as older clients send it; values in single quotes and any separators
are read too, as 2Checkout's Node SDK writes them). Parameters come from the route: ``{Name}``
path segments, the JSON body for an object parameter, the query string for the rest
(names matched case-insensitively). ``{CReference}`` names a customer by either reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qs, quote, unquote

from twoco.core.auth import REST_AUTH_HEADER
from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.port import Merchant
from twoco.core.registry import Caller, Operation, Param
from twoco.core.schema import Array, DecodeError, Scalar, Struct, UnknownFields
from twoco.core.service import Service
from twoco.domains import REGISTRY, DomainStore
from twoco.domains.customers.operations import customer_reference
from twoco.protocols import Response, error_response, json_codec
from twoco.protocols.arguments import decode_arguments
from twoco.protocols.limits import JSON_MEDIA_TYPES, check_media_type

AUTH_HEADER = REST_AUTH_HEADER.lower()  # as headers arrive here
MAX_AUTH_HEADER = 1024
# key="value", key='value' or key=value, with anything between pairs; \b: a failed match costs linear time.
_AUTH_PAIR = re.compile(r"""\b(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"',;]+))""")
CUSTOMER_PATH_REFERENCE = "CReference"
_ARRAY_SUFFIX = re.compile(r"\[[0-9]*\]$")


@dataclass(frozen=True)
class _Route:
    operation: Operation
    pattern: re.Pattern[str]


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path.strip("/")))
    return re.compile(f"{regex}/?")


def parse_auth_header(value: str) -> dict[str, str]:
    if len(value) > MAX_AUTH_HEADER:
        return {}
    return {key.lower(): double or single or bare for key, double, single, bare in _AUTH_PAIR.findall(value)}


class RestAdapter:
    def __init__(self, service: Service[DomainStore], version: str = "6.0") -> None:
        self.service = service
        self.version = version
        self.protocol = f"rest/{version}"
        self.routes = [
            _Route(op, _compile(op.route.path))
            for op in REGISTRY.operations_for(version).values()
            if op.route is not None
        ]

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        exchange: Exchange,
        base: str = "",
    ) -> Response:
        """``path`` is the percent-encoded path below ``base`` (/rest/<version>); segments are decoded once, here."""
        exchange.protocol = self.protocol
        try:
            # Credentials first, as 2Checkout checks them: a wrong key gets 401 on any path.
            merchant = self._authenticate(headers, exchange.client)
            merchant_id = exchange.merchant_id = merchant.id
            exchange.merchant_code = merchant.code
            route, values = self._match(method, path.strip("/"), base or f"/rest/{self.version}")
            exchange.operation = route.operation.name
            caller = Caller(self.version, "rest", merchant_id, exchange.client, route.operation.name, exchange)
            rest_route = route.operation.route
            assert rest_route is not None  # for mypy: self.routes holds routed operations only
            # A read resolves {CReference} and answers in one read transaction (on PostgreSQL it
            # costs no round trip). A write leaves its transactions to the service, so that an
            # update is read and made in two round trips: the reference it resolved first names
            # that customer for good (an external reference, once given, never changes).
            reads = rest_route.method == "GET" and not rest_route.writes
            with self.service.store.transaction(write=False) if reads else nullcontext():
                unknown = UnknownFields(self.service.context.settings.strict_fields)
                content_type = headers.get("content-type", "")
                args = self._arguments(route.operation, caller, values, query, body, content_type, unknown)
                exchange.ignored_fields = unknown.names
                result = self.service.invoke(route.operation, args, caller)
            answer = json_codec.dumps(json_codec.encode(result, route.operation.result))
            if rest_route.created_with_201(self.version):
                # The body's key as stored: trimmed, as the rules store a ProductCode.
                named = _location_name(rest_route.location, args, result)
                location = f"{base or '/rest/' + self.version}/{path.strip('/')}/{quote(str(named), safe='')}/"
                return Response(201, answer, "application/json", [("location", location)])
            return Response(200, answer, "application/json")
        except ApiError as error:
            exchange.error_code = error.code
            return error_response(error)
        # Any other exception passes to the app, which logs it and answers INTERNAL_ERROR as REST would.

    def _match(self, method: str, path: str, base: str) -> tuple[_Route, dict[str, str]]:
        allowed = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found:
                rest_route = route.operation.route
                assert rest_route is not None  # self.routes holds the operations that have one
                if rest_route.method == method:
                    return route, {k: unquote(v) for k, v in found.groupdict().items()}
                allowed.append(rest_route.method)
        if allowed:
            raise ApiError("METHOD_NOT_ALLOWED", method=method[:20], allowed=", ".join(sorted(set(allowed))))
        raise ApiError("ENDPOINT_NOT_FOUND", path=f"{base}/{path}"[:200])

    def _authenticate(self, headers: dict[str, str], client: str) -> Merchant:
        fields = parse_auth_header(headers.get(AUTH_HEADER, ""))
        if not all(fields.get(key) for key in ("code", "date", "hash")):
            raise ApiError(
                "AUTHENTICATION_ERROR",
                reason='send X-Avangate-Authentication: code="…" date="…" hash="…" algo="sha256"',
            )
        try:
            return self.service.sessions.authenticate(
                self.version, fields["code"], fields["date"], fields["hash"], fields.get("algo"), client
            )
        except ApiError as error:
            # Its own status (429, or the store's 503), so that a client knows to wait rather than to fix its key.
            if error.code == "TOO_MANY_FAILED_LOGINS" or not error.kind.client_fault:
                raise
            raise ApiError("AUTHENTICATION_ERROR", reason=error.message) from None

    def _arguments(
        self,
        operation: Operation,
        caller: Caller,
        path_values: dict[str, str],
        query: str,
        body: bytes,
        content_type: str,
        unknown: UnknownFields,
    ) -> list[object]:
        """The operation's arguments; fields the body's objects do not declare go to ``unknown``."""
        queried: dict[str, list[str]] = {}
        for key, values in parse_qs(query, keep_blank_values=True).items():
            # PHP writes an array filter as Types[]=… or Types[0]=…: the same filter as Types=….
            queried.setdefault(_ARRAY_SUFFIX.sub("", key).lower(), []).extend(values)
        route = operation.route
        assert route is not None  # for mypy: as above
        fixed = dict(route.fixed)

        def argument(param: Param, name: str) -> object:
            """``param``, found where the route puts it by its REST ``name``."""
            if param.name in fixed:
                value = fixed[param.name]
            elif name in path_values:
                value = cast(Scalar, param.type).from_text(path_values[name])  # path parameters are scalars
            elif route.body_fields:
                value = json_codec.decode(fields.get(name.lower()), param.type, unknown)
            elif isinstance(param.type, Struct) and route.method == "GET":
                value = _struct_from_query(param.type, queried)
            elif isinstance(param.type, Struct):
                if body.strip():
                    check_media_type(content_type, JSON_MEDIA_TYPES)
                value = json_codec.decode(json_codec.parse(body) if body.strip() else None, param.type, unknown)
                value = _fill_from_path(param.type, value, path_values)
            elif isinstance(param.type, Array) and isinstance(param.type.item, Scalar):
                # Repeated or comma-separated, as a search's array filters (cancelSubscription's ChurnReasons).
                texts = [item for text in queried.get(name.lower(), []) for item in text.split(",") if item]
                value = [param.type.item.from_text(item) for item in texts] or None
            else:
                text = queried.get(name.lower(), [""])[-1]
                value = param.type.from_text(text) if text and isinstance(param.type, Scalar) else None
            if value is None and param.required:
                where = "the JSON body" if isinstance(param.type, Struct) or route.body_fields else "the query string"
                raise ApiError("INVALID_PARAMETERS", operation=operation.name, reason=f"{name} is required in {where}")
            return value

        try:
            fields = _body_fields(body, content_type) if route.body_fields else {}
        except DecodeError as error:
            raise ApiError("INVALID_PARAMETERS", operation=operation.name, reason=str(error)) from None
        named = [(param, route.name_of(param.name)) for param in operation.params]
        args = decode_arguments(operation, named, argument)
        if CUSTOMER_PATH_REFERENCE in path_values:
            self._bind_customer(operation, caller, path_values[CUSTOMER_PATH_REFERENCE], args)
        return args

    def _bind_customer(self, operation: Operation, caller: Caller, text: str, args: list[object]) -> None:
        """Put the customer the path names where the operation expects it."""
        reference = customer_reference(self.service.context, caller, text)
        first = operation.params[0]
        if isinstance(first.type, Struct):  # an update: the Customer object names its customer
            customer = dict(cast(Mapping[str, object], args[0]))  # a decoded Customer: a dict
            if customer.get("AvangateCustomerReference") not in (None, 0, reference):
                raise ApiError("CUSTOMER_REFERENCE_MISMATCH")
            customer["AvangateCustomerReference"] = reference
            args[0] = customer
        else:
            args[0] = reference


def _body_fields(body: bytes, content_type: str) -> dict[str, object]:
    """A body of named parameters, by name in lower case (``Route.body_fields``)."""
    if not body.strip():
        return {}
    check_media_type(content_type, JSON_MEDIA_TYPES)
    parsed = json_codec.parse(body)
    if not isinstance(parsed, dict):
        raise DecodeError("the body must be a JSON object of the parameters")
    return {str(key).lower(): value for key, value in parsed.items()}


def _location_name(location: str, args: list[object], result: object) -> object:
    """What names a new resource in its Location (``Route.location``): the body's key as stored
    (trimmed, as the rules store a ProductCode), else the result's."""
    if not location:
        return result
    body = cast(Mapping[str, object], args[0])  # a creation's one parameter: the new resource's object
    if body.get(location) is not None:
        return str(body[location]).strip()
    return cast(Mapping[str, object], result)[location]


def _struct_from_query(struct: Struct, queried: dict[str, list[str]]) -> dict[str, object] | None:
    """A struct parameter of a GET (a search's filters) from the query string: one query parameter
    per field, by name, case-insensitively; a nested struct's fields by their own names
    (``Page``, ``Limit`` for Pagination); an array field repeated or comma-separated. None if
    no field is given."""
    record: dict[str, object] = {}
    for f in struct.fields:
        try:
            if isinstance(f.type, Struct):
                inner = _struct_from_query(f.type, queried)
                if inner is not None:
                    record[f.name] = inner
                continue
            texts = [text for text in queried.get(f.name.lower(), []) if text]
            if not texts:
                continue
            if isinstance(f.type, Array) and isinstance(f.type.item, Scalar):
                record[f.name] = [f.type.item.from_text(item) for text in texts for item in text.split(",") if item]
            elif isinstance(f.type, Scalar):
                record[f.name] = f.type.from_text(texts[-1])
        except DecodeError as error:
            raise error.within(f.name) from None
    return record or None


def _fill_from_path(struct: Struct, value: object, path_values: dict[str, str]) -> object:
    """A body object with the fields the path names (``PUT /subscriptions/{SubscriptionReference}/``
    puts the reference inside the Subscription); a body naming a different one is refused."""
    named = {name: text for name, text in path_values.items() if name in struct.by_name}
    if not named or value is None:  # no body: refused as missing, not made up from the path
        return value
    record = dict(cast(Mapping[str, object], value))  # a decoded body object (not None, as above): a dict
    for name, text in named.items():
        field_type = struct.by_name[name].type
        given = field_type.from_text(text) if isinstance(field_type, Scalar) else text
        if record.get(name) not in (None, given):
            raise DecodeError(f"names {record[name]!r}, the path {given!r}", name)
        record[name] = given
    return record
