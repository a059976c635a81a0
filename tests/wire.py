"""Raw requests for any registry operation on any protocol, and strict reading of the answers.

The hostile-input suites need what the polite clients in ``tests/clients`` hide: the bytes sent
(to mutate them) and everything answered (status, fault code, message), checked against the
error catalogue. Requests are built from the registry (``twoco.core.registry``), so a new operation
is covered as soon as :func:`valid_args` knows how to fill its parameters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import httpx
from lxml import etree

from tests.clients import now_utc
from tests.data import customer_data, subscription_data, test_payment
from twoco.core.auth import login_hash
from twoco.core.errors import CATALOGUE
from twoco.core.registry import Operation
from twoco.core.schema import Struct

PROTOCOLS = tuple(
    f"{kind}-{version}" for kind in ("soap", "jsonrpc", "rest") for version in ("3.0", "4.0", "5.0", "6.0")
)
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class Pairs(list):
    """A JSON object or XML struct written from (name, value) pairs: it may repeat a name."""


@dataclass
class RawRequest:
    method: str
    path: str  # with the query string, percent-encoded
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Answer:
    status: int
    error_code: str | None  # None: success
    message: str = ""
    faultcode: str = ""
    result: object = None
    problems: list[str] = field(default_factory=list)  # answers outside the documented set

    @property
    def failed(self) -> bool:
        return self.error_code is not None


@dataclass
class Records:
    """One merchant's customer, subscription and product, which valid requests name."""

    code: str
    secret: str
    customer: int
    external_customer: str
    subscription: str
    external_subscription: str
    product: str = "NO-PRODUCT"  # a ProductCode of the merchant's catalogue
    product_id: int = 1_000_000  # and its AvangateId
    order: str = "100000000"  # the RefNo of an order of the merchant's (never PENDING)


def valid_args(operation: Operation, records: Records, version: str) -> list[object]:
    """A valid argument list (after the session ID) for ``operation`` about ``records``.

    An operation with a parameter this does not know fails here: a new operation must be taught.
    """
    date = now_utc()
    algo = "sha256" if version in ("5.0", "6.0") else "md5"
    values: dict[str, object] = {
        "merchantCode": records.code,
        "date": date,
        "hash": login_hash(records.secret, records.code, date, algo),
        "algo": algo,
        "AvangateCustomerReference": records.customer,
        "CustomerReference": records.customer,
        "ExternalCustomerReference": None,
        "IncludePaymentData": False,
        "UpdateEndUserSubscriptions": False,
        "SubscriptionReference": [records.subscription]
        if operation.name == "getSubscriptions"
        else records.subscription,
        # Creating again with references already taken: refused, so the fuzz does not fill the store.
        "Customer": customer_data(ExternalCustomerReference=records.external_customer)
        if operation.name == "createCustomer"
        else {"AvangateCustomerReference": records.customer, "FirstName": "Ada"},
        "Subscription": {"SubscriptionReference": records.subscription, "RecurringEnabled": True}
        if operation.name == "updateSubscription"
        else subscription_data(records.customer, records.external_subscription),
        "Test": 1,
        "Aggregate": False,
        "SearchBy": {"Email": "ada@example.com", "Status": "ACTIVE"}
        if operation.name == "searchCustomers"
        else {"AvangateCustomerReference": records.customer, "SubscriptionEnabled": True},
        "ChurnReasons": ["CHURN_REASON_OTHER"],
        "ChurnReasonOther": "moved to another tool",
        "EndUser": {
            "FirstName": "End",
            "LastName": "User",
            "Email": "end@example.com",
            "City": "Iasi",
            "CountryCode": "RO",
        },
        # Single sign-on (twoco.core.sso).
        "idCustomer": str(records.customer),
        "customerType": "AvangateCustomerReference",
        "page": "user_data",
        "request": None,
        "validityTime": 60,
        "validationIp": None,
        "languageCode": "en",
        "url": "https://store.example/order/checkout.php?PRODS=1",
        "subscriptionReference": records.subscription,
        "email": None,
        "accessPage": "my_license",
        "singleSignOnToken": "0" * 40,  # names no token: a lookup that fails, and changes nothing
        # The catalogue (twoco.domains.products): adding again a code already taken is refused.
        "ProductCode": records.product,
        "AvangateId": records.product_id,
        "Product": {"ProductCode": records.product, "ProductName": "Catalogue product"}
        if operation.name == "addProduct"
        else {"ProductCode": records.product, "ShortDescription": "Changed"},
        "Status": True,
        "ReviewProductUrl": None,
        "ReviewAdditionalDetails": None,
        "SearchOptions": {"ExternalRefNo": "NONE"}
        if operation.name == "searchOrders"
        else {"Codes": [records.product], "Enabled": True},
        "countryCode": None,
        "paymentMethod": None,
        "ProductGroup": {"Name": "General"},  # taken: refused, and nothing is stored
        # Orders (twoco.domains.orders): paying again an order that is not PENDING is refused.
        "Order": {"RefNo": records.order, "PaymentDetails": test_payment()},
        "RefNo": records.order,
        "Amount": 1.0,
        "Items": None,
        "Comment": "tested",
        "Reason": "Other",
    }
    unknown = [param.name for param in operation.params if param.name not in values]
    assert not unknown, f"tests/wire.py cannot fill {operation.name}'s parameters {unknown}: teach valid_args"
    return [values[param.name] for param in operation.params]


def _json(value: object) -> str:
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_json(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(item) for item in value) + "]"
    return json.dumps(value)


def _xml(name: str, value: object) -> str:
    """Any Python value as an untyped SOAP element, whatever the type the operation declares."""
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    if isinstance(value, (dict, Pairs)):
        pairs = value if isinstance(value, Pairs) else list(value.items())
        return f"<{name}>" + "".join(_xml(str(k), v) for k, v in pairs) + f"</{name}>"
    if isinstance(value, list):
        return f"<{name}>" + "".join(_xml("item", item) for item in value) + f"</{name}>"
    if isinstance(value, bool):
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


def soap_envelope(operation: str, names: list[str], args: list[object]) -> bytes:
    params = "".join(_xml(name, value) for name, value in zip(names, args))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:o="urn:order">'
        f"<soapenv:Body><o:{operation}>{params}</o:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8: a test too


MAX_URL_TEXT = 4_000  # httpx refuses URLs over 64 KiB: longer path and query values are cut


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:MAX_URL_TEXT]


def _query_fields(value: object) -> dict[str, bytes]:
    """A search's filters as query parameters: fields by name (Pagination's too), lists comma-joined."""
    if not isinstance(value, (dict, Pairs)):
        return {} if value is None else {"SearchBy": _url_text(value)}
    query: dict[str, bytes] = {}
    for name, item in value if isinstance(value, Pairs) else value.items():
        if isinstance(item, (dict, Pairs)):
            query.update(_query_fields(item))
        elif isinstance(item, list):
            query[str(name)] = _url_text(",".join(_text(element) for element in item))  # cut as a whole
        elif item is not None:
            query[str(name)] = _url_text(item)
    return query


def _url_text(value: object) -> bytes:
    return _text(value).encode("utf-8", "surrogatepass")  # a lone surrogate: bytes that are not UTF-8


class Wire:
    """Requests on one protocol (``soap-4.0``, ``jsonrpc-6.0``, ``rest-6.0``, …) as one merchant."""

    def __init__(self, http: httpx.Client, name: str, records: Records) -> None:
        self.http, self.name, self.records = http, name, records
        self.protocol, self.version = name.split("-")
        self.session = ""
        if self.protocol != "rest":
            from twoco.domains import REGISTRY

            login = REGISTRY.lookup(self.version, "login")
            answer = self.call(login, valid_args(login, records, self.version))
            assert not answer.failed and not answer.problems, answer
            self.session = str(answer.result)

    def args(self, operation: Operation, args: list[object]) -> list[object]:
        """The wire arguments: the session ID first where the operation needs one."""
        return [self.session, *args] if operation.needs_session and self.protocol != "rest" else list(args)

    def build(self, operation: Operation, args: list[object]) -> RawRequest:
        """``args`` as the wire arguments (see :meth:`args`); any Python values, not only valid ones."""
        if self.protocol == "soap":
            names = [param.name for param in operation.wire_params]
            names += [f"extra{i}" for i in range(len(args) - len(names))]
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"urn:order#{operation.name}"'}
            return RawRequest("POST", f"/soap/{self.version}/", headers, soap_envelope(operation.name, names, args))
        if self.protocol == "jsonrpc":
            payload = Pairs([("jsonrpc", "2.0"), ("id", 1), ("method", operation.name), ("params", list(args))])
            return RawRequest(
                "POST", f"/rpc/{self.version}/", {"Content-Type": "application/json"}, _json(payload).encode()
            )
        return self._rest(operation, args)

    def _rest(self, operation: Operation, args: list[object]) -> RawRequest:
        assert operation.route is not None, f"{operation.name} has no REST route"
        args = list(args) + [None] * (len(operation.params) - len(args))
        by_name = {param.name: value for param, value in zip(operation.params, args)}
        path = operation.route.path
        fixed = dict(operation.route.fixed)  # implied by the route: not sent
        if "{CReference}" in path:
            first = operation.params[0]
            if isinstance(first.type, Struct):  # an update: the body's references name the customer
                body = args[0] if isinstance(args[0], dict) else {}
                named = body.get("AvangateCustomerReference") or body.get("ExternalCustomerReference")
            else:  # a lookup: the first reference given goes in the path, the external one also in the query
                named = args[0] or args[1]
                if not (args[0] and args[1]):
                    by_name.pop(operation.params[1].name, None)
                by_name.pop(first.name, None)
            path = path.replace("{CReference}", quote(_url_text(named or 0), safe=""))
        body_bytes = b""
        query = {}
        for param in operation.params:
            if param.name not in by_name or param.name in fixed:
                continue
            value = by_name[param.name]
            name = operation.route.name_of(param.name)
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", quote(_url_text(value), safe=""))
            elif isinstance(param.type, Struct) and operation.route.method == "GET":  # a search: filters in the query
                query.update(_query_fields(value))
            elif isinstance(param.type, Struct):
                for name in param.type.by_name:  # a field the path names (PUT /subscriptions/{SubscriptionReference}/)
                    if "{" + name + "}" in path:
                        named = value.get(name) if isinstance(value, dict) else None
                        path = path.replace("{" + name + "}", quote(_url_text(named or "X"), safe=""))
                body_bytes = b"" if value is None else _json(value).encode()
            elif isinstance(value, list):  # cancelSubscription's ChurnReasons: comma-separated (and cut, as any value)
                query[name] = _url_text(",".join(_text(item) for item in value))
            elif value is not None:
                query[name] = _url_text(value)
        assert "{" not in path, f"tests/wire.py cannot fill the REST route {operation.route.path}"
        headers = {"X-Avangate-Authentication": self.auth_header()}
        if body_bytes:
            headers["Content-Type"] = "application/json"
        url = f"/rest/{self.version}{path}" + (f"?{urlencode(query)}" if query else "")
        return RawRequest(operation.route.method, url, headers, body_bytes)

    def auth_header(self) -> str:
        date = now_utc()
        digest = login_hash(self.records.secret, self.records.code, date, "sha256")
        return f'code="{self.records.code}" date="{date}" hash="{digest}" algo="sha256"'

    def call(self, operation: Operation, args: list[object]) -> Answer:
        return self.send(self.build(operation, self.args(operation, args)))

    def send(self, request: RawRequest) -> Answer:
        response = self.http.request(request.method, request.path, headers=request.headers, content=request.body)
        return read_answer(self.protocol, response)


def read_answer(protocol: str, response: httpx.Response) -> Answer:
    """What the server answered, with ``problems`` naming anything outside the documented set."""
    content_type = response.headers.get("content-type", "")
    if protocol == "soap" and content_type.startswith("text/xml"):
        return _read_soap(response)
    if protocol == "jsonrpc" and response.status_code in (200, 204):
        return _read_jsonrpc(response)
    if response.status_code not in (200, 201):  # 201: a legacy REST creation
        return _read_http_error(response)
    answer = Answer(response.status_code, None)
    if protocol != "rest":
        answer.problems.append(f"{protocol} answered 200 with {content_type!r}")
    try:
        answer.result = response.json()
    except ValueError:
        answer.problems.append(f"REST 200 without JSON: {response.text[:200]!r}")
    return answer


def _check_code(answer: Answer) -> None:
    kind = CATALOGUE.get(answer.error_code or "")
    if kind is None:
        answer.problems.append(f"error code {answer.error_code!r} is not in the catalogue")
    elif not kind.client_fault:
        answer.problems.append(f"a server-side error: {answer.error_code} {answer.message}")
    if "Traceback" in answer.message:
        answer.problems.append("a traceback in the message")


def _read_http_error(response: httpx.Response) -> Answer:
    answer = Answer(response.status_code, "?")
    try:
        payload = response.json()
    except ValueError:
        answer.problems.append(f"HTTP {response.status_code} without JSON: {response.text[:200]!r}")
        return answer
    # "reason" stands beside a message that is 2Checkout's fixed text (REST's 401).
    if not isinstance(payload, dict) or not {"error_code", "message"} <= set(payload) <= {
        "error_code",
        "message",
        "reason",
    }:
        answer.problems.append(f"an error body not shaped {{error_code, message}}: {payload!r:.200}")
        return answer
    answer.error_code, answer.message = payload["error_code"], payload["message"]
    _check_code(answer)
    kind = CATALOGUE.get(answer.error_code)
    if kind and kind.http_status != response.status_code:
        answer.problems.append(f"{answer.error_code} with HTTP {response.status_code}, not {kind.http_status}")
    return answer


def _read_soap(response: httpx.Response) -> Answer:
    answer = Answer(response.status_code, None)
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError:
        answer.problems.append(f"SOAP answer that is not XML: {response.text[:200]!r}")
        return answer
    fault = root.find(f".//{{{SOAP_ENV}}}Fault")
    if fault is None:
        if response.status_code != 200 or root.find(f"{{{SOAP_ENV}}}Body") is None:
            answer.problems.append(f"SOAP answer {response.status_code} with neither result nor Fault")
        else:
            answer.result = root.find(f"{{{SOAP_ENV}}}Body")[0].findtext("return")
        return answer
    answer.error_code = fault.findtext("detail/error_code") or "?"
    answer.message = fault.findtext("faultstring") or ""
    answer.faultcode = fault.findtext("faultcode") or ""
    _check_code(answer)
    if response.status_code != 500:
        answer.problems.append(f"a Fault with HTTP {response.status_code}")
    if answer.faultcode not in ("SOAP-ENV:Client", "SOAP-ENV:VersionMismatch"):
        answer.problems.append(f"faultcode {answer.faultcode!r}")
    return answer


def _read_jsonrpc(response: httpx.Response) -> Answer:
    answer = Answer(response.status_code, None)
    if response.status_code == 204 and not response.content:
        answer.error_code = None  # a notification: nothing to read; the caller cannot tell
        answer.result = NOTIFICATION
        return answer
    if response.status_code != 200:
        answer.problems.append(f"JSON-RPC answer with HTTP {response.status_code}")
        return answer
    try:
        payload = response.json()
    except ValueError:
        answer.problems.append(f"JSON-RPC answer that is not JSON: {response.text[:200]!r}")
        return answer
    replies = payload if isinstance(payload, list) else [payload]
    for reply in replies:
        if not isinstance(reply, dict) or reply.get("jsonrpc") != "2.0" or ("result" in reply) == ("error" in reply):
            answer.problems.append(f"not a JSON-RPC reply: {reply!r:.200}")
            continue
        if "result" in reply:
            answer.result = reply["result"]
            continue
        error = reply["error"]
        answer.error_code = str(error.get("data", {}).get("error_code"))
        answer.message = str(error.get("message"))
        _check_code(answer)
        kind = CATALOGUE.get(answer.error_code)
        if kind and error.get("code") != kind.rpc_code:
            answer.problems.append(f"{answer.error_code} with JSON-RPC code {error.get('code')}, not {kind.rpc_code}")
    if isinstance(payload, list) and any("result" in reply for reply in replies if isinstance(reply, dict)):
        answer.error_code = None  # something in the batch succeeded
    return answer


NOTIFICATION = object()


def store_digest(store) -> str:
    """A hash over every row of customers, subscriptions, products and product groups, read straight from the store."""
    digest = hashlib.sha256()
    with store.transaction(write=False) as cursor:
        tables = {"customers": "reference", "subscriptions": "reference", "products": "id", "product_groups": "code"}
        for table, order in tables.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY merchant_id, {order}")
            for row in cursor.fetchall():
                digest.update(repr(tuple(row)).encode())
            digest.update(b"|")
    return digest.hexdigest()
