"""The dashboard at ``/_twoco/``: server-rendered HTML pages for looking around a sandbox.

- ``/_twoco/`` — merchants (code, created, customers; never a secret key) and a search box;
- ``/_twoco/customers?q=…&merchant=…&page=N`` — customers by either reference, or by a
  case-insensitive prefix of the email, last name, first name or "first last" (indexed: see
  ``SqlStore.search_customers``), 50 a page;
- ``/_twoco/customers/CODE/REFERENCE`` — one customer: fields, subscriptions, change history;
- ``/_twoco/journal`` — the live request journal, read from ``/_twoco/requests`` by a few
  lines of inline script.

Customer data is attacker-controlled: every value goes through :func:`_e` (HTML escaping)
and the journal's script only ever sets ``textContent``. A Content-Security-Policy lets
nothing run but the page's own script and load nothing from elsewhere.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from twoco.core import history
from twoco.core.errors import ApiError
from twoco.core.registry import Caller
from twoco.core.service import Service
from twoco.core.validation import MERCHANT_CODE, ascii_integer
from twoco.protocols import Response

PAGE_SIZE = 50
HISTORY_SHOWN = 200  # the latest entries a customer page shows; the CLI prints them all
MAX_QUERY = 200  # characters of a search
BASE = "/_twoco"

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #2457a6; --bad: #b42318; --good: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #f5f7fa; }
header { background: #17233b; color: #fff; padding: .7rem 1.5rem; display: flex; gap: 1.5rem; align-items: baseline; }
header strong { font-size: 1.1rem; letter-spacing: .02em; }
header a { color: #c9d8f2; text-decoration: none; } header a:hover { color: #fff; }
main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; } h2 { font-size: 1.1rem; margin: 2rem 0 .6rem; }
a { color: var(--accent); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
th, td { text-align: left; padding: .4rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top;
         overflow-wrap: break-word; }
#history td:nth-child(-n+3), #journal td:nth-child(-n+3) { white-space: nowrap; }
th { background: #eef2f7; font-weight: 600; font-size: .85rem; color: var(--muted); }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); } .bad { color: var(--bad); } .good { color: var(--good); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #0f172a; color: #e2e8f0; padding: .7rem;
      border-radius: 4px; margin: .3rem 0; max-height: 24rem; overflow: auto; }
form.search { display: flex; gap: .5rem; margin-bottom: 1rem; }
form.search input[type=search] { flex: 1; padding: .45rem .6rem; border: 1px solid #cbd2d9; border-radius: 4px;
                                 font: inherit; }
form.search select, form.search button { padding: .45rem .6rem; border: 1px solid #cbd2d9; border-radius: 4px;
                                         font: inherit; background: #fff; }
form.search button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.pages { display: flex; gap: 1rem; margin: .8rem 0; }
.fields th { width: 16rem; background: #f8fafc; }
.entry-start td { border-top: 2px solid var(--line); }
#journal tr.request { cursor: pointer; } #journal tr.request:hover { background: #f0f4fa; }
.hint { font-size: .85rem; color: var(--muted); }
"""

_JOURNAL_SCRIPT = """
const rows = document.getElementById('journal-rows');
const state = document.getElementById('journal-state');
const opened = new Set();
let shown = [], shownKey = '';
function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
function body(parent, title, text) {
  const label = document.createElement('div');
  label.className = 'hint';
  label.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = text || '(empty)';
  parent.append(label, pre);
}
function render() {
  rows.replaceChildren();
  for (const request of shown) {
    const row = rows.insertRow();
    row.className = 'request';
    row.dataset.id = String(request.id);
    cell(row, request.time, 'mono');
    cell(row, request.protocol);
    cell(row, request.operation);
    cell(row, request.merchant);
    const ignored = request.ignored_fields || [];
    cell(row, request.outcome + (ignored.length ? ' (' + ignored.length + ' ignored)' : ''),
         request.outcome === 'ok' ? 'good' : 'bad');
    cell(row, String(request.status), 'num');
    cell(row, Number(request.duration_ms).toFixed(2) + ' ms', 'num');
    row.addEventListener('click', () => {
      opened.has(request.id) ? opened.delete(request.id) : opened.add(request.id);
      render();
    });
    if (opened.has(request.id)) {
      const detail = rows.insertRow();
      detail.className = 'bodies';
      const td = detail.insertCell();
      td.colSpan = 7;
      if (ignored.length) body(td, 'fields ignored (2Checkout ignores them too)', ignored.join('\\n'));
      body(td, 'request body', request.request_body);
      body(td, 'response body', request.response_body);
    }
  }
}
async function refresh() {
  try {
    const answer = await fetch(JOURNAL_URL, {cache: 'no-store'});
    if (!answer.ok) throw new Error('HTTP ' + answer.status);
    const requests = (await answer.json()).requests;
    const key = requests.map((request) => request.id).join(',');
    if (key !== shownKey) { shown = requests; shownKey = key; render(); }
    state.textContent = requests.length + ' requests, updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    state.textContent = 'The journal is not available: ' + error.message;
  }
}
refresh();
setInterval(refresh, 1500);
"""


def _e(value: object) -> str:
    """Any value as HTML text, escaped (quotes too, so it is safe in attributes)."""
    return html.escape(history.describe(value) if not isinstance(value, str) else value, quote=True)


def _link(path: str, text: object, **query: object) -> str:
    url = BASE + path + ("?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}) if query else "")
    return f'<a href="{_e(url)}">{_e(text)}</a>'


def _customer_path(merchant: str, reference: object) -> str:
    return f"/customers/{quote(str(merchant), safe='')}/{reference}"


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str = "None yet.") -> str:
    """A table of already-escaped cells."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{_e(name)}</th>" for name in headers)
    if not body:
        return f'<p class="muted">{_e(empty)}</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Dashboard:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.store = service.store

    @staticmethod
    def serves(path: str) -> bool:
        """Whether ``/_twoco/<path>`` (no slash at either end) is a dashboard page."""
        parts = path.split("/")
        return path in ("", "customers", "journal") or (len(parts) == 3 and parts[0] == "customers")

    def handle(self, path: str, query: str) -> Response:
        """The page at ``/_twoco/<path>``, one that :meth:`serves`."""
        params = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
        if path == "":
            return self._home()
        if path == "customers":
            return self._search(params)
        if path == "journal":
            return self._journal()
        _, code, reference = path.split("/")
        return self._customer(unquote(code), unquote(reference))

    # --- pages ----------------------------------------------------------------------

    def _home(self) -> Response:
        merchants = self.store.merchant_overview()
        rows = [
            (_link("/customers", code, merchant=code), _e(created), f'<span class="num">{count:,}</span>')
            for code, created, count in merchants
        ]
        body = (
            "<h1>Merchants</h1>"
            + _table(("code", "created", "customers"), rows, "No merchant yet: twoco merchant add CODE")
            + "<h2>Find a customer</h2>"
            + self._search_form("", "", [code for code, _, _ in merchants])
            + f"<p>{_link('/journal', 'Watch the live request journal')}</p>"
        )
        return _page("twoco dashboard", body)

    def _search(self, params: Mapping[str, str]) -> Response:
        # A text or code no store can hold (NUL: PostgreSQL text refuses it) names nothing.
        text = params.get("q", "").strip()[:MAX_QUERY].replace("\x00", "")
        code = params.get("merchant", "")
        page = max(ascii_integer(params.get("page", ""), 6) or 1, 1)
        codes = [merchant.code for merchant in self.store.merchants()]
        merchant = self.store.merchant(code) if MERCHANT_CODE.fullmatch(code) else None
        notice = ""
        found: list[dict[str, Any]] = []
        if code and merchant is None:
            notice = f'<p class="bad">No merchant {_e(code)}.</p>'
        else:
            offset = (page - 1) * PAGE_SIZE
            found = self.store.search_customers(text, merchant.id if merchant else None, offset + PAGE_SIZE + 1)
            found = found[offset:]
        rows = [
            (
                _e(row["merchant"]),
                _link(_customer_path(row["merchant"], row["reference"]), row["reference"]),
                _e(row["external"] or ""),
                _e(f"{row['first_name']} {row['last_name']}"),
                _e(row["email"]),
                _e(row["country_code"]),
            )
            for row in found[:PAGE_SIZE]
        ]
        pages = []
        if page > 1:
            pages.append(_link("/customers", "← previous", q=text, merchant=code, page=page - 1))
        if len(found) > PAGE_SIZE:
            pages.append(_link("/customers", "next →", q=text, merchant=code, page=page + 1))
        title = f"Customers matching “{text}”" if text else "Customers"
        body = (
            f"<h1>{_e(title)}</h1>"
            + self._search_form(text, code, codes)
            + notice
            + _table(
                ("merchant", "reference", "external reference", "name", "email", "country"),
                rows,
                "No customer matches.",
            )
            + f'<div class="pages"><span class="muted">page {page}</span>{"".join(pages)}</div>'
        )
        return _page(title, body)

    def _customer(self, code: str, text: str) -> Response:
        merchant = self.store.merchant(code) if MERCHANT_CODE.fullmatch(code) else None
        reference = ascii_integer(text)
        if merchant is None or reference is None:
            return _not_found(f"No merchant {code!r} with customer {text!r}.")
        caller = Caller("6.0", "dashboard", merchant.id)
        try:
            customer = self.service.get_customer(caller, reference, None)
            subscriptions = self.service.get_customer_subscriptions(caller, reference, None)
        except ApiError as error:
            return _not_found(error.message)
        entries = self.store.customer_history(merchant.id, reference, latest=HISTORY_SHOWN)
        recorded = self.store.history_size(merchant.id, reference) if len(entries) == HISTORY_SHOWN else len(entries)
        fields = history.flatten({name: value for name, value in customer.items() if name != "ExistingCards"})
        field_rows = "".join(
            f"<tr><th>{_e(name)}</th><td>{_e(value) if value is not None else '<span class=muted>—</span>'}</td></tr>"
            for name, value in fields.items()
        )
        name = f"{customer['FirstName']} {customer['LastName']}"
        body = (
            f'<h1>{_e(name)} <span class="muted">· {_e(code)} · {_e(text)}</span></h1>'
            + f'<table class="fields">{field_rows}</table>'
            + f"<h2>Subscriptions ({len(subscriptions)})</h2>"
            + _table(
                ("reference", "external reference", "product", "start", "expiration", "enabled", "end user"),
                (_subscription_row(subscription) for subscription in subscriptions),
                "No subscription.",
            )
            + f"<h2>History ({recorded})</h2>"
            + (
                f'<p class="hint">The latest {len(entries)} of {recorded} entries; all of them: '
                f"<code>twoco customer history {_e(text)} --merchant {_e(code)}</code></p>"
                if recorded > len(entries)
                else ""
            )
            + _history_table(entries)
        )
        return _page(name, body)

    def _journal(self) -> Response:
        nonce = secrets.token_urlsafe(16)
        headers = ("time", "protocol", "operation", "merchant", "outcome", "status", "duration")
        head = "".join(f"<th>{name}</th>" for name in headers)
        body = (
            "<h1>Request journal</h1>"
            '<p class="hint">The newest requests first, refreshed every 1.5 seconds; click a request to see its '
            'bodies (secrets masked). <span id="journal-state"></span></p>'
            f'<table id="journal"><thead><tr>{head}</tr></thead><tbody id="journal-rows"></tbody></table>'
            f'<script nonce="{nonce}">const JOURNAL_URL = "{BASE}/requests?limit=100";{_JOURNAL_SCRIPT}</script>'
        )
        return _page("Request journal", body, nonce)

    @staticmethod
    def _search_form(text: str, code: str, codes: list[str]) -> str:
        options = "".join(
            f'<option value="{_e(each)}"{" selected" if each == code else ""}>{_e(each)}</option>' for each in codes
        )
        return (
            f'<form class="search" method="get" action="{BASE}/customers">'
            f'<input type="search" name="q" value="{_e(text)}" maxlength="{MAX_QUERY}" autofocus '
            'placeholder="reference, external reference, email, or the start of a name" aria-label="search">'
            f'<select name="merchant" aria-label="merchant"><option value="">all merchants</option>{options}</select>'
            "<button type=submit>Search</button></form>"
        )


def _subscription_row(subscription: Mapping[str, Any]) -> list[str]:
    end_user = subscription["EndUser"]
    enabled = subscription["SubscriptionEnabled"]
    return [
        f'<span class="mono">{_e(subscription["SubscriptionReference"])}</span>',
        _e(subscription["ExternalSubscriptionReference"] or ""),
        _e(subscription["Product"]["ProductCode"]),
        _e(subscription["StartDate"]),
        _e("lifetime" if subscription["Lifetime"] else subscription["ExpirationDate"]),
        f'<span class="{"good" if enabled else "bad"}">{"yes" if enabled else "no"}</span>',
        _e(f"{end_user['FirstName']} {end_user['LastName']} <{end_user['Email']}>"),
    ]


def _history_table(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return '<p class="muted">No recorded change.</p>'
    rows = []
    for entry in entries:
        for index, change in enumerate(entry["changes"]):
            first = index == 0
            field = _e(change["field"])
            if "subscriptions" in change:
                field += f' <span class="muted">({_e(history.subscriptions(change))})</span>'
            cells = [
                _e(entry["time"]) if first else "",
                _e(entry["protocol"]) if first else "",
                _e(entry["operation"]) if first else "",
                _e(history.where(entry)) if first else "",
                field,
                f'<span class="muted">{_e(history.old_text(change))}</span>',
                _e(history.describe(change["new"])),
            ]
            row_class = ' class="entry-start"' if first else ""
            rows.append(f"<tr{row_class}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("time", "protocol", "operation", "what", "field", "old", "new"))
    return f'<table id="history"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _page(title: str, body: str, nonce: str = "", status: int = 200) -> Response:
    style_nonce = secrets.token_urlsafe(16)
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)} · twoco</title><style nonce="{style_nonce}">{_CSS}</style></head><body>'
        f"<header><strong>twoco</strong>{_link('/', 'Merchants')}{_link('/customers', 'Customers')}"
        f"{_link('/journal', 'Journal')}</header><main>{body}</main></body></html>"
    )
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    policy = (
        f"default-src 'none'; style-src 'nonce-{style_nonce}'; script-src {script}; connect-src 'self'; "
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
    return _page(
        "Not found", f"<h1>Not found</h1><p>{_e(message)}</p><p>{_link('/', 'Back to the merchants')}</p>", status=404
    )
