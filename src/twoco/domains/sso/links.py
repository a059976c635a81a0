"""Single sign-on's rules: links that log a customer into myAccount or the cart, and their tokens.

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
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from twoco.core.errors import ApiError
from twoco.core.iso_codes import LANGUAGE_CODES

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
CUSTOMER_TYPES = {
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


def page_name(name: str, page: str | None) -> str:
    page = (page or "").strip().lower() or "index"  # no page: the myAccount home, as the docs say
    if page not in ACCOUNT_PAGES:
        raise ApiError("INVALID_SSO_PAGE", field=name, value=page[:60], pages=", ".join(ACCOUNT_PAGES))
    return page


def cart_target(url: str) -> str:
    """The cart path and query of a buy link, moved onto twoco's host (any old logintoken dropped)."""
    parts = urlsplit(url.strip())
    path = parts.path if parts.path.startswith("/order/") else CART_PATH
    query = urlencode(
        [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "logintoken"]
    )
    return path + (f"?{query}" if query else "")


def validation_address(value: str | None) -> str | None:
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


def same_address(expected: str, client: str) -> bool:
    try:
        return _canonical(ipaddress.ip_address(client)) == expected
    except ValueError:
        return False


def language_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    language = value.strip().lower()
    if language not in LANGUAGE_CODES:
        raise ApiError("INVALID_LANGUAGE", field="languageCode", value=value[:20])
    return language
