"""The pages a shopper is sent to when a payment waits for them: the sandbox's 3-D Secure
challenge and its PayPal approval.

placeOrder answers a card that asks for 3-D Secure with ``Authorize3DS{Href, Method: GET,
Params{avng8apitoken}}``, and 2Checkout's plugins send the shopper to ``Href?avng8apitoken=…``;
a PayPal payment's ``RedirectURL`` carries a ``token``. Both pages show the order and two
buttons. The shopper's answer (a POST of the same page) authorises the order or leaves it PENDING
with 2Checkout's payment error (``twoco.domains.orders.sandbox.answer_payment_page``), then
sends the shopper back to the merchant: to ``Vendor3DSReturnURL`` (PayPal: ``ReturnURL``) when
authorised, to ``Vendor3DSCancelURL`` (``CancelURL``) when not, with the order's ``REFNO`` added
to the query, which 2Checkout's WooCommerce and WHMCS plugins read. A link works once.

Served on the API's own host at 2Checkout's path (``/scripts/credit_card/authorize``), outside
``/_twoco/``: they work with ``--no-control-plane``. Like the sign-on pages, they carry no script
and their only form posts to themselves; their form-action names the origins of the order's
return and cancel addresses too, since a browser holds the redirect that answers the form to
it (Chromium stops at a redirect to another origin the policy does not name).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from twoco.core.exchange import Exchange
from twoco.core.service import Service
from twoco.domains import DomainStore
from twoco.domains.orders.records import StoredOrder
from twoco.domains.orders.sandbox import answer_payment_page
from twoco.protocols import Response
from twoco.server.sso_pages import page

THREE_D_SECURE_PATH = "/scripts/credit_card/authorize"
PAYPAL_PATH = "/scripts/paypal/approve"
PATHS = {THREE_D_SECURE_PATH: "avng8apitoken", PAYPAL_PATH: "token"}  # the query parameter naming the order


class PaymentPages:
    def __init__(self, service: Service[DomainStore]) -> None:
        self.service = service

    def handle(self, method: str, path: str, query: str, body: bytes, exchange: Exchange) -> Response:
        exchange.protocol = "payment"
        exchange.operation = "3DS" if path == THREE_D_SECURE_PATH else "PayPal"
        sent = dict(parse_qsl(query))
        if method == "POST":
            sent.update(parse_qsl(body.decode("latin-1")))
        token = sent.get(PATHS[path], "")
        if method not in ("GET", "HEAD", "POST"):
            message = "This page is opened with GET and answered with POST."
            return page(
                "message.html", 405, [("allow", "GET, HEAD, POST")], title="Method not allowed", message=message
            )
        if method == "POST" and sent.get("answer") in ("approve", "refuse"):
            answered = answer_payment_page(self.service.context, token, sent["answer"] == "approve") if token else None
            if answered is not None:
                return _back_to_merchant(*answered)
        found = self.service.store.order_by_token(token) if token else None
        if found is None:
            explanation = "This payment link names no order waiting for its shopper: it was used already, or the "
            explanation += "sandbox was reset since it was made."
            return page("refused.html", 404, title="Unknown payment link", explanation=explanation)
        urls = found[1].document.get("_return_urls") or {}
        origins = sorted({origin for url in urls.values() if url and (origin := _origin(url))})
        return page("payment.html", form_targets=origins, **_view(path, token, found[1]))


def _view(path: str, token: str, order: StoredOrder) -> dict[str, Any]:
    document = order.document
    method = document["PaymentDetails"]["PaymentMethod"]
    card = " ".join(filter(None, (method.get("CardType"), method.get("FirstDigits"), "…", method.get("LastDigits"))))
    return {
        "title": "3-D Secure authentication" if path == THREE_D_SECURE_PATH else "PayPal",
        "heading": "sandbox payment",
        "ref_no": order.ref_no,
        "amount": f"{document['GrossPrice']:.2f} {document['Currency'].upper()}",
        "items": [item["ProductDetails"]["Name"] for item in document["Items"]],
        "card": card if method.get("LastDigits") else "",
        "action": path,
        "token_name": PATHS[path],
        "token": token,
        "approve": "Authenticate" if path == THREE_D_SECURE_PATH else "Pay with PayPal",
        "refuse": "Fail authentication" if path == THREE_D_SECURE_PATH else "Cancel and return to the shop",
    }


def _back_to_merchant(merchant_id: int, order: StoredOrder, paid: bool) -> Response:
    """Where the shopper goes next: the merchant's return address when the shopper approved and
    the order is paid, else its cancel address (a refusal, an order canceled meanwhile), with REFNO."""
    urls = order.document.get("_return_urls") or {}
    target = urls.get("success" if paid else "cancel")
    if not target:
        message = f"Order {order.ref_no} is {order.status}; the order named no address to return to."
        return page("message.html", title="Payment answered", message=message)
    return Response(303, b"", "text/plain", [("location", _with_ref_no(target, order.ref_no))])


_ORIGIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _origin(url: str) -> str | None:
    """The origin (``scheme://host:port``) of a return address, as the page's form-action names
    it so that the answer's redirect there is allowed; None for what no source expression may
    safely hold (another scheme, a host with other characters)."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() not in ("http", "https") or not _ORIGIN_HOST.fullmatch(host):
        return None
    return f"{parts.scheme.lower()}://{host}"


def _with_ref_no(url: str, ref_no: int) -> str:
    """``url`` with ``REFNO`` added to its query (an address without a scheme, as the PHP SDK's
    "www.test.com", is taken as http)."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [("REFNO", str(ref_no))]
    return urlunsplit(parts._replace(query=urlencode(query)))
