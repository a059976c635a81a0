"""The one catalogue of API errors.

Every failure the API can answer with is an :class:`ApiError` carrying a code from
:data:`CATALOGUE`. The service raises them; each protocol adapter renders them in
its own wire format (SOAP Fault, JSON-RPC error object, HTTP status + JSON body).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorKind:
    code: str
    message: str  # a str.format template; its fields come from ApiError(**details)
    http_status: int
    rpc_code: int  # the integer JSON-RPC "code"
    client_fault: bool = True  # False: the server is to blame (SOAP faultcode Server)


def _catalogue(*kinds: ErrorKind) -> dict[str, ErrorKind]:
    return {kind.code: kind for kind in kinds}


CATALOGUE: dict[str, ErrorKind] = _catalogue(
    # Authentication and sessions. 10000-10002 are the codes 2Checkout's JSON-RPC uses.
    ErrorKind("AUTHENTICATION_FAILED", "Authentication failed: unknown merchant code or wrong hash.", 401, 10000),
    ErrorKind("INVALID_SESSION", "Invalid session ID: log in to get one.", 401, 10001),
    # An expired session, answered as the one 2Checkout answer on record (code 10000, FORBIDDEN):
    # clients log in again on 10000/10001, so any other code would break them after ten minutes.
    ErrorKind("FORBIDDEN", "Invalid hash provided or session expired", 401, 10000),
    ErrorKind("INVALID_LOGIN_DATE", "The login date must be 'YYYY-MM-DD HH:MM:SS' in UTC.", 401, 10005),
    ErrorKind(
        "LOGIN_DATE_OUT_OF_RANGE",
        "The login date is more than {window} seconds away from the server clock ({now} UTC).",
        401,
        10006,
    ),
    ErrorKind(
        "UNSUPPORTED_HASH_ALGORITHM", "Hash algorithm {algo!r} is not accepted here; use {accepted}.", 401, 10007
    ),
    ErrorKind(
        "MD5_RETIRED",
        "API {version} does not accept MD5 hashes (2Checkout retired MD5): sign with sha256 or sha3-256.",
        401,
        10008,
    ),
    # REST's answer to a missing or wrong X-Avangate-Authentication header: the message is
    # exactly 2Checkout's (its REST client's tests compare it); the body's "reason" says why.
    ErrorKind("AUTHENTICATION_ERROR", "Authentication needed for this resource", 401, 10009),
    ErrorKind(
        "TOO_MANY_FAILED_LOGINS",
        "Too many failed logins from {scope} in the last {window} seconds; try again in {retry_after} seconds.",
        429,
        10010,
    ),
    # Customers.
    ErrorKind(
        "CUSTOMER_REFERENCE_REQUIRED", "Give an AvangateCustomerReference or an ExternalCustomerReference.", 400, 11001
    ),
    ErrorKind("CUSTOMER_NOT_FOUND", "No customer matches {reference}.", 404, 11002),
    ErrorKind(
        "CUSTOMER_REFERENCE_MISMATCH",
        "AvangateCustomerReference and ExternalCustomerReference do not name the same customer.",
        409,
        11003,
    ),
    ErrorKind(
        "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE",
        "The ExternalCustomerReference {reference!r} is used by another customer account.",
        409,
        11004,
    ),
    # Field validation: the message always names the field.
    ErrorKind("MISSING_REQUIRED_FIELD", "{field} is required.", 400, 12001),
    ErrorKind("INVALID_COUNTRY_CODE", "{field} must be an ISO 3166-1 alpha-2 country code, not {value!r}.", 400, 12002),
    ErrorKind("INVALID_LANGUAGE", "{field} must be an ISO 639-1 two-letter language code, not {value!r}.", 400, 12003),
    ErrorKind("INVALID_EMAIL", "{field} is not a valid email address: {value!r}.", 400, 12004),
    ErrorKind("FISCAL_CODE_REQUIRES_COMPANY", "{field} is set, so Company is required too.", 400, 12005),
    ErrorKind("FIELD_TOO_LONG", "{field} is longer than {limit} characters.", 400, 12006),
    ErrorKind("INVALID_FIELD_VALUE", "{field}: {reason}", 400, 12007),
    # Subscriptions.
    ErrorKind("SUBSCRIPTION_NOT_FOUND", "No subscription with SubscriptionReference {reference!r}.", 404, 13001),
    ErrorKind(
        "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE",
        "The ExternalSubscriptionReference {reference!r} is used by another subscription.",
        409,
        13002,
    ),
    ErrorKind("RECURRING_BILLING_NOT_AVAILABLE", "Automatic renewal is not available for {reason}.", 400, 13003),
    # The catalogue (twoco.domains.products).
    ErrorKind("PRODUCT_NOT_FOUND", "No product {product} in this merchant's catalogue.", 404, 17001),
    ErrorKind("DUPLICATE_PRODUCT_CODE", "The ProductCode {product_code!r} is used by another product.", 409, 17002),
    ErrorKind("PRODUCT_GROUP_NOT_FOUND", "No product group {group!r} in this merchant's catalogue.", 404, 17003),
    ErrorKind("DUPLICATE_PRODUCT_GROUP", "A product group {group!r} exists already.", 409, 17004),
    # Orders (twoco.domains.orders). Where 2Checkout's API 6.0 error list names a refusal, its
    # code and message are 2Checkout's ("Error handling for API 6.0"; docs/orders.md).
    ErrorKind("ORDER_NOT_FOUND", "No order with RefNo {ref_no!r}.", 404, 18001),
    ErrorKind("ORDER_PRODUCTS_EMPTY", "No products have been provided.", 400, 18002),
    ErrorKind("ORDER_PRODUCT_CODE_INVALID", "Requested product [{product}] was not found.", 400, 18003),
    ErrorKind("ORDER_ITEMS_INVALID", "Invalid items. You cannot mix dynamic and catalog products.", 400, 18004),
    ErrorKind("ORDER_PRODUCT_NAME_INVALID", "Name is mandatory when you set IsDynamic to TRUE ({field}).", 400, 18005),
    ErrorKind("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", "The price amount is not valid ({field}).", 400, 18006),
    ErrorKind(
        "ORDER_PRODUCT_PURCHASE_TYPE_INVALID",
        "Invalid product purchase type. Accepted values: PRODUCT, SHIPPING, COUPON and TAX ({field}).",
        400,
        18007,
    ),
    ErrorKind("ORDER_ITEMS_QUANTITY_INVALID", "Item quantity must be between 1 and 99999 ({field}).", 400, 18008),
    ErrorKind("ORDER_STATUS_CONFLICT", "Order {ref_no} is {status}: it cannot {action}.", 409, 18009),
    # issueRefund's refusals, each with 2Checkout's message ("Error handling for issueRefund").
    ErrorKind("REFUND_NOT_ALLOWED", "{reason}", 400, 18010),
    # Notifications (twoco.domains.notifications), on the control plane.
    ErrorKind("NOTIFICATION_NOT_FOUND", "No notification {id}.", 404, 19001),
    ErrorKind(
        "NOTIFICATION_URL_REFUSED",
        "{field} {url!r} was not saved: its GET gave {answer}; 2Checkout saves a notification URL only when"
        " its GET answers HTTP 200 (probe false saves it unprobed).",
        400,
        19002,
    ),
    # Single sign-on (twoco.domains.sso).
    ErrorKind(
        "INVALID_CUSTOMER_TYPE",
        "customerType must be AvangateCustomerReference or ExternalCustomerReference, not {value!r}.",
        400,
        15001,
    ),
    ErrorKind("INVALID_SSO_PAGE", "{field} {value!r} is not a myAccount page; use one of: {pages}.", 400, 15002),
    ErrorKind("SSO_TOKEN_NOT_FOUND", "No single sign-on cart token {token!r} of this merchant.", 404, 15003),
    ErrorKind(
        "SSO_TOKEN_EXPIRED", "The single sign-on token expired {ago} seconds ago (its validityTime).", 410, 15004
    ),
    # The control plane (/_twoco/, sandboxes only).
    ErrorKind("MERCHANT_NOT_FOUND", "No merchant has the code {merchant!r}.", 404, 14001),
    ErrorKind("INVALID_FIXTURE", "Invalid fixture at {location}: {reason}", 400, 14002),
    # The request itself.
    ErrorKind("MALFORMED_REQUEST", "Malformed request: {reason}", 400, -32700),
    ErrorKind("INVALID_REQUEST", "Invalid JSON-RPC request: {reason}", 400, -32600),
    ErrorKind("UNKNOWN_OPERATION", "Unknown operation {operation!r}.", 404, -32601),
    ErrorKind("INVALID_PARAMETERS", "Invalid parameters for {operation}: {reason}", 400, -32602),
    ErrorKind(
        "SOAP_ACTION_MISMATCH",
        "The SOAPAction header names {action!r} but the body calls {operation!r}.",
        400,
        -32600,
    ),
    # HTTP-level answers (JSON bodies) outside any operation.
    ErrorKind(
        "ENDPOINT_NOT_FOUND",
        "Nothing is served at {path!r}; the API lives at /soap/, /rpc/ and /rest/ + {{3.0,4.0,5.0,6.0}}/.",
        404,
        -32601,
    ),
    ErrorKind("METHOD_NOT_ALLOWED", "{method} is not allowed here; use {allowed}.", 405, -32600),
    ErrorKind("REQUEST_TOO_LARGE", "The request body is larger than {limit} bytes.", 413, -32600),
    ErrorKind("REQUEST_HEADER_TOO_LARGE", "The request's headers are larger than {limit} bytes.", 431, -32600),
    ErrorKind("REQUEST_TIMEOUT", "The request was not received within {timeout} seconds.", 408, -32600),
    ErrorKind(
        "UNSUPPORTED_MEDIA_TYPE", "Content-Type {content_type!r} is not accepted here; send {accepted}.", 415, -32600
    ),
    # The store (twoco.core.outage): an outage, answered as one; all are worth retrying, the
    # third only after reading what the call was to change.
    ErrorKind(
        "STORE_UNAVAILABLE",
        "The store is unavailable ({state}); the request changed nothing. Try again in {retry_after} seconds.",
        503,
        16001,
        client_fault=False,
    ),
    ErrorKind(
        "STORE_BUSY",
        "The record is held by another call; the request changed nothing. Try again in a second.",
        503,
        16002,
        client_fault=False,
    ),
    ErrorKind(
        "STORE_UNCONFIRMED",
        "The store did not confirm the change in time ({state}); it may or may not have been made."
        " Read before trying again, in {retry_after} seconds.",
        503,
        16003,
        client_fault=False,
    ),
    ErrorKind("INTERNAL_ERROR", "Internal error; the request changed nothing.", 500, -32603, client_fault=False),
)


class ApiError(Exception):
    """A documented API failure: a catalogue code, its rendered message, and details."""

    def __init__(self, code: str, **details: object) -> None:
        self.kind = CATALOGUE[code]
        self.details = details
        super().__init__(self.kind.message.format(**details))

    @classmethod
    def with_message(cls, code: str, message: str) -> ApiError:
        """An error of a catalogue kind with a message of the caller's (injected faults)."""
        error = cls.__new__(cls)
        error.kind = CATALOGUE[code]
        error.details = {}
        Exception.__init__(error, message)
        return error

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def message(self) -> str:
        return str(self)
