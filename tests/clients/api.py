"""One logged-in API client per protocol, for the conformance suite.

``api.call(operation, *args)`` takes the operation's positional arguments without the
session ID (the client holds its credentials) and returns plain Python or raises
:class:`tests.clients.Fault` with the error code the server answered.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote, urlencode

from tests.clients import Fault, SudsClient, now_utc
from tests.servers import http_client
from twoco.core.auth import login_hash
from twoco.core.schema import INT_AS_TEXT, Array, Scalar, WireType
from twoco.domains import REGISTRY


def signing_algo(version: str) -> str | None:
    """How the docs' samples of each version log in: MD5 without algo (3.0, 4.0), sha256 with it (5.0, 6.0)."""
    return "sha256" if version in ("5.0", "6.0") else None


class Api:
    protocol = ""
    version = ""

    def __init__(self, base_url: str, code: str, secret: str) -> None:
        self.base_url, self.code, self.secret = base_url, code, secret

    @property
    def name(self) -> str:
        return f"{self.protocol} {self.version}"

    def call(self, operation: str, *args: object) -> object:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        http = getattr(self, "http", None)
        if http is not None:
            http.close()


class SoapApi(Api):
    protocol = "soap"

    def __init__(self, base_url: str, code: str, secret: str, version: str) -> None:
        super().__init__(base_url, code, secret)
        self.version = version
        self.client = SudsClient(base_url, version)
        self.session = self.client.login(code, secret, signing_algo(version))

    def call(self, operation: str, *args: object) -> object:
        result = self.client.call(operation, self.session, *args)
        # SOAP 3.0 writes references and product ids as text, as 2Checkout's 3.0 did (tests/protocols/test_soap_versions.py):
        # read back as the integers they are, so every protocol's answers compare alike.
        return integers_of(result, REGISTRY.lookup(self.version, operation).result)


def integers_of(value: object, wire_type: WireType) -> object:
    if value is None:
        return None
    if isinstance(wire_type, Scalar):
        return int(value) if wire_type == INT_AS_TEXT else value  # type: ignore[call-overload]
    if isinstance(wire_type, Array):
        return [integers_of(item, wire_type.item) for item in value]  # type: ignore[attr-defined]
    return {name: integers_of(item, wire_type.by_name[name].type) for name, item in value.items()}  # type: ignore[attr-defined]


class JsonRpcApi(Api):
    protocol = "jsonrpc"
    _ids = itertools.count(1)

    def __init__(self, base_url: str, code: str, secret: str, version: str) -> None:
        super().__init__(base_url, code, secret)
        self.version = version
        self.http = http_client(f"{base_url}/rpc/{version}/", timeout=30)
        date = now_utc()
        algo = signing_algo(version) or "md5"
        self.session = self.rpc("login", code, date, login_hash(secret, code, date, algo), algo)

    def rpc(self, method: str, *params: object) -> object:
        request_id = next(self._ids)
        answer = self.http.post("", json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["jsonrpc"] == "2.0" and body["id"] == request_id, body
        if "error" in body:
            error = body["error"]
            assert isinstance(error["code"], int) and isinstance(error["message"], str), error
            raise Fault(error["data"]["error_code"], error["message"])
        return body["result"]

    def call(self, operation: str, *args: object) -> object:
        return self.rpc(operation, self.session, *args)


class RestApi(Api):
    """REST, each request signed: sha256 with algo on 5.0 and 6.0, MD5 without algo before (as the
    official legacy REST client, avangate/PHP-REST-API-Client, signs). Operations map onto the routes."""

    protocol = "rest"

    def __init__(self, base_url: str, code: str, secret: str, version: str = "6.0") -> None:
        super().__init__(base_url, code, secret)
        self.version = version
        self.http = http_client(f"{base_url}/rest/{version}", timeout=30)

    def headers(self) -> dict[str, str]:
        date = now_utc()
        algo = signing_algo(self.version)
        digest = login_hash(self.secret, self.code, date, algo or "md5")
        signed = f'code="{self.code}" date="{date}" hash="{digest}"' + (f' algo="{algo}"' if algo else "")
        return {"X-Avangate-Authentication": signed}

    def request(self, method: str, path: str, query: dict | None = None, body: object = None) -> object:
        query = {key: _query_value(value) for key, value in (query or {}).items() if value is not None}
        url = path + (f"?{urlencode(query)}" if query else "")
        answer = self.http.request(method, url, headers=self.headers(), json=body)
        payload = answer.json()
        if answer.status_code >= 300:
            assert {"error_code", "message"} <= set(payload) <= {"error_code", "message", "reason"}, payload
            reason = f": {payload['reason']}" if "reason" in payload else ""  # REST's 401 keeps 2Checkout's message
            raise Fault(payload["error_code"], payload["message"] + reason)
        if answer.status_code == 201:  # the legacy versions' creation: the new resource is at Location
            # named by the answer (a subscription's reference), or by the body (a product's code: the answer is true)
            named = body["ProductCode"] if payload is True else payload  # type: ignore[index]
            assert method == "POST" and answer.headers["location"].endswith(f"/{quote(str(named), safe='')}/"), (
                answer.headers
            )
            return payload
        assert answer.status_code == 200, answer
        return payload

    def call(self, operation: str, *args: object) -> object:
        args = args + (None,) * (3 - len(args))
        if operation == "createCustomer":
            return self.request("POST", "/customers/", body=args[0])
        if operation == "getCustomerInformation":
            reference, external = args[0], args[1]
            named = reference or external
            query = {"ExternalCustomerReference": external} if reference and external else {}
            return self.request("GET", f"/customers/{_segment(named)}/", query)
        if operation == "updateCustomerInformation":
            customer = args[0]
            named = customer.get("AvangateCustomerReference") or customer.get("ExternalCustomerReference")
            path = f"/customers/{_segment(named)}/"
            return self.request("PUT", path, {"UpdateEndUserSubscriptions": args[1]}, customer)
        if operation == "addSubscription":
            return self.request("POST", "/subscriptions/", {"Test": args[1]}, args[0])
        if operation == "getSubscription":
            return self.request("GET", f"/subscriptions/{_segment(args[0])}/")
        if operation == "getCustomerSubscriptions":
            query = {"ExternalCustomerReference": args[1]} if args[0] and args[1] else {}
            return self.request("GET", f"/customers/{_segment(args[0] or args[1])}/subscriptions/", query)
        if operation == "searchSubscriptions":
            return self.request("GET", "/subscriptions/", _search_query(args[0]))
        if operation == "updateSubscription":
            return self.request("PUT", f"/subscriptions/{_segment(args[0]['SubscriptionReference'])}/", body=args[0])
        if operation == "cancelSubscription":  # as the Node SDK's testSubscriptions.js disables
            query = {"ChurnReasons": ",".join(args[1]) if args[1] else None, "ChurnReasonOther": args[2]}
            return self.request("DELETE", f"/subscriptions/{_segment(args[0])}/", query)
        if operation == "enableSubscription":  # and enables: a POST to the subscription, no body
            return self.request("POST", f"/subscriptions/{_segment(args[0])}/")
        if operation == "enableRecurringBilling":
            return self.request("POST", f"/subscriptions/{_segment(args[0])}/renewal/")
        if operation == "disableRecurringBilling":
            query = {"ChurnReasons": ",".join(args[1]) if args[1] else None, "ChurnReasonOther": args[2]}
            return self.request("DELETE", f"/subscriptions/{_segment(args[0])}/renewal/", query)
        if operation == "updateSubscriptionEndUser":
            return self.request("PUT", f"/subscriptions/{_segment(args[0])}/end-user/", body=args[1])
        if operation == "setSubscriptionCustomer":
            query = {"AvangateCustomerReference": args[1], "ExternalCustomerReference": args[2]}
            return self.request("PUT", f"/subscriptions/{_segment(args[0])}/customer/", query)
        if operation in _SSO_ROUTES:
            return self._single_sign_on(operation, args)
        return self._catalogue(operation, args)

    def _catalogue(self, operation: str, args: tuple) -> object:
        """The catalogue's routes: a product by its code in the path, searches' filters in the query."""
        if operation == "addProduct":
            return self.request("POST", "/products/", body=args[0])
        if operation == "getProductByCode":
            return self.request("GET", f"/products/{_segment(args[0])}/")
        if operation == "searchProducts":
            return self.request("GET", "/products/", _search_query(args[0]))
        if operation == "updateProduct":
            return self.request("PUT", f"/products/{_segment(args[0]['ProductCode'])}/", body=args[0])
        if operation == "getPricingConfigurations":
            return self.request("GET", f"/products/{_segment(args[0])}/pricingconfigurations/")
        if operation == "getAvailableCurrencies":
            return self.request("GET", "/currencies/", {"countryCode": args[0], "paymentMethod": args[1]})
        if operation == "getProductGroups":
            return self.request("GET", "/productgroups/")
        if operation == "addProductGroup":
            return self.request("POST", "/productgroups/", body=args[0])
        raise AssertionError(f"no REST route for {operation}")

    def _single_sign_on(self, operation: str, args: tuple) -> object:
        """The SSO routes: the customer (by either reference, so customerType is not sent) in the path."""
        args = args + (None,) * (7 - len(args))
        if operation == "getCustomerInformationBySSOToken":
            return self.request("GET", "/customers/", {"ssotoken": args[0]})
        if operation == "getSingleSignOn":
            reference, email, validity, page, address, language = args[:6]
            query = {"Email": email, "ValidityTime": validity, "ValidationIp": address, "LanguageCode": language}
            return self.request("GET", f"/subscriptions/{_segment(reference)}/signon/{page or 'index'}/", query)
        customer = f"/customers/{_segment(args[0])}"
        if operation == "getSingleSignOnInCart":
            query = {"Url": args[2], "ValidityTime": args[3], "ValidationIp": args[4]}
            return self.request("GET", f"{customer}/cart/", query)
        page, request, validity, address, language = args[2:7]
        query = {"request": request, "ValidityTime": validity, "ValidationIp": address, "Lang": language}
        return self.request("GET", f"{customer}/account/{_segment(page or 'index')}/", query)


_SSO_ROUTES = (
    "getSingleSignOnByCustomer",
    "getSingleSignOnInCart",
    "getSingleSignOn",
    "getCustomerInformationBySSOToken",
)


def _search_query(search_by: dict | None) -> dict[str, object]:
    """A search's filters as query parameters: Pagination's Page and Limit among them, lists comma-joined."""
    filters = dict(search_by or {})
    filters.update(filters.pop("Pagination", None) or {})
    return {key: ",".join(value) if isinstance(value, list) else value for key, value in filters.items()}


def _segment(value: object) -> str:
    return quote(str(value), safe="")


def _query_value(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _at(kind: type[Api], version: str):
    return lambda url, code, secret: kind(url, code, secret, version)  # type: ignore[call-arg]


PROTOCOLS = {
    **{f"soap-{version}": _at(SoapApi, version) for version in ("3.0", "4.0", "5.0", "6.0")},
    **{f"jsonrpc-{version}": _at(JsonRpcApi, version) for version in ("3.0", "4.0", "5.0", "6.0")},
    **{f"rest-{version}": _at(RestApi, version) for version in ("3.0", "4.0", "5.0", "6.0")},
}
