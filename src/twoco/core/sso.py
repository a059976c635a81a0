"""Single sign-on: links that log a customer into myAccount or the cart, and the tokens behind them.

2Checkout's SSO methods answer a URL carrying ``logintoken=`` (40 hex digits in its docs'
example). twoco serves those URLs itself, on the host the API call came in on (as the WSDL's
soap:address does), so a sandbox's links can be followed: myAccount pages at ``/myaccount/<page>/``
(``/support/`` for ``faq``), the cart at ``/order/…`` (pages in ``twoco.server.sso_pages``).

A token lives ``validityTime`` seconds (10 by default) on the service clock, so moving the
clock expires it; opening its link spends it (once); ``validationIp``, when given, is the only
client address its link opens for. Tokens are stored by digest, like sessions. docs/protocols.md,
"Single sign-on", gives each rule and the page of 2Checkout's documentation behind it.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from twoco.core import auth
from twoco.core.errors import ApiError
from twoco.core.iso_codes import LANGUAGE_CODES
from twoco.core.registry import Caller
from twoco.core.validation import MAX_REFERENCE, ascii_integer, check_text

if TYPE_CHECKING:
    from twoco.core.clock import Clock
    from twoco.store.interface import Store

# The scheme and host the current request came in on; the HTTP layer sets it per request.
BASE_URL: ContextVar[str] = ContextVar("twoco_base_url", default="http://localhost")

DEFAULT_VALIDITY = 10  # seconds: "By default, the URL expires after 10 seconds."
MAX_URL = 2048
TOKEN = re.compile(r"[0-9a-f]{40}")
ACCOUNT, CART = "account", "cart"
CART_PATH = "/order/checkout.php"  # the buy link of 2Checkout's docs; any path under /order/ is the cart

# Every page any SSO method documents (by customer, by subscription, REST's ``index``), each
# accepted everywhere: which method lists which is an accident of the docs, not a rule.
ACCOUNT_PAGES = {
    "index": "Account home",
    "my_subscription": "Subscription",
    "my_license": "Subscription",
    "view_order": "Order",
    "change_card": "Change card",
    "my_products": "My products",
    "user_data": "Personal information",
    "order_lookup": "Order lookup",
    "payment_methods": "Payment methods",
    "faq": "Support",
}
_CUSTOMER_TYPES = {
    "avangatecustomerreference": False,
    "2checkoutcustomerreference": False,  # the rebranded docs' spelling of the same thing
    "externalcustomerreference": True,
}
_SUBSCRIPTION_CODE = re.compile(r"code=([^&\s]+)")


def account_path(page: str) -> str:
    """Where a myAccount page lives, as 2Checkout's docs show its URLs."""
    return {"index": "/myaccount/", "faq": "/support/"}.get(page, f"/myaccount/{page}/")


def subscription_code(request: str | None) -> str | None:
    """The subscription a ``request`` such as ``Request[]=code=123D40F123`` names."""
    found = _SUBSCRIPTION_CODE.search(request or "")
    return found.group(1) if found else None


@dataclass
class Visit:
    """What opening a link found: ``outcome`` is ok, unknown, wrong_ip, used or expired."""

    outcome: str
    token: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    merchant_code: str = ""


class SingleSignOn:
    """The Service's SSO methods (a mixin: ``twoco.core.service.Service`` supplies the store and lookups)."""

    store: Store
    clock: Clock

    if TYPE_CHECKING:  # provided by Service

        def _find_customer(self, merchant_id: int, reference: int | None, external: str | None) -> dict[str, Any]: ...
        def _find_subscription(self, merchant_id: int, reference: str) -> dict[str, Any]: ...
        def get_customer(self, caller: Caller, reference: int | None, external: str | None) -> dict[str, object]: ...
        def get_customer_subscriptions(
            self, caller: Caller, reference: int | None, external: str | None
        ) -> list[dict[str, object]]: ...
        def merchant_code(self, merchant_id: int) -> str: ...

    # --- the API's methods ----------------------------------------------------------

    def single_sign_on_by_customer(
        self,
        caller: Caller,
        id_customer: object,
        customer_type: str,
        page: str | None,
        request: str | None,
        validity_time: int | None,
        validation_ip: str | None,
        language: str | None = None,
    ) -> str:
        page = _page("page", page)
        check_text("request", request)
        with self.store.transaction():
            reference = self._sso_customer(caller, id_customer, customer_type)
            return self._issue(caller, reference, ACCOUNT, page, request, validity_time, validation_ip, language)

    def single_sign_on_in_cart(
        self,
        caller: Caller,
        id_customer: object,
        customer_type: str,
        url: str | None,
        validity_time: int | None,
        validation_ip: str | None,
    ) -> str:
        check_text("url", url, MAX_URL)
        with self.store.transaction():
            reference = self._sso_customer(caller, id_customer, customer_type)
            return self._issue(
                caller, reference, CART, _cart_target(url or ""), None, validity_time, validation_ip, None
            )

    def single_sign_on_by_subscription(
        self,
        caller: Caller,
        subscription_reference: str,
        email: str | None,
        validity_time: int | None,
        access_page: str | None,
        validation_ip: str | None,
        language: str | None = None,
    ) -> str:
        """A myAccount link for the customer the subscription belongs to; its pages show that subscription.
        ``email`` is only checked as text: the docs do not say what a mismatch does."""
        page = _page("accessPage", access_page)
        check_text("email", email)
        with self.store.transaction():
            subscription = self._find_subscription(caller.merchant_id, subscription_reference)  # type: ignore[arg-type]
            reference = int(subscription["AvangateCustomerReference"])
            request = f"code={subscription['SubscriptionReference']}"
            return self._issue(caller, reference, ACCOUNT, page, request, validity_time, validation_ip, language)

    def customer_by_sso_token(self, caller: Caller, token: str) -> dict[str, object]:
        """The customer a live cart token logs in. Reading does not spend it: 2Checkout's own sample
        reads the customer right after making the link, before the shopper can have followed it."""
        text = token.strip().lower()
        found = self.store.sso_token(auth.hash_session_id(text)) if TOKEN.fullmatch(text) else None
        if found is None or found["merchant_id"] != caller.merchant_id or found["kind"] != CART:
            raise ApiError("SSO_TOKEN_NOT_FOUND", token=token[:MAX_REFERENCE])
        now = self.clock.now()
        if now >= found["expires_at"]:
            raise ApiError("SSO_TOKEN_EXPIRED", ago=int(now - found["expires_at"]))
        return self.get_customer(caller, found["customer_reference"], None)

    # --- following a link (twoco.server.sso_pages) ----------------------------------------------

    def open_sso_link(self, token: str, kind: str, client: str) -> Visit:
        """Check a link's token and spend it; the customer and subscriptions when it opens."""
        text = token.strip().lower()
        token_hash = auth.hash_session_id(text)
        found = self.store.sso_token(token_hash) if TOKEN.fullmatch(text) else None
        if found is None or found["kind"] != kind:
            return Visit("unknown")
        if found["validation_ip"] and not _same_address(found["validation_ip"], client):
            return Visit("wrong_ip", found)
        if found["used_at"] is not None:
            return Visit("used", found)
        if self.clock.now() >= found["expires_at"]:
            return Visit("expired", found)
        if not self.store.spend_sso_token(token_hash, self.clock.now()):
            return Visit("used", found)  # another request spent it a moment ago
        caller = Caller("6.0", "sso", found["merchant_id"])
        try:
            customer = self.get_customer(caller, found["customer_reference"], None)
            subscriptions = self.get_customer_subscriptions(caller, found["customer_reference"], None)
        except ApiError:  # the customer went (a reset) after the link was made
            return Visit("unknown")
        return Visit("ok", found, customer, subscriptions, self.merchant_code(found["merchant_id"]))  # type: ignore[arg-type]

    # --- helpers ---------------------------------------------------------------------

    def _sso_customer(self, caller: Caller, id_customer: object, customer_type: str) -> int:
        """The internal reference of the customer ``id_customer`` names, read as ``customer_type`` says."""
        external = _CUSTOMER_TYPES.get(str(customer_type).strip().lower())
        if external is None:
            raise ApiError("INVALID_CUSTOMER_TYPE", value=str(customer_type)[:60])
        text = "" if id_customer is None else str(id_customer).strip()
        if external:
            found = self._find_customer(caller.merchant_id, None, text)  # type: ignore[arg-type]
        elif text and ascii_integer(text) is None:
            raise ApiError("CUSTOMER_NOT_FOUND", reference=f"AvangateCustomerReference {text[:MAX_REFERENCE]!r}")
        else:
            found = self._find_customer(caller.merchant_id, ascii_integer(text), None)  # type: ignore[arg-type]
        return int(found["AvangateCustomerReference"])

    def _issue(
        self,
        caller: Caller,
        customer_reference: int,
        kind: str,
        target: str,
        request: str | None,
        validity_time: int | None,
        validation_ip: str | None,
        language: str | None,
    ) -> str:
        validity = DEFAULT_VALIDITY if validity_time is None else validity_time
        if validity < 1:
            raise ApiError(
                "INVALID_FIELD_VALUE", field="validityTime", reason="must be a number of seconds, at least 1"
            )
        token = secrets.token_hex(20)
        now = self.clock.now()
        record = {
            "customer_reference": customer_reference,
            "kind": kind,
            "target": target,
            "request": request,
            "language": _language(language),
            "validation_ip": _address(validation_ip),
            "expires_at": now + validity,
        }
        self.store.add_sso_token(auth.hash_session_id(token), caller.merchant_id, record, now)  # type: ignore[arg-type]
        path, _, query = (account_path(target) if kind == ACCOUNT else target).partition("?")
        return f"{BASE_URL.get()}{path}?{query + '&' if query else ''}logintoken={token}"


def _page(name: str, page: str | None) -> str:
    page = (page or "").strip().lower() or "index"  # no page: the myAccount home, as the docs say
    if page not in ACCOUNT_PAGES:
        raise ApiError("INVALID_SSO_PAGE", field=name, value=page[:60], pages=", ".join(ACCOUNT_PAGES))
    return page


def _cart_target(url: str) -> str:
    """The cart path and query of a buy link, moved onto twoco's host (any old logintoken dropped)."""
    parts = urlsplit(url.strip())
    path = parts.path if parts.path.startswith("/order/") else CART_PATH
    query = urlencode(
        [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "logintoken"]
    )
    return path + (f"?{query}" if query else "")


def _address(value: str | None) -> str | None:
    """``validationIp``: "an empty string or a valid IP, or null"."""
    if value is None or not value.strip():
        return None
    try:
        return _canonical(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ApiError(
            "INVALID_FIELD_VALUE", field="validationIp", reason=f"must be empty or an IP address, not {value[:60]!r}"
        ) from None


def _canonical(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return str(getattr(address, "ipv4_mapped", None) or address)  # ::ffff:1.2.3.4 is 1.2.3.4


def _same_address(expected: str, client: str) -> bool:
    try:
        return _canonical(ipaddress.ip_address(client)) == expected
    except ValueError:
        return False


def _language(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    language = value.strip().lower()
    if language not in LANGUAGE_CODES:
        raise ApiError("INVALID_LANGUAGE", field="languageCode", value=value[:20])
    return language
