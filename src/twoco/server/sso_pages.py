"""The pages single sign-on links lead to: a sandbox myAccount and a cart landing page.

Served on the API's own host, outside ``/_twoco/`` (they work with ``--no-control-plane``), at
the paths 2Checkout's links use: ``/myaccount/<page>/`` and ``/support/`` for myAccount tokens,
``/order/…`` (e.g. ``/order/checkout.php``) for cart tokens; the token is the ``logintoken``
query parameter. Opening a link spends its token (``twoco.core.sso``); an unknown, spent, expired or
wrong-address link gets a page that says so, with 404, 410 or 403.

Customer data is user-controlled: every value is HTML-escaped, the pages carry no script,
and the Content-Security-Policy allows only their own inline style. The token is in the URL,
so no page lets a Referer carry it elsewhere.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from twoco.core.service import CURRENT_MERCHANT, Service
from twoco.core.sso import ACCOUNT, ACCOUNT_PAGES, CART, Visit, subscription_code
from twoco.protocols import Response, new_outcome

_CSS = """
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1f2933; background: #f4f6f8; }
header { background: #0b3d5c; color: #fff; padding: .7rem 1.5rem; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #e4e7eb; }
th, td { text-align: left; padding: .4rem .7rem; border-bottom: 1px solid #e4e7eb; overflow-wrap: anywhere; }
th { background: #eef2f7; font-size: .85rem; } .fields th { width: 14rem; }
.note { color: #616e7c; font-size: .9rem; } .refused { border-left: 4px solid #b42318; padding-left: 1rem; }
tr.chosen td { background: #fff7d6; }
"""

# Why a link did not open: (status, title, explanation).
_REFUSALS = {
    "unknown": (404, "Unknown link", "This sign-on link is not known here: its token is wrong, or the sandbox was reset since it was made."),
    "used": (410, "Link already used", "This sign-on link has been used already: each link logs in once. Ask the merchant's site for a new one."),
    "expired": (410, "Link expired", "This sign-on link has expired: it was valid for the validityTime it was made with (10 seconds unless set)."),
    "wrong_ip": (403, "Link refused for this address", "This sign-on link was made for another IP address (its validationIp), so it does not open from yours."),
    "no_token": (404, "No sign-on token", "This page opens through a single sign-on link, which carries a logintoken parameter."),
}  # fmt: skip


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class SsoPages:
    def __init__(self, service: Service) -> None:
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

    def handle(self, method: str, kind: str, query: str, client: str) -> Response:
        outcome = new_outcome("sso")
        outcome.operation = "myAccount" if kind == ACCOUNT else "cart"  # one word: the access log splits on spaces
        if method not in ("GET", "HEAD"):
            return _page(
                "Method not allowed", "<p>Sign-on links are opened with GET.</p>", 405, [("allow", "GET, HEAD")]
            )
        token = next((value for key, value in parse_qsl(query) if key.lower() == "logintoken"), "")
        if method == "HEAD":  # a HEAD (a link checker) must not spend the token a shopper is about to use
            return _page("Single sign-on", "", 200)
        visit = self.service.open_sso_link(token, kind, client) if token else Visit("no_token")
        if visit.token:
            CURRENT_MERCHANT.set(visit.token["merchant_id"])
        if visit.outcome != "ok":
            status, title, explanation = _REFUSALS[visit.outcome]
            return _page(title, f'<div class="refused"><h1>{_e(title)}</h1><p>{_e(explanation)}</p></div>', status)
        language = visit.token["language"] or visit.customer.get("Language") or "en"
        if kind == ACCOUNT:
            return _page(*_account(visit), language=language)
        return _page(*_cart(visit, query), language=language)


def _account(visit: Visit) -> tuple[str, str]:
    page = visit.token["target"]
    customer = visit.customer
    chosen = subscription_code(visit.token["request"])
    title = f"myAccount · {ACCOUNT_PAGES[page]}"
    rows = [
        (
            _e(s["SubscriptionReference"]),
            _e(s["Product"]["ProductName"] or s["Product"]["ProductCode"]),
            _e(s["StartDate"]),
            _e("lifetime" if s["Lifetime"] else s["ExpirationDate"]),
            "yes" if s["SubscriptionEnabled"] else "no",
            "yes" if s["RecurringEnabled"] else "no",
        )
        for s in visit.subscriptions
    ]
    marks = [row[0] == _e(chosen) for row in rows]
    body = (
        f"<h1>{_e(title)}</h1>"
        f'<p>Signed in as <strong id="customer-name">{_e(customer["FirstName"])} {_e(customer["LastName"])}</strong>'
        f" ({_e(customer['Email'])}), a customer of merchant {_e(visit.merchant_code)}.</p>"
        + (f'<p id="chosen">Subscription {_e(chosen)}.</p>' if chosen else "")
        + "<h2>Personal information</h2>"
        + _fields(customer)
        + f"<h2>Subscriptions ({len(rows)})</h2>"
        + _table(
            ("reference", "product", "start", "expiration", "enabled", "recurring"), rows, marks, "No subscription."
        )
        + '<p class="note">A twoco sandbox page standing in for 2Checkout myAccount; nothing here can be changed.</p>'
    )
    return title, body


def _cart(visit: Visit, query: str) -> tuple[str, str]:
    customer = visit.customer
    items = [(key, value) for key, values in parse_qs(query).items() if key.lower() != "logintoken" for value in values]
    body = (
        "<h1>Checkout</h1>"
        f'<p>Signed in as <strong id="customer-name">{_e(customer["FirstName"])} {_e(customer["LastName"])}</strong>'
        f" ({_e(customer['Email'])}): the billing details below are filled in from the customer account.</p>"
        + "<h2>Billing details</h2>"
        + _fields(customer)
        + "<h2>Buy-link parameters</h2>"
        + _table(("parameter", "value"), [(_e(k), _e(v)) for k, v in items], [], "None.")
        + '<p class="note">A twoco sandbox page standing in for the 2Checkout cart; no order can be placed.</p>'
    )
    return "Checkout", body


_SHOWN = (
    "AvangateCustomerReference", "ExternalCustomerReference", "FirstName", "LastName", "Company", "Email",
    "Phone", "Address1", "Address2", "City", "State", "Zip", "CountryCode", "Language",
)  # fmt: skip


def _fields(customer: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_e(name)}</th><td>{_e(customer.get(name))}</td></tr>" for name in _SHOWN)
    return f'<table class="fields">{rows}</table>'


def _table(headers: Iterable[str], rows: list[tuple[str, ...]], marks: list[bool], empty: str) -> str:
    if not rows:
        return f"<p>{_e(empty)}</p>"
    head = "".join(f"<th>{_e(name)}</th>" for name in headers)
    body = "".join(
        f"<tr{' class=chosen' if index < len(marks) and marks[index] else ''}>"
        + "".join(f"<td>{cell}</td>" for cell in row)
        + "</tr>"
        for index, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(
    title: str, body: str, status: int = 200, headers: list[tuple[str, str]] | None = None, language: str = "en"
) -> Response:
    nonce = secrets.token_urlsafe(16)
    document = (
        f'<!doctype html><html lang="{_e(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)} · twoco</title><style nonce="{nonce}">{_CSS}</style></head>'
        f"<body><header>twoco sandbox · single sign-on</header><main>{body}</main></body></html>"
    )
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
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
