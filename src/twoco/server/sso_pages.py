"""The pages single sign-on links lead to: a sandbox myAccount and a cart landing page.

Served on the API's own host, outside ``/_twoco/`` (they work with ``--no-control-plane``), at
the paths 2Checkout's links use: ``/myaccount/<page>/`` and ``/support/`` for myAccount tokens,
``/order/…`` (e.g. ``/order/checkout.php``) for cart tokens; the token is the ``logintoken``
query parameter. Opening a link spends its token (``twoco.domains.sso``); an unknown, spent, expired or
wrong-address link gets a page that says so, with 404, 410 or 403.

The markup is in ``templates/`` (Jinja2: a base layout, a template per page, the stylesheet
inlined from ``sso.css``); this module finds what each page shows. Customer data is
user-controlled: the templates are rendered with autoescaping on, the pages carry no script,
and the Content-Security-Policy allows only their own inline style. The token is in the URL,
so no page lets a Referer carry it elsewhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from twoco.core.exchange import Exchange
from twoco.core.service import Service
from twoco.domains import DomainStore
from twoco.domains.sso.links import ACCOUNT, ACCOUNT_PAGES, CART, Visit, subscription_code
from twoco.domains.sso.operations import open_link
from twoco.protocols import Response

# Why a link did not open: (status, title, explanation).
_REFUSALS = {
    "unknown": (404, "Unknown link",
        "This sign-on link is not known here: its token is wrong, or the sandbox was reset since it was made."),
    "used": (410, "Link already used",
        "This sign-on link has been used already: each link logs in once. Ask the merchant's site for a new one."),
    "expired": (410, "Link expired",
        "This sign-on link has expired: it was valid for the validityTime it was made with (10 seconds unless set)."),
    "wrong_ip": (403, "Link refused for this address",
        "This sign-on link was made for another IP address (its validationIp), so it does not open from yours."),
    "no_token": (404, "No sign-on token",
        "This page opens through a single sign-on link, which carries a logintoken parameter."),
}  # fmt: skip

_SHOWN = (
    "AvangateCustomerReference", "ExternalCustomerReference", "FirstName", "LastName", "Company", "Email",
    "Phone", "Address1", "Address2", "City", "State", "Zip", "CountryCode", "Language",
)  # fmt: skip

_TEMPLATES = Environment(
    loader=ChoiceLoader([PackageLoader("twoco.server"), PackageLoader("twoco")]),  # twoco/templates: document.html
    autoescape=True,
    undefined=StrictUndefined,
    finalize=lambda value: "" if value is None else value,  # an absent field shows as nothing
    trim_blocks=True,
    lstrip_blocks=True,
)


class SsoPages:
    def __init__(self, service: Service[DomainStore]) -> None:
        self.service = service

    @staticmethod
    def kind_of(path: str) -> str | None:
        """Which token ``path`` (no trailing slash) takes: account, cart, or None when it is no SSO page."""
        first = path.split("/")[1] if path.startswith("/") else ""
        if first in ("myaccount", "support"):
            return ACCOUNT
        if first == "order" and path != "/order":
            return CART
        return None

    def handle(self, method: str, kind: str, query: str, exchange: Exchange) -> Response:
        exchange.protocol = "sso"
        exchange.operation = "myAccount" if kind == ACCOUNT else "cart"  # one word: the access log splits on spaces
        if method not in ("GET", "HEAD"):
            message = "Sign-on links are opened with GET."
            return page("message.html", 405, [("allow", "GET, HEAD")], title="Method not allowed", message=message)
        token = next((value for key, value in parse_qsl(query) if key.lower() == "logintoken"), "")
        if method == "HEAD":  # a HEAD (a link checker) must not spend the token a shopper is about to use
            return page("base.html", title="Single sign-on")
        visit = open_link(self.service.context, token, kind, exchange.client) if token else Visit("no_token")
        if visit.token:
            exchange.merchant_id, exchange.merchant_code = visit.token["merchant_id"], visit.token["merchant_code"]
        if visit.outcome != "ok":
            status, title, explanation = _REFUSALS[visit.outcome]
            return page("refused.html", status, title=title, explanation=explanation)
        language = visit.token["language"] or visit.customer.get("Language") or "en"
        if kind == ACCOUNT:
            return page("account.html", language=language, **_account(visit))
        return page("cart.html", language=language, **_cart(visit, query))


def _account(visit: Visit) -> dict[str, Any]:
    """A myAccount page's view: the customer, and a row per subscription (the one the request names marked)."""
    chosen = subscription_code(visit.token["request"])
    rows = [
        (
            s["SubscriptionReference"],
            s["Product"]["ProductName"] or s["Product"]["ProductCode"],
            s["StartDate"],
            "lifetime" if s["Lifetime"] else s["ExpirationDate"],
            "yes" if s["SubscriptionEnabled"] else "no",
            "yes" if s["RecurringEnabled"] else "no",
        )
        for s in visit.subscriptions
    ]
    marked = [index for index, row in enumerate(rows) if chosen is not None and str(row[0]) == chosen]
    return {
        "title": f"myAccount · {ACCOUNT_PAGES[visit.token['target']]}",
        "customer": visit.customer,
        "merchant_code": visit.merchant_code,
        "chosen": chosen,
        "rows": rows,
        "chosen_row": marked[0] if marked else None,
        "shown": _SHOWN,
    }


def _cart(visit: Visit, query: str) -> dict[str, Any]:
    """The cart page's view: the customer, and the buy-link's parameters but the token."""
    items = [(key, value) for key, values in parse_qs(query).items() if key.lower() != "logintoken" for value in values]
    return {"title": "Checkout", "customer": visit.customer, "items": items, "shown": _SHOWN}


def page(
    template: str,
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
    form_targets: Sequence[str] = (),
    **view: Any,
) -> Response:
    """A page rendered from ``templates/``, its inline style allowed by a nonce of its own; its one
    form (a payment page's) posts to the page itself, whose answer may redirect only to
    ``form_targets`` (origins, ``http://host:port``): browsers hold a form's redirects to the
    page's form-action too."""
    nonce = secrets.token_urlsafe(16)
    document = _TEMPLATES.get_template(template).render(style_nonce=nonce, **{"language": "en", **view})
    targets = "".join(f" {origin}" for origin in form_targets)
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'self'{targets};"
        " frame-ancestors 'none'"
    )
    return Response(
        status,
        document.encode(),
        "text/html; charset=utf-8",
        [
            ("content-security-policy", policy),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),  # the URL holds the token
            ("cache-control", "no-store"),
            *(headers or []),
        ],
    )
