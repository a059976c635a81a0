"""The Client: one method per operation of the registry, over SOAP, JSON-RPC or REST."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from twoco.client import jsonrpc, rest, soap
from twoco.client.errors import TransportError, TwoCheckoutError
from twoco.core.auth import ALGORITHMS, DATE_FORMAT, REST_AUTH_HEADER, login_hash
from twoco.core.errors import ApiError
from twoco.core.registry import VERSIONS, Operation
from twoco.core.schema import version_key
from twoco.domains import REGISTRY
from twoco.version import __version__

if TYPE_CHECKING:  # loaded when a client is made: importing httpx costs more than the rest of the client
    import httpx

PROTOCOLS = ("soap", "jsonrpc", "rest")
SHA256_SAMPLES_SINCE = "5.0"  # 3.0 and 4.0 samples sign with MD5, 5.0 and 6.0 samples with sha256
# Codes that mean "this session no longer works": the client logs in again and retries once.
# A session check comes before any work, so the retried call has not run yet. FORBIDDEN is
# what 2Checkout's JSON-RPC was seen answering for an expired session.
RELOGIN_CODES = frozenset({"SESSION_EXPIRED", "INVALID_SESSION", "FORBIDDEN"})

Customer = dict[str, Any]
Subscription = dict[str, Any]
EndUser = dict[str, Any]
Product = dict[str, Any]
Order = dict[str, Any]


class Client:
    """A 2Checkout (Avangate) API client for twoco and for 2Checkout itself.

    ``base_url`` is the host, e.g. ``http://127.0.0.1:8080`` or ``https://api.2checkout.com``;
    the client adds ``/soap/{version}/``, ``/rpc/{version}/`` or ``/rest/{version}/`` as both lay
    them out. SOAP and JSON-RPC log in on the first call (HMAC of the merchant code and the
    date: MD5 on 3.0 and 4.0, SHA-256 with ``algo`` on 5.0 and 6.0), keep the session, and log in again once
    when the server answers SESSION_EXPIRED or INVALID_SESSION. REST signs every request
    with the ``X-Avangate-Authentication`` header instead.

    Values are plain Python: dicts keyed by the API's field names, lists, str, int, bool.
    In a dict you send, a key set to None is sent as null (an update clears that field) and
    a key left out is not sent (the field keeps its value). Errors the API answers with raise
    :class:`TwoCheckoutError`; failing to get an answer raises :class:`TransportError`.

    ``algo`` overrides the login hash (``md5``, ``sha256``, ``sha3-256``); ``clock`` returns
    the time login dates and REST signatures carry (default: the system clock, UTC);
    ``http`` is an ``httpx.Client`` to use instead of the client's own (proxies, TLS
    settings); ``timeout`` is in seconds. A Client is a context manager and may be shared
    between threads.
    """

    def __init__(
        self,
        base_url: str,
        merchant_code: str,
        secret_key: str,
        protocol: str = "soap",
        version: str = "6.0",
        *,
        algo: str | None = None,
        timeout: float = 30.0,
        clock: Callable[[], datetime] | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}")
        algo = algo or ("md5" if version_key(version) < version_key(SHA256_SAMPLES_SINCE) else "sha256")
        if algo not in ALGORITHMS:
            raise ValueError(f"algo must be one of {', '.join(ALGORITHMS)}, not {algo!r}")
        self.base_url = base_url.rstrip("/")
        self.merchant_code = merchant_code
        self.protocol = protocol
        self.version = version
        self.algo = algo
        self.endpoint = {
            "soap": f"{self.base_url}/soap/{version}/",
            "jsonrpc": f"{self.base_url}/rpc/{version}/",
            "rest": f"{self.base_url}/rest/{version}",
        }[protocol]
        self._secret_key = secret_key
        self._clock = clock or (lambda: datetime.now(UTC))
        if http is None:
            import httpx

        self._http = http or httpx.Client(timeout=timeout, headers={"User-Agent": f"twoco-client/{__version__}"})
        self._owns_http = http is None
        self._session: str | None = None
        self._session_lock = threading.Lock()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return (
            f"Client({self.base_url!r}, {self.merchant_code!r}, protocol={self.protocol!r}, version={self.version!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (not an ``http`` client you passed in)."""
        if self._owns_http:
            self._http.close()

    # --- sessions and calls --------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        """The session the client holds, if it has logged in (SOAP and JSON-RPC)."""
        return self._session

    def login(self) -> str:
        """Log in now and return the new session ID; calls otherwise log in when they need to.

        Raises TwoCheckoutError (e.g. AUTHENTICATION_FAILED, LOGIN_DATE_OUT_OF_RANGE) when
        the server refuses; ValueError on REST, which has no sessions.
        """
        if self.protocol == "rest":
            raise ValueError("REST has no sessions: every request is signed with X-Avangate-Authentication")
        date = self._date()
        args: list[object] = [
            self.merchant_code,
            date,
            login_hash(self._secret_key, self.merchant_code, date, self.algo),
        ]
        algo_param = self._operation("login").params[3]
        if algo_param.required or self.algo != "md5":  # an MD5 login where algo is optional has three, as PHP sends it
            args.append(self.algo)
        session = self._invoke(self._operation("login"), args)
        if not isinstance(session, str) or not session:
            raise TransportError("UNEXPECTED_RESPONSE", f"login answered {session!r}, not a session ID")
        self._session = session
        return session

    def call(self, operation: str, *args: object) -> Any:
        """Call an operation by its API name with its positional parameters, without the
        session ID (e.g. ``call("getSubscription", "A1B2C3D4E5")``); the named methods below
        call this. On REST the call is laid out on the operation's route."""
        op = self._operation(operation)
        if not op.needs_session or self.protocol == "rest":
            return self._invoke(op, args)
        session = self._current_session()
        try:
            return self._invoke(op, (session, *args))
        except TransportError:
            raise
        except TwoCheckoutError as error:
            if error.code not in RELOGIN_CODES:
                raise
        return self._invoke(op, (self._renew_session(session), *args))

    def _current_session(self) -> str:
        with self._session_lock:
            return self._session or self.login()

    def _renew_session(self, stale: str) -> str:
        with self._session_lock:
            if self._session in (None, stale):  # another thread may have renewed it already
                return self.login()
            return self._session

    def _operation(self, name: str) -> Operation:
        try:
            return REGISTRY.lookup(self.version, name)
        except ApiError:
            raise ValueError(f"API {self.version} has no operation {name!r}") from None

    def _date(self) -> str:
        return self._clock().astimezone(UTC).strftime(DATE_FORMAT)

    def _invoke(self, op: Operation, args: Sequence[object]) -> Any:
        """One request: the positional wire arguments (session ID first where there is one) in, the result out."""
        if self.protocol == "soap":
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap.soap_action(op)}
            answer = self._send("POST", self.endpoint, headers, soap.envelope(op, args))
            return soap.read_answer(op, answer.status_code, answer.content)
        if self.protocol == "jsonrpc":
            request_id = next(self._ids)
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            answer = self._send("POST", self.endpoint, headers, jsonrpc.request_body(op, args, request_id))
            return jsonrpc.read_answer(answer.status_code, answer.content, request_id)
        method, path, query, body = rest.route_request(op, args)
        date = self._date()
        digest = login_hash(self._secret_key, self.merchant_code, date, self.algo)
        headers = {
            REST_AUTH_HEADER: rest.auth_header(self.merchant_code, date, digest, self.algo),
            "Accept": "application/json",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        answer = self._send(method, self.endpoint + path, headers, rest.request_body(body), query)
        return rest.read_answer(answer.status_code, answer.content)

    def _send(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, query: dict[str, str] | None = None
    ) -> httpx.Response:
        import httpx

        try:
            return self._http.request(method, url, headers=headers, content=content, params=query)
        except httpx.TransportError as error:
            raise TransportError("TRANSPORT_ERROR", f"{method} {url}: {type(error).__name__}: {error}") from error

    # --- customers -------------------------------------------------------------------------

    def create_customer(self, customer: Customer) -> int:
        """createCustomer: create a customer and return its AvangateCustomerReference.

        ``customer`` needs FirstName, LastName, Address1, City, Zip, CountryCode and Email;
        ExternalCustomerReference (your own ID, unique per merchant) is optional.
        """
        return self.call("createCustomer", customer)

    def get_customer_information(
        self, reference: int | None = None, external_reference: str | None = None, *, include_payment_data: bool = False
    ) -> Customer:
        """getCustomerInformation: the customer with this AvangateCustomerReference and/or
        ExternalCustomerReference (both given must name the same customer).

        ``include_payment_data`` exists on API 6.0 only (its ExistingCards).
        """
        if len(self._operation("getCustomerInformation").params) < 3:
            if include_payment_data:
                raise ValueError("include_payment_data exists on API 6.0 only")
            return self.call("getCustomerInformation", reference, external_reference)
        return self.call("getCustomerInformation", reference, external_reference, include_payment_data)

    def update_customer_information(self, customer: Customer, update_end_user_subscriptions: bool = False) -> bool:
        """updateCustomerInformation: change the customer that ``customer``'s references name; returns True.

        Fields left out keep their values, fields set to None are cleared. With
        ``update_end_user_subscriptions`` the customer's contact fields are copied to the
        EndUser of each of its subscriptions.
        """
        return self.call("updateCustomerInformation", customer, update_end_user_subscriptions)

    def search_customers(self, search_by: dict[str, Any] | None = None) -> dict[str, Any]:
        """searchCustomers (API 6.0): ``{"Items": [Customer…], "Pagination": {"Page", "Limit", "Count"}}``
        for the filters Email, Phone, CountryCode, Language, Trial, Status and Pagination {Page, Limit}."""
        return self.call("searchCustomers", search_by)

    # --- subscriptions ---------------------------------------------------------------------

    def add_subscription(self, subscription: Subscription, *, test: bool = False) -> str:
        """addSubscription: import a subscription for an existing customer (named by the
        AvangateCustomerReference or ExternalCustomerReference inside it); returns its
        SubscriptionReference. ``test`` (API 5.0 and 6.0) sends Test=1: a test subscription."""
        if test:
            if len(self._operation("addSubscription").params) < 2:
                raise ValueError("the Test parameter exists from API 5.0 on")
            return self.call("addSubscription", subscription, 1)
        return self.call("addSubscription", subscription)

    def get_subscription(self, subscription_reference: str) -> Subscription:
        """getSubscription: the subscription with this SubscriptionReference."""
        return self.call("getSubscription", subscription_reference)

    def get_subscriptions(self, subscription_references: Sequence[str]) -> list[Subscription]:
        """getSubscriptions: the subscriptions with these references, in that order (unknown ones left out)."""
        return self.call("getSubscriptions", list(subscription_references))

    def search_subscriptions(self, search_by: dict[str, Any] | None = None) -> Any:
        """searchSubscriptions (API 4.0 on): the subscriptions the SearchBy filters match; a list
        on 4.0, ``{"Items": [...], "Pagination": {"Page", "Limit", "Count"}}`` from 5.0 (with
        ``"Pagination": {"Page": 2, "Limit": 50}`` among the filters)."""
        return self.call("searchSubscriptions", search_by)

    def update_subscription(self, subscription: Subscription) -> bool:
        """updateSubscription (API 5.0 on): change the EndUser, ExpirationDate, SubscriptionEnabled
        or RecurringEnabled of the subscription ``subscription["SubscriptionReference"]`` names,
        or move it to the customer its references name; returns True."""
        return self.call("updateSubscription", subscription)

    def cancel_subscription(
        self,
        subscription_reference: str,
        churn_reasons: Sequence[str] | None = None,
        churn_reason_other: str | None = None,
    ) -> bool:
        """cancelSubscription: disable the subscription (and its recurring billing); returns True.
        ``churn_reasons`` (CHURN_REASON_…) and ``churn_reason_other`` exist on API 6.0 only."""
        if churn_reasons is None and churn_reason_other is None:
            return self.call("cancelSubscription", subscription_reference)
        if len(self._operation("cancelSubscription").params) < 3:
            raise ValueError("ChurnReasons and ChurnReasonOther exist on API 6.0 only")
        return self.call("cancelSubscription", subscription_reference, churn_reasons, churn_reason_other)

    def enable_recurring_billing(self, subscription_reference: str) -> bool:
        """enableRecurringBilling: switch the subscription's automatic renewal on; returns True."""
        return self.call("enableRecurringBilling", subscription_reference)

    def disable_recurring_billing(
        self,
        subscription_reference: str,
        churn_reasons: Sequence[str] | None = None,
        churn_reason_other: str | None = None,
    ) -> bool:
        """disableRecurringBilling: switch its automatic renewal off (the subscription stays enabled
        until it expires); returns True. ``churn_reasons`` and ``churn_reason_other``: API 6.0 only."""
        if churn_reasons is None and churn_reason_other is None:
            return self.call("disableRecurringBilling", subscription_reference)
        if len(self._operation("disableRecurringBilling").params) < 3:
            raise ValueError("ChurnReasons and ChurnReasonOther exist on API 6.0 only")
        return self.call("disableRecurringBilling", subscription_reference, churn_reasons, churn_reason_other)

    def enable_subscription(self, subscription_reference: str) -> bool:
        """enableSubscription: enable the subscription again (recurring billing stays as it is); returns True."""
        return self.call("enableSubscription", subscription_reference)

    def get_customer_subscriptions(
        self, reference: int | None = None, external_reference: str | None = None
    ) -> list[Subscription]:
        """getCustomerSubscriptions: every subscription of the customer these references name."""
        return self.call("getCustomerSubscriptions", reference, external_reference)

    def update_subscription_end_user(self, subscription_reference: str, end_user: EndUser) -> bool:
        """updateSubscriptionEndUser: change a subscription's EndUser (left-out fields keep
        their values, None clears); returns True."""
        return self.call("updateSubscriptionEndUser", subscription_reference, end_user)

    def set_subscription_customer(
        self,
        subscription_reference: str,
        customer_reference: int | None = None,
        external_customer_reference: str | None = None,
    ) -> bool:
        """setSubscriptionCustomer: move a subscription to the customer these references name; returns True."""
        return self.call(
            "setSubscriptionCustomer", subscription_reference, customer_reference, external_customer_reference
        )

    # --- the catalogue -----------------------------------------------------------------------

    def add_product(self, product: Product) -> bool:
        """addProduct: add a product to the catalogue; returns True. ``product`` needs ProductCode
        (new to the merchant) and ProductName; read it back with :meth:`get_product_by_code`."""
        return self.call("addProduct", product)

    def get_product_by_code(self, product_code: str) -> Product:
        """getProductByCode: the product with this ProductCode."""
        return self.call("getProductByCode", product_code)

    def get_product_by_id(self, avangate_id: int) -> Product:
        """getProductById: the product with this AvangateId (no REST route)."""
        return self.call("getProductById", avangate_id)

    def search_products(self, search_options: dict[str, Any] | None = None) -> Any:
        """searchProducts: the products the filters (Name, Codes, Types, Enabled, GroupName, Limit,
        Page) match; a list before API 5.0, ``{"Items": [...], "Pagination": {...}}`` from 5.0."""
        return self.call("searchProducts", search_options)

    def update_product(self, product: Product) -> bool:
        """updateProduct: change the product ``product["ProductCode"]`` names (fields left out keep
        their values); returns True."""
        return self.call("updateProduct", product)

    def set_product_status(
        self,
        product_code: str,
        status: bool,
        review_product_url: str | None = None,
        review_additional_details: str | None = None,
    ) -> bool:
        """setProductStatus: enable (True) or disable (False) a product; returns True (no REST route)."""
        return self.call("setProductStatus", product_code, status, review_product_url, review_additional_details)

    def get_pricing_configurations(self, product_code: str) -> list[dict[str, Any]]:
        """getPricingConfigurations: the pricing configurations of the product with this ProductCode."""
        return self.call("getPricingConfigurations", product_code)

    def get_available_currencies(self, country_code: str | None = None, payment_method: str | None = None) -> list[str]:
        """getAvailableCurrencies: the currency codes the merchant sells in (``country_code`` and
        ``payment_method`` go together: both or neither)."""
        return self.call("getAvailableCurrencies", country_code, payment_method)

    def get_product_groups(self) -> list[dict[str, Any]]:
        """getProductGroups: the merchant's product groups, General first."""
        return self.call("getProductGroups")

    def add_product_group(self, product_group: dict[str, Any]) -> str:
        """addProductGroup: add a product group (Name required); returns its Code."""
        return self.call("addProductGroup", product_group)

    # --- orders --------------------------------------------------------------------------

    def place_order(self, order: Order) -> Order:
        """placeOrder: place an order (Items, BillingDetails, PaymentDetails; docs/orders.md) and
        return it as placed, usually AUTHRECEIVED; with the ``RefNo`` of a PENDING order, pay
        that order again with the new PaymentDetails."""
        return self.call("placeOrder", order)

    def get_order(self, ref_no: str) -> Order:
        """getOrder: the order with this RefNo, its items' subscriptions once it is COMPLETE."""
        return self.call("getOrder", str(ref_no))

    def search_orders(self, search_options: dict[str, Any] | None = None) -> Any:
        """searchOrders: the orders the filters (StartDate, EndDate, Newer, Status, ApproveStatus,
        ExternalRefNo, IncludeTestOrders, Page, Limit) match, newest first; a list before API 5.0,
        ``{"Items": [...], "Pagination": {...}}`` from 5.0."""
        return self.call("searchOrders", search_options)

    def issue_refund(
        self,
        ref_no: str,
        amount: float,
        comment: str,
        reason: str,
        items: list[dict[str, Any]] | None = None,
    ) -> bool:
        """issueRefund: refund ``amount`` of a COMPLETE order, all of it or the ``items`` named
        (``{"LineItemReference", "Quantity", "Amount"}``); returns True."""
        return self.call("issueRefund", str(ref_no), amount, items, comment, reason)

    # --- single sign-on --------------------------------------------------------------------

    def get_single_sign_on_by_customer(
        self,
        customer: int | str,
        customer_type: str = "AvangateCustomerReference",
        page: str | None = None,
        request: str | None = None,
        validity_time: int | None = None,
        validation_ip: str | None = None,
        language_code: str | None = None,
    ) -> str:
        """getSingleSignOnByCustomer: a link that logs the customer into a myAccount ``page``
        (None: the home page) once, within ``validity_time`` seconds (10 by default), from
        ``validation_ip`` only if given. ``customer_type`` is ExternalCustomerReference for your
        own ID; REST tells the two apart itself. ``language_code`` exists on API 6.0 only."""
        args = [str(customer), customer_type, self._page(page), request, validity_time, validation_ip]
        return self.call(
            "getSingleSignOnByCustomer", *self._with_language("getSingleSignOnByCustomer", args, language_code)
        )

    def get_single_sign_on_in_cart(
        self,
        customer: int | str,
        customer_type: str = "AvangateCustomerReference",
        url: str | None = None,
        validity_time: int | None = None,
        validation_ip: str | None = None,
    ) -> str:
        """getSingleSignOnInCart: the buy link ``url`` with a ``logintoken`` that signs the customer in."""
        return self.call("getSingleSignOnInCart", str(customer), customer_type, url, validity_time, validation_ip)

    def get_single_sign_on(
        self,
        subscription_reference: str,
        email: str | None = None,
        validity_time: int | None = None,
        access_page: str | None = None,
        validation_ip: str | None = None,
        language_code: str | None = None,
    ) -> str:
        """getSingleSignOn: a myAccount link for the customer a subscription belongs to."""
        args = [subscription_reference, email, validity_time, self._page(access_page), validation_ip]
        return self.call("getSingleSignOn", *self._with_language("getSingleSignOn", args, language_code))

    def get_customer_information_by_sso_token(self, single_sign_on_token: str) -> Customer:
        """getCustomerInformationBySSOToken (API 5.0 and later): the customer a cart link's ``logintoken`` signs in."""
        return self.call("getCustomerInformationBySSOToken", single_sign_on_token)

    def _with_language(self, operation: str, args: Sequence[object], language_code: str | None) -> Sequence[object]:
        """``args`` and the languageCode, on the versions that take one (6.0)."""
        if "languageCode" in [param.name for param in self._operation(operation).params]:
            return [*args, language_code]
        if language_code is not None:
            raise ValueError(f"{operation} takes no language_code on API {self.version}")
        return args

    def _page(self, page: str | None) -> str | None:
        return page or ("index" if self.protocol == "rest" else None)  # a REST path always names its page
