"""The dashboard at ``/_twoco/``: server-rendered HTML pages for looking around a sandbox.

- ``/_twoco/`` — merchants (code, created, customers, products; never a secret key), the sandbox
  clock with a form that advances it (or puts it back: ``POST /_twoco/clock``), and a search box;
- ``/_twoco/customers?q=…&merchant=…&page=N`` — customers by either reference, or by a
  case-insensitive prefix of the email, last name, first name or "first last" (indexed: see
  ``SqlStore.search_customers``), 50 a page;
- ``/_twoco/customers/CODE/REFERENCE`` — one customer: fields, subscriptions (each product
  linked to its catalogue page when the catalogue holds it), its latest orders, change history;
- ``/_twoco/products/CODE?page=N`` — a merchant's catalogue, in the order products were added, 50 a page;
- ``/_twoco/products/CODE/PRODUCTCODE`` — one product: fields, subscription terms, pricing
  configurations with their prices per currency and quantity band;
- ``/_twoco/orders/CODE?status=…&test=yes|no&customer=REFERENCE&page=N`` — a merchant's orders of
  every date, newest first, 50 a page, by status, test flag and customer (each filter optional);
- ``/_twoco/orders/CODE/REFNO`` — one order: fields, billing details, items with the
  subscriptions they made (linked to their customer's page), payment, totals, refunds, its
  customer, status history, and a form per action its status allows, posting to the control
  plane's ``POST /_twoco/orders/CODE/REFNO/ACTION`` (which answers 303 back to the page);
- ``/_twoco/inbox?merchant=CODE&kind=IPN|LCN&state=pending|delivered|failed|unsent&reference=REF&page=N``
  — the notifications (IPNs and LCNs), newest first, 50 a page, each filter optional: id, merchant,
  kind, event, reference (an IPN's linked to its order, an LCN's to its subscription's row on its
  customer's page), test flag, when made, state, attempts, next attempt; a form firing one by hand
  (``POST /_twoco/notifications/trigger``) and, with a merchant chosen, where its notifications go
  with a form changing it (``POST /_twoco/merchants/CODE/notifications``);
- ``/_twoco/inbox/ID`` — one notification: its summary, URL and algorithms, every field as sent,
  the form body, every delivery attempt, and a button posting ``/_twoco/notifications/ID/resend``
  (the control plane answers those posts 303 back to a page of the inbox);
- ``/_twoco/journal`` — the live request journal, read from ``/_twoco/requests`` by
  ``static/journal.js``;
- ``/_twoco/static/NAME`` — the stylesheet and that script.

This module routes, queries and makes each page's view data; the markup is in ``templates/``
(Jinja2, a base layout and a template per page), rendered with autoescaping on. Customer data
is attacker-controlled: every value reaches the page through autoescape (nothing is marked
safe), and the journal's script only ever sets ``textContent``. A Content-Security-Policy
lets nothing load or run but the stylesheet and script of ``static/``, each named by the
page's own nonce, and lets forms post nowhere but to the dashboard's own origin (an order's
action buttons, the inbox's forms).

The orders pages read as the API does: orders due to complete on the sandbox clock complete
first (the list settles the merchant's, an order's page that one order), so a page never shows
an order AUTHRECEIVED that a getOrder would answer COMPLETE.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, cast
from urllib.parse import parse_qs, quote, unquote, urlencode

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from twoco.core import history
from twoco.core.errors import ApiError
from twoco.core.port import Merchant, ServedStore
from twoco.core.registry import Caller
from twoco.core.service import Service
from twoco.core.validation import MERCHANT_CODE, ascii_integer, internal_reference
from twoco.domains import DomainStore
from twoco.domains.customers.operations import get_customer
from twoco.domains.notifications import sandbox as notifications
from twoco.domains.notifications.deliveries import form_body
from twoco.domains.notifications.ipn import EVENTS as IPN_EVENTS
from twoco.domains.notifications.lcn import DISPATCH_REASONS
from twoco.domains.notifications.records import IPN, KINDS, LCN, STATES, Attempt, Notification, state_text
from twoco.domains.notifications.signatures import ALGORITHMS
from twoco.domains.orders.lifecycle import ACTIONS, AUTHRECEIVED, CANCELED, COMPLETE, PENDING, REFUND, REVERSED
from twoco.domains.orders.operations import get_order
from twoco.domains.orders.sandbox import settle_due
from twoco.domains.products.operations import get_product_by_code, search_products
from twoco.domains.products.rules import MAX_QUANTITY
from twoco.domains.subscriptions.operations import get_customer_subscriptions
from twoco.protocols import Response

PAGE_SIZE = 50
HISTORY_SHOWN = 200  # the latest entries a customer page shows; the CLI prints them all
ORDER_STATUSES = (PENDING, AUTHRECEIVED, COMPLETE, REVERSED, CANCELED, REFUND)  # the orders list's filter
TEST_FILTER = {"": None, "yes": True, "no": False}
MAX_QUERY = 200  # characters of a search
MAX_REFERENCE = 64  # characters of the inbox's reference filter (a RefNo, a SubscriptionReference)
BASE = "/_twoco"

_CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _load_static() -> dict[str, tuple[bytes, str, str]]:
    """The files of ``static/``: name → (content, content type, version: a digest of the content)."""
    found = {}
    for each in (files("twoco.sandbox") / "static").iterdir():
        suffix = each.name[each.name.rfind(".") :]
        if suffix in _CONTENT_TYPES:
            content = each.read_bytes()
            found[each.name] = (content, _CONTENT_TYPES[suffix], hashlib.sha256(content).hexdigest()[:16])
    return found


_STATIC = _load_static()


# The clock moves the home page offers: what a test of sessions, orders and notifications needs.
CLOCK_ADVANCES = (
    (601, "10 minutes (sessions expire)"),
    (151, "2.5 minutes (a notification's first retry)"),
    (3600, "1 hour"),
    (86400, "1 day"),
    (30 * 86400, "30 days"),
)


def _ahead(offset: float) -> str:
    """How far the sandbox clock is from real time, in words."""
    if abs(offset) < 1:
        return "real time"
    seconds = round(abs(offset))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")) if value
    ]
    return f"{' '.join(parts)} {'ahead of' if offset > 0 else 'behind'} real time"


def _url(path: str, **query: object) -> str:
    return BASE + path + ("?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}) if query else "")


def _static_url(name: str) -> str:
    """A static file's address, versioned by its content: a page never gets a stale copy from a cache."""
    return _url(f"/static/{name}", v=_STATIC[name][2])


def _text(value: object) -> object:
    """What ``{{ value }}`` shows: text as it is, other values as the CLI shows them (null, true, 5)."""
    return value if isinstance(value, str) else history.describe(value)


_TEMPLATES = Environment(
    loader=ChoiceLoader([PackageLoader("twoco.sandbox"), PackageLoader("twoco")]),  # twoco/templates: document.html
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_text,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.globals.update(url=_url, static_url=_static_url, max_query=MAX_QUERY)


def _customer_path(merchant: str, reference: object) -> str:
    return f"/customers/{quote(str(merchant), safe='')}/{reference}"


def _orders_path(merchant: str, ref_no: object = None) -> str:
    return f"/orders/{quote(merchant, safe='')}" + ("" if ref_no is None else f"/{ref_no}")


def _inbox_path(notification_id: object = None) -> str:
    return "/inbox" + ("" if notification_id is None else f"/{notification_id}")


def _product_path(merchant: str, code: str | None = None) -> str:
    """A merchant's catalogue page, or one product's: a code may hold any character, "/" too."""
    return f"/products/{quote(merchant, safe='')}" + ("" if code is None else f"/{quote(code, safe='')}")


class Dashboard:
    def __init__(self, service: Service[DomainStore], store: ServedStore) -> None:
        self.service = service
        self.store = store

    @staticmethod
    def serves(path: str) -> bool:
        """Whether ``/_twoco/<path>`` (no slash at either end) is a dashboard page or file."""
        parts = path.split("/")
        return (
            path in ("", "customers", "journal", "inbox")
            or (len(parts) == 3 and parts[0] == "customers")
            or (len(parts) == 2 and parts[0] == "inbox")
            or (len(parts) in (2, 3) and parts[0] in ("products", "orders"))
            or (len(parts) == 2 and parts[0] == "static" and parts[1] in _STATIC)
        )

    def handle(self, path: str, query: str) -> Response:
        """The page at ``/_twoco/<path>``, one that :meth:`serves`."""
        params = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
        if path == "":
            return self._home()
        if path == "customers":
            return self._search(params)
        if path == "journal":
            return _page("journal.html", title="Request journal", script=True)
        if path == "inbox":
            return self._inbox(params)
        kind, *rest = path.split("/")
        if kind == "static":
            return _static(rest[0], params.get("v"))
        if kind == "inbox":
            return self._notification(unquote(rest[0]))
        if kind in ("products", "orders"):  # a merchant's list, or one of its records
            merchant = self._merchant(unquote(rest[0]))
            if merchant is None:
                return _not_found(f"No merchant {unquote(rest[0])!r}.")
            if kind == "products":
                return self._products(merchant, params) if len(rest) == 1 else self._product(merchant, unquote(rest[1]))
            return self._orders(merchant, params) if len(rest) == 1 else self._order(merchant, unquote(rest[1]))
        code, reference = rest
        return self._customer(unquote(code), unquote(reference))

    def _merchant(self, code: str) -> Merchant | None:
        return self.store.merchant(code) if MERCHANT_CODE.fullmatch(code) else None

    # --- pages ----------------------------------------------------------------------

    def _home(self) -> Response:
        merchants = [
            {
                "code": code,
                "created": created,
                "customers": customers,
                "products": products,
                "orders": orders,
                "path": _product_path(code),
                "orders_path": _orders_path(code),
                "inbox_path": _inbox_path(),
            }
            for code, created, customers, products, orders in self.store.merchant_overview()
        ]
        clock = self.service.clock
        return _page(
            "home.html",
            title="twoco dashboard",
            merchants=merchants,
            clock={"now": clock.now_datetime().strftime("%Y-%m-%d %H:%M:%S"), "ahead": _ahead(clock.offset)},
            advances=CLOCK_ADVANCES,
        )

    def _search(self, params: Mapping[str, str]) -> Response:
        # A text or code no store can hold (NUL: PostgreSQL text refuses it) names nothing.
        text = params.get("q", "").strip()[:MAX_QUERY].replace("\x00", "")
        code = params.get("merchant", "")
        page = max(ascii_integer(params.get("page", ""), 6) or 1, 1)
        codes = [merchant.code for merchant in self.store.merchants()]
        merchant = self.store.merchant(code) if MERCHANT_CODE.fullmatch(code) else None
        found: list[dict[str, Any]] = []
        if not code or merchant is not None:
            offset = (page - 1) * PAGE_SIZE
            found = self.store.search_customers(text, merchant.id if merchant else None, offset + PAGE_SIZE + 1)
            found = found[offset:]
        customers = [
            {
                "merchant": row["merchant"],
                "path": _customer_path(row["merchant"], row["reference"]),
                "reference": row["reference"],
                "external": row["external"] or "",
                "name": f"{row['first_name']} {row['last_name']}",
                "email": row["email"],
                "country": row["country_code"],
            }
            for row in found[:PAGE_SIZE]
        ]
        return _page(
            "customers.html",
            title=f"Customers matching “{text}”" if text else "Customers",
            text=text,
            code=code,
            codes=codes,
            unknown_merchant=bool(code) and merchant is None,
            customers=customers,
            page=page,
            more=len(found) > PAGE_SIZE,
        )

    def _customer(self, code: str, text: str) -> Response:
        merchant = self._merchant(code)
        reference = internal_reference(text)
        if merchant is None or reference is None:
            return _not_found(f"No merchant {code!r} with customer {text!r}.")
        caller = Caller("6.0", "dashboard", merchant.id)
        try:
            customer = get_customer(self.service.context, caller, reference, None)
            subscriptions = get_customer_subscriptions(self.service.context, caller, reference, None)
        except ApiError as error:
            return _not_found(error.message)
        entries = self.store.customer_history(merchant.id, reference, latest=HISTORY_SHOWN)
        recorded = self.store.history_size(merchant.id, reference) if len(entries) == HISTORY_SHOWN else len(entries)
        fields = history.flatten({name: value for name, value in customer.items() if name != "ExistingCards"})
        name = f"{customer['FirstName']} {customer['LastName']}"
        views = [_subscription_view(subscription) for subscription in subscriptions]
        catalogued = self.store.catalogued(merchant.id, sorted({view["product"] for view in views} - {None}))
        for view in views:  # a product the catalogue holds links to its page
            view["product_path"] = _product_path(code, view["product"]) if view["product"] in catalogued else None
        orders = self.store.dashboard_orders(merchant.id, customer=reference, limit=PAGE_SIZE + 1)
        return _page(
            "customer.html",
            title=name,
            name=name,
            code=code,
            reference=text,
            fields=list(fields.items()),
            subscriptions=views,
            orders=[_order_row(code, row) for row in orders[:PAGE_SIZE]],
            more_orders=len(orders) > PAGE_SIZE,
            orders_path=_orders_path(code),
            recorded=recorded,
            entries=[_history_view(entry) for entry in entries],
        )

    def _products(self, merchant: Merchant, params: Mapping[str, str]) -> Response:
        page = max(ascii_integer(params.get("page", ""), 6) or 1, 1)
        caller = Caller("6.0", "dashboard", merchant.id)
        search = {"Pagination": {"Page": page, "Limit": PAGE_SIZE}}
        found = cast(dict[str, Any], search_products(self.service.context, caller, search))  # 6.0: a page
        products = [
            {
                "path": _product_path(merchant.code, product["ProductCode"]),
                "code": product["ProductCode"],
                "name": product["ProductName"],
                "type": product["ProductType"],
                "enabled": product["Enabled"],
                "group": product["GroupName"],
                "price": _default_price(product["PricingConfigurations"]),
            }
            for product in found["Items"]
        ]
        count = found["Pagination"]["Count"]
        return _page(
            "products.html",
            title=f"{merchant.code}'s products",
            code=merchant.code,
            path=_product_path(merchant.code),
            count=count,
            products=products,
            page=page,
            more=page * PAGE_SIZE < count,
        )

    def _product(self, merchant: Merchant, code: str) -> Response:
        try:
            product: dict[str, Any] = get_product_by_code(
                self.service.context, Caller("6.0", "dashboard", merchant.id), code
            )
        except ApiError as error:
            return _not_found(error.message)
        shown = {name: value for name, value in product.items() if name not in _PRODUCT_SECTIONS}
        terms = product["SubscriptionInformation"]
        return _page(
            "product.html",
            title=str(product["ProductName"]),
            name=product["ProductName"],
            code=merchant.code,
            products_path=_product_path(merchant.code),
            fields=list(history.flatten(shown).items()),
            terms=list(history.flatten(terms).items()) if isinstance(terms, dict) else [],
            configurations=[_configuration_view(each) for each in product["PricingConfigurations"]],
        )

    def _orders(self, merchant: Merchant, params: Mapping[str, str]) -> Response:
        page = max(ascii_integer(params.get("page", ""), 6) or 1, 1)
        status = params.get("status", "").upper()
        test = params.get("test", "").lower()
        customer_text = params.get("customer", "").strip()
        customer = internal_reference(customer_text) if customer_text else None
        refused = [
            f"No status {params['status']}." if status and status not in ORDER_STATUSES else "",
            f"No test filter {params['test']}: yes or no." if test not in TEST_FILTER else "",
            f"No customer reference {customer_text}." if customer_text and customer is None else "",
        ]
        found: list[dict[str, Any]] = []
        if not any(refused):
            settle_due(self.service.context, merchant.id)  # as searchOrders: orders due complete first
            offset = (page - 1) * PAGE_SIZE
            found = self.store.dashboard_orders(
                merchant.id, status or None, TEST_FILTER[test], customer, PAGE_SIZE + 1, offset
            )
        filters = {"status": status, "test": test, "customer": customer_text}
        return _page(
            "orders.html",
            title=f"{merchant.code}'s orders",
            code=merchant.code,
            path=_orders_path(merchant.code),
            statuses=ORDER_STATUSES,
            filters=filters,
            refused=[reason for reason in refused if reason],
            orders=[_order_row(merchant.code, row) for row in found[:PAGE_SIZE]],
            page=page,
            more=len(found) > PAGE_SIZE,
        )

    def _order(self, merchant: Merchant, text: str) -> Response:
        context = self.service.context
        try:  # as the API reads it: an order due on the sandbox clock completes first
            view = get_order(context, Caller("6.0", "dashboard", merchant.id), text)
        except ApiError as error:
            return _not_found(error.message)
        stored = context.store.order(merchant.id, int(view["RefNo"]))
        if stored is None:  # reset between the two reads
            return _not_found(f"No order {text!r}.")
        code = merchant.code
        made = [
            entry["SubscriptionReference"]
            for item in view["Items"]
            for entry in item["ProductDetails"]["Subscriptions"] or ()
        ]
        owners = {
            reference: record["AvangateCustomerReference"]
            for reference, record in context.store.subscriptions_by_reference(merchant.id, made).items()
        } if made else {}  # fmt: skip
        catalogued = self.store.catalogued(merchant.id, sorted({item.get("Code") for item in view["Items"]} - {None}))
        currency = str(view["Currency"]).upper()
        named = stored.document["_customer"]
        actions = [
            action
            for action, (starts, _, _) in ACTIONS.items()
            if stored.status in starts and not (action == "approve" and stored.approve_status == "OK")
        ]
        return _page(
            "order.html",
            title=f"Order {view['RefNo']}",
            code=code,
            ref_no=view["RefNo"],
            order_status=stored.status,
            approve_status=stored.approve_status,
            orders_path=_orders_path(code),
            fields=[(name, view.get(name)) for name in _ORDER_FIELDS],
            billing=list(history.flatten(view["BillingDetails"]).items()),
            items=[_item_view(code, item, currency, owners, catalogued) for item in view["Items"]],
            payment=_payment_view(view["PaymentDetails"], waiting=stored.payment_token is not None),
            errors=list((view["Errors"] or {}).items()),
            totals=[(name, f"{view[name]:,.2f} {currency}") for name in _TOTALS],
            refunds=[_refund_view(refund) for refund in view.get("Refunds") or ()],
            customer={
                **_customer_view(code, stored.customer_reference, named),
                "pending": stored.status in (PENDING, AUTHRECEIVED),
            },
            history=stored.history,
            actions=[(action, _url(f"{_orders_path(code, view['RefNo'])}/{action}")) for action in actions],
        )

    def _inbox(self, params: Mapping[str, str]) -> Response:
        page = max(ascii_integer(params.get("page", ""), 6) or 1, 1)
        code = params.get("merchant", "").strip()
        kind = params.get("kind", "").strip().upper()
        state = params.get("state", "").strip().lower()
        reference = params.get("reference", "").strip()[:MAX_REFERENCE].replace("\x00", "")
        merchant = self._merchant(code) if code else None
        refused = [
            f"No merchant {code}." if code and merchant is None else "",
            f"No kind {params['kind']}: IPN or LCN." if kind and kind not in KINDS else "",
            f"No state {params['state']}: {', '.join(STATES)}." if state and state not in STATES else "",
        ]
        found: list[Notification] = []
        total = 0
        context = self.service.context
        if not any(refused):
            filters = {
                "merchant_id": merchant.id if merchant else None,
                "kind": kind or None,
                "state": state or None,
                "reference": reference or None,
            }
            found, total = notifications.inbox(context, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        owners = self._subscription_owners(found)
        settings = notifications.notification_settings(context, merchant.id) if merchant else None
        filters_shown = {"merchant": code, "kind": kind, "state": state, "reference": reference}
        return _page(
            "inbox.html",
            title=f"{code}'s notifications" if merchant else "Notifications",
            code=merchant.code if merchant else "",
            codes=[each.code for each in self.store.merchants()],
            path=_inbox_path(),
            kinds=KINDS,
            states=[(each, state_text(each)) for each in STATES],
            filters=filters_shown,
            refused=[reason for reason in refused if reason],
            notifications=[_notification_row(each, owners) for each in found],
            total=total,
            page=page,
            more=page * PAGE_SIZE < total,
            settings=settings,
            settings_target=_url(f"/merchants/{merchant.code}/notifications") if merchant else "",
            all_algorithms=list(ALGORITHMS),
            trigger_target=_url("/notifications/trigger"),
            reasons=DISPATCH_REASONS,
            order_events=[order_status for order_status, _ in IPN_EVENTS.values()],
        )

    def _notification(self, text: str) -> Response:
        number = ascii_integer(text, 18)
        if number is None:
            return _not_found(f"No notification {text!r}.")
        try:
            found = notifications.notification(self.service.context, number)
        except ApiError as error:
            return _not_found(error.message)
        row = _notification_row(found, self._subscription_owners([found]))
        return _page(
            "notification.html",
            title=f"{found.kind} {found.id}",
            notification=row,
            destination=found.url,
            algorithms=", ".join(found.algorithms),
            fields=found.fields,  # an array's value is its elements, each shown
            body=form_body(found.fields).decode("ascii"),
            attempts=[_attempt_view(attempt) for attempt in found.history],
            resend_target=_url(f"/notifications/{found.id}/resend"),
            inbox_path=_inbox_path(),
        )

    def _subscription_owners(self, found: list[Notification]) -> dict[tuple[int, str], int]:
        """The customer owning each LCN's subscription, by (merchant id, reference): a read per merchant."""
        wanted: dict[int, set[str]] = {}
        for each in found:
            if each.kind == LCN:
                wanted.setdefault(each.merchant_id, set()).add(each.reference)
        store = self.service.context.store
        return {
            (merchant_id, reference): int(record["AvangateCustomerReference"])
            for merchant_id, references in wanted.items()
            for reference, record in store.subscriptions_by_reference(merchant_id, sorted(references)).items()
        }


def _when(seconds: float | None) -> str | None:
    """A time on the sandbox clock as the inbox shows it, in UTC to the second."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _notification_row(notification: Notification, owners: Mapping[tuple[int, str], int]) -> dict[str, Any]:
    """A notification as the inbox lists it: its reference linked to its order (IPN) or to its
    subscription's row on its owner's page (LCN), when there is one."""
    code, reference = notification.merchant_code, notification.reference
    if notification.kind == IPN:
        ref_no = ascii_integer(reference, 12)
        reference_path = None if ref_no is None else _orders_path(code, ref_no)
    else:
        owner = owners.get((notification.merchant_id, reference))
        reference_path = None if owner is None else _customer_path(code, owner) + f"#subscription-{quote(reference)}"
    return {
        "id": notification.id,
        "path": _inbox_path(notification.id),
        "merchant": code,
        "kind": notification.kind,
        "event": notification.event,
        "reference": reference,
        "reference_path": reference_path,
        "test": notification.test,
        "made_at": _when(notification.made_at),
        "state": notification.state,
        "state_text": state_text(notification.state),
        "attempts": notification.attempts,
        "next_attempt": _when(notification.due_at),
    }


def _attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {**asdict(attempt), "at": _when(attempt.at), "seconds": f"{attempt.seconds:.3f}"}


_ORDER_FIELDS = (
    "RefNo", "OrderNo", "ExternalReference", "Status", "ApproveStatus", "VendorApproveStatus", "TestOrder",
    "OrderDate", "FinishDate", "Source", "Language", "Origin", "OrderFlow", "RecurringEnabled",
)  # fmt: skip
_TOTALS = ("NetPrice", "VAT", "Discount", "GrossPrice")


def _money(amount: object, currency: str) -> str:
    return f"{float(amount):,.2f} {currency}" if isinstance(amount, (int, float)) else ""


def _order_row(code: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """An order as the lists show it: the customer it made, or the one it names, linked."""
    reference, external = row["customer_reference"], None
    if reference is None:
        reference, external = row["named"]
    return {
        "ref_no": row["ref_no"],
        "path": _orders_path(code, row["ref_no"]),
        "date": row["order_date"],
        "status": row["status"],
        "approve_status": row["approve_status"],
        "test": row["test"],
        "total": _money(row["gross_price"], row["currency"]),
        "customer": reference,
        "customer_path": None if reference is None else _customer_path(code, reference),
        "external": external,
    }


def _item_view(
    code: str, item: Mapping[str, Any], currency: str, owners: Mapping[str, int], catalogued: set[str]
) -> dict[str, Any]:
    price = item["Price"]
    subscriptions = [
        {
            "reference": entry["SubscriptionReference"],
            "path": _customer_path(code, owners[entry["SubscriptionReference"]])
            + f"#subscription-{entry['SubscriptionReference']}"
            if entry["SubscriptionReference"] in owners
            else None,
            "expiration": "lifetime" if entry["Lifetime"] else entry["ExpirationDate"],
            "enabled": bool(entry["Enabled"]),
        }
        for entry in item["ProductDetails"]["Subscriptions"] or ()
    ]
    product = item.get("Code")
    return {
        "name": item["ProductDetails"]["Name"],
        "code": product,
        "product_path": _product_path(code, product) if product in catalogued else None,
        "quantity": item["Quantity"],
        "unit": _money(price["UnitGrossPrice"], currency),
        "total": _money(price["GrossPrice"], currency),
        "subscriptions": subscriptions,
    }


def _payment_view(payment: Mapping[str, Any] | None, waiting: bool) -> list[tuple[str, object]]:
    """The payment's fields worth a look: type, currency, card (first and last digits), whether a
    3-D Secure or PayPal page still waits for the shopper (``waiting``: its link is unused)."""
    if not payment:
        return []
    method = payment.get("PaymentMethod") or {}
    shown: list[tuple[str, object]] = [("Type", payment.get("Type")), ("Currency", payment.get("Currency"))]
    if method.get("LastDigits"):
        card = " ".join(filter(None, (method.get("CardType"), method.get("FirstDigits"), "…", method["LastDigits"])))
        shown.append(("Card", card))
        shown.append(("Expiration", f"{method.get('ExpirationMonth')}/{method.get('ExpirationYear')}"))
    if method.get("Authorize3DS"):
        shown.append(("3-D Secure", "waiting for the shopper" if waiting else "answered"))
    if method.get("RedirectURL"):
        shown.append(("PayPal", "waiting for the shopper" if waiting else "answered"))
    if "RecurringEnabled" in method:
        shown.append(("RecurringEnabled", method["RecurringEnabled"]))
    shown.append(("CustomerIP", payment.get("CustomerIP")))
    return shown


def _refund_view(refund: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "date": refund["Date"],
        "type": refund["Type"],
        "amount": _money(refund["Amount"], str(refund["Currency"]).upper()),
        "reason": refund["Reason"],
        "comment": refund["Comment"],
        "items": ", ".join(f"{each['Quantity']} × {each['LineItemReference'][:10]}…" for each in refund["Items"] or ()),
    }


def _customer_view(code: str, made: int | None, named: Mapping[str, Any]) -> dict[str, Any]:
    """The customer the order made or found on completing, else the one it names."""
    reference = made if made is not None else named.get("reference")
    return {
        "reference": reference,
        "path": None if reference is None else _customer_path(code, reference),
        "external": named.get("external"),
        "made": made is not None,
    }


_PRODUCT_SECTIONS = ("PricingConfigurations", "SubscriptionInformation")  # shown in sections of their own


def _default_price(configurations: list[dict[str, Any]]) -> str:
    """The default configuration's first regular price in its default currency, for a single unit."""
    for configuration in configurations:
        if configuration["Default"]:
            for price in configuration["Prices"]["Regular"]:
                if price["Currency"] == configuration["DefaultCurrency"] and price["MinQuantity"] == 1:
                    return _amount(price)
    return ""


def _amount(price: Mapping[str, Any]) -> str:
    return f"{price['Amount']:,.2f} {price['Currency']}"


def _configuration_view(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """A pricing configuration, and its prices a row each: kind, currency, quantity band, options, amount."""
    prices = [
        {
            "kind": kind,
            "currency": price["Currency"],
            "band": f"{price['MinQuantity']}+"
            if price["MaxQuantity"] >= MAX_QUANTITY
            else f"{price['MinQuantity']}–{price['MaxQuantity']}",
            "options": ", ".join(
                f"{option['Code']}: {', '.join(option['Options'] or [])}" for option in price["OptionCodes"]
            ),
            "amount": _amount(price),
        }
        for kind in ("Regular", "Renewal")
        for price in configuration["Prices"][kind]
    ]
    options = [
        f"{option['Code']}{' (required)' if option.get('Required') else ''}" for option in configuration["PriceOptions"]
    ]
    return {
        **{
            name: configuration[name]
            for name in ("Name", "Code", "Default", "PricingSchema", "PriceType", "DefaultCurrency")
        },
        "BillingCountries": ", ".join(configuration["BillingCountries"]),
        "options": ", ".join(options),
        "prices": prices,
    }


def _subscription_view(subscription: Mapping[str, Any]) -> dict[str, Any]:
    end_user = subscription["EndUser"]
    return {
        "reference": subscription["SubscriptionReference"],
        "external": subscription["ExternalSubscriptionReference"] or "",
        "product": subscription["Product"]["ProductCode"],
        "start": subscription["StartDate"],
        "expiration": "lifetime" if subscription["Lifetime"] else subscription["ExpirationDate"],
        "enabled": bool(subscription["SubscriptionEnabled"]),
        "end_user": f"{end_user['FirstName']} {end_user['LastName']} <{end_user['Email']}>",
    }


def _history_view(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as its rows show it: one per changed field, the first also saying when and what."""
    changes = [
        {
            "field": change["field"],
            "subscriptions": history.subscriptions(change) if "subscriptions" in change else "",
            "old": history.old_text(change),
            "new": history.describe(change["new"]),
        }
        for change in entry["changes"]
    ]
    return {
        "time": entry["time"],
        "protocol": entry["protocol"],
        "operation": entry["operation"],
        "where": history.where(entry),
        "changes": changes,
    }


def _page(template: str, status: int = 200, script: bool = False, **view: Any) -> Response:
    """A page rendered from ``templates/``; ``script``: the page runs ``static/journal.js``."""
    style_nonce = secrets.token_urlsafe(16)
    script_nonce = secrets.token_urlsafe(16) if script else ""
    document = _TEMPLATES.get_template(template).render(style_nonce=style_nonce, script_nonce=script_nonce, **view)
    scripts = f"'nonce-{script_nonce}'" if script else "'none'"
    policy = (
        f"default-src 'none'; style-src 'nonce-{style_nonce}'; script-src {scripts}; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    headers = [
        ("content-security-policy", policy),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ]
    return Response(status, document.encode(), "text/html; charset=utf-8", headers)


def _not_found(message: str) -> Response:
    return _page("not_found.html", status=404, title="Not found", message=message)


def _static(name: str, version: str | None) -> Response:
    """A file of ``static/``. At the address the pages link (its current version) a cache may keep
    it for good; at any other it revalidates each time."""
    content, content_type, current = _STATIC[name]
    cache = "public, max-age=31536000, immutable" if version == current else "no-cache"
    headers = [("x-content-type-options", "nosniff"), ("cache-control", cache)]
    return Response(200, content, content_type, headers)
