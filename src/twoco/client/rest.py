"""REST, client side: an operation's route from the registry, the signature header, the answer."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import cast
from urllib.parse import quote

from twoco.client.errors import TransportError, TwoCheckoutError
from twoco.core.registry import Operation
from twoco.core.schema import Struct

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def auth_header(merchant_code: str, date: str, digest: str, algo: str) -> str:
    """The header every REST request carries: the login hash of ``date``, no session."""
    return f'code="{merchant_code}" date="{date}" hash="{digest}" algo="{algo}"'


def route_request(operation: Operation, args: Sequence[object]) -> tuple[str, str, dict[str, str], object]:
    """Method, path (below /rest/<version>), query and JSON body of a call, as its route lays them out.

    ``{Name}`` path segments take the parameter of that name; ``{CReference}`` the customer's
    reference (internal if given, else external); an object parameter is the body; other
    parameters that are not None go in the query string, or in the body on a route of
    ``body_fields``.
    """
    route = operation.route
    if route is None:
        raise ValueError(f"{operation.name} has no REST route")
    fixed = dict(route.fixed)  # implied by the route (customerType): not sent
    values = {param.name: value for param, value in zip(operation.params, args) if param.name not in fixed}
    param_of = {route.name_of(param.name): param.name for param in operation.params}
    in_path: set[str] = set()
    path = route.path
    body_fields = next(
        (v for p, v in zip(operation.params, args) if isinstance(p.type, Struct) and isinstance(v, dict)), {}
    )
    for name in _PLACEHOLDER.findall(route.path):
        if name == "CReference":
            value, used = _customer_in_path(operation, values)
        else:  # a parameter (by its REST name), or a field of the body (PUT /subscriptions/{SubscriptionReference}/)
            used = param_of.get(name, name)
            value = values.get(used, body_fields.get(name))
        if value in (None, ""):
            raise ValueError(f"{operation.name} over REST needs {'a customer reference' if used is None else used}")
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
        in_path.add(used or "")
    query: dict[str, str] = {}
    body: object = None
    if route.body_fields:  # the parameters are the body's fields, in lower case (issueRefund's)
        body = {name.lower(): value for name, value in values.items() if name not in in_path and value is not None}
        return route.method, path, query, body
    for param in operation.params:
        value = values.get(param.name)
        if value is None or param.name in in_path:
            continue
        if isinstance(param.type, Struct) and route.method == "GET":  # a search: its filters in the query
            query.update(_query_fields(cast(dict[str, object], value)))  # a Struct's value is a dict
        elif isinstance(param.type, Struct):
            body = value
        elif isinstance(value, list):  # cancelSubscription's ChurnReasons: comma-separated, as the server reads it
            query[route.name_of(param.name)] = ",".join(_text(item) for item in value)
        else:
            query[route.name_of(param.name)] = _text(value)
    return route.method, path, query, body


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _query_fields(record: dict[str, object]) -> dict[str, str]:
    """A GET's object parameter as query parameters: its fields (a nested object's by their own
    names), lists comma-separated, None left out."""
    query: dict[str, str] = {}
    for name, value in record.items():
        if isinstance(value, dict):
            query.update(_query_fields(value))
        elif isinstance(value, list):
            query[name] = ",".join(_text(item) for item in value)
        elif value is not None:
            query[name] = _text(value)
    return query


def _customer_in_path(operation: Operation, values: dict[str, object]) -> tuple[object, str | None]:
    """The customer reference for ``{CReference}`` and the parameter it came from (None: from the body)."""
    first = operation.params[0]
    if isinstance(first.type, Struct):  # an update: the Customer object names its customer
        customer = values.get(first.name) or {}
        if not isinstance(customer, dict):
            return None, None
        return customer.get("AvangateCustomerReference") or customer.get("ExternalCustomerReference"), None
    if values.get(first.name):
        return values[first.name], first.name
    return values.get("ExternalCustomerReference"), "ExternalCustomerReference"


def request_body(body: object) -> bytes | None:
    return None if body is None else json.dumps(body, allow_nan=False).encode()


def read_answer(status: int, body: bytes) -> object:
    """The JSON answer of a 2xx, or the error body raised as TwoCheckoutError."""
    try:
        answer = json.loads(body) if body else None
    except ValueError:
        text = body[:200].decode("utf-8", "replace").strip()
        raise TransportError("UNEXPECTED_RESPONSE", f"HTTP {status}, not JSON: {text!r}", status) from None
    if 200 <= status < 300:
        return answer
    if isinstance(answer, dict) and "error_code" in answer:
        message = str(answer.get("message", ""))
        if answer.get("reason"):  # why, where the message is 2Checkout's own fixed text
            message = f"{message}: {answer['reason']}"
        raise TwoCheckoutError(str(answer["error_code"]), message, status)
    raise TransportError("UNEXPECTED_RESPONSE", f"HTTP {status}: {str(answer)[:200]!r}", status)
