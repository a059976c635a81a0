"""The control plane under ``/_twoco/``: JSON endpoints for operators and test suites.

- ``GET /_twoco/health`` — 200 while the process serves, with the store's state as the latest
  calls found it: ``{"status": "ok"|"degraded", "store": {"state": …}}`` (always on, never waits).
- ``GET /_twoco/ready`` — whether to send this instance traffic: asks the store, and answers 200
  unless it is down, too slow or its file was replaced (503 with Retry-After). A store that only
  refuses writes (full, read-only) is ready: reads go on (always on).
- ``GET|POST /_twoco/clock`` — the server clock that sessions, login windows and orders obey;
  POST ``{"advance": SECONDS}``, ``{"set": "ISO-8601"}`` or ``{"reset": true}``; the orders due
  by the new time complete before it answers (``"completed_orders"``), and the notifications
  whose retries fall due go at once.
- ``GET|PUT /_twoco/merchants/CODE/orders`` — how the merchant's authorised orders complete:
  ``{"completion": "immediate"|"time"|"manual", "delay": SECONDS}``.
- ``POST /_twoco/orders/CODE/REFNO/ACTION`` — approve, complete, fail, reverse or cancel an order
  (a dashboard form's post is sent back to the order's page).
- ``GET|PUT|POST /_twoco/merchants/CODE/notifications``, ``GET /_twoco/notifications[/ID]``,
  ``POST /_twoco/notifications/ID/resend``, ``POST /_twoco/notifications/trigger`` — where
  notifications go (a POST is a PUT, for the dashboard's form), the inbox, a resend, a
  notification fired by hand (``twoco.sandbox.notification_control``).
- ``POST /_twoco/reset`` — delete customers, subscriptions and sessions, keep merchants;
  ``{"merchant": CODE}`` limits it to one merchant, ``{"seed": N}`` restarts the references.
- ``POST /_twoco/fixtures`` — load merchants, customers and subscriptions (JSON or YAML).
- ``GET|DELETE /_twoco/requests`` — the request journal.
- ``GET|POST|DELETE /_twoco/faults`` — injected errors and delays.
- ``GET /_twoco/`` and the pages below it: the HTML dashboard (``twoco.sandbox.dashboard``).

Everything but health is unauthenticated and meant for sandboxes: ``twoco serve
--no-control-plane`` turns it off (moving the clock would reopen old login dates).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from twoco.core.errors import CATALOGUE, ApiError
from twoco.core.outage import FULL, READ_ONLY, UNAVAILABLE_RETRY_AFTER, StoreUnavailable
from twoco.core.port import ServedStore
from twoco.core.schema import at_version
from twoco.core.service import Service
from twoco.core.validation import MERCHANT_CODE, ascii_integer, clean_text
from twoco.domains import REGISTRY, DomainStore
from twoco.domains.orders.operations import order_view
from twoco.domains.orders.sandbox import act_on_order, order_settings, set_order_settings, settle_due
from twoco.domains.orders.schema import ORDER, V6
from twoco.protocols import Response, json_codec
from twoco.sandbox.dashboard import Dashboard
from twoco.sandbox.faults import MAX_COUNT, MAX_DELAY, FaultInjectingService, FaultRule
from twoco.sandbox.fixtures import load_fixtures, parse_fixtures
from twoco.sandbox.journal import CAPACITY as JOURNAL_CAPACITY
from twoco.sandbox.journal import RequestJournal
from twoco.sandbox.notification_control import NotificationControl, Probe
from twoco.version import __version__


def _json(status: int, payload: object) -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json")


def _bad(reason: str) -> ApiError:
    return ApiError("MALFORMED_REQUEST", reason=reason)


ORDER_V6 = at_version(ORDER, V6)  # the control plane answers orders as API 6.0 does
MAX_CLOCK_SHIFT = 100 * 365 * 86400  # seconds; a century either way is plenty for tests


class ControlPlane:
    def __init__(
        self,
        service: Service[DomainStore],
        store: ServedStore,
        enabled: bool = True,
        journal: RequestJournal | None = None,
        probe: Probe | None = None,
        poke: Callable[[], None] = lambda: None,
    ) -> None:
        self.service = service
        self.store = store  # the service's, as the sandbox sees it: health, merchants, the dashboard's reads
        self.enabled = enabled
        self.journal = journal
        self.dashboard = Dashboard(service, store)
        self.notifications = NotificationControl(service, self._merchant_id, probe, poke)
        self.poke = poke  # the deliveries look for due notifications at once

    def handle(self, method: str, path: str, query: str, body: bytes, content_type: str = "") -> Response | None:
        """The answer for ``/_twoco/<path>``, or None when nothing lives there."""
        if path == "health":
            return self._allow(method, "GET") or self._health()
        if path == "ready":
            return self._allow(method, "GET") or self._ready()
        if not self.enabled:
            return None
        if path == "clock":
            self._allow(method, "GET", "POST")
            if method != "POST":
                return _json(200, self._clock())
            form = content_type.startswith("application/x-www-form-urlencoded")
            self._move_clock(_clock_form(body) if form else body)
            completed = settle_due(self.service.context, None)
            self.poke()  # the retries the new time makes due go now
            if form:  # the dashboard's: back to its page
                return Response(303, b"", "text/plain", [("location", "/_twoco/")])
            return _json(200, {**self._clock(), "completed_orders": completed})
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "merchants" and parts[2] == "orders":
            return self._allow(method, "GET", "PUT") or self._order_settings(method, parts[1], body)
        if len(parts) == 3 and parts[0] == "merchants" and parts[2] == "notifications":
            self._allow(method, "GET", "PUT", "POST")  # POST: the dashboard's form (HTML forms cannot PUT)
            return self.notifications.settings(method, parts[1], body, content_type)
        if parts[0] == "notifications" and len(parts) <= 3:
            return self._notifications(method, parts[1:], query, body, content_type)
        if len(parts) == 4 and parts[0] == "orders" and method == "POST":
            return self._order_action(parts[1], parts[2], parts[3], content_type)
        if path == "reset":
            return self._allow(method, "POST") or _json(200, self._reset(body))
        if path == "fixtures":
            return self._allow(method, "POST") or _json(
                200, load_fixtures(self.service, self.store, parse_fixtures(body))
            )
        if path == "requests":
            return self._allow(method, "GET", "DELETE") or self._requests(method, query)
        if path == "faults" and isinstance(self.service, FaultInjectingService):
            return self._allow(method, "GET", "POST", "DELETE") or self._faults(method, body)
        if self.dashboard.serves(path):
            return self._allow(method, "GET") or self.dashboard.handle(path, query)
        return None

    def _notifications(self, method: str, parts: list[str], query: str, body: bytes, content_type: str) -> Response:
        notifications = self.notifications
        if not parts:
            return self._allow(method, "GET") or notifications.inbox(query)
        if parts == ["trigger"]:
            return self._allow(method, "POST") or notifications.trigger(body, content_type)
        if len(parts) == 1:
            return self._allow(method, "GET") or notifications.one(parts[0])
        if parts[1] == "resend":
            return self._allow(method, "POST") or notifications.resend(parts[0], content_type)
        raise ApiError("ENDPOINT_NOT_FOUND", path=f"/_twoco/notifications/{'/'.join(parts)}"[:200])

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed and not (method == "HEAD" and "GET" in allowed):
            raise ApiError("METHOD_NOT_ALLOWED", method=method[:20], allowed=", ".join(allowed))

    def _health(self) -> Response:
        store = self.store.health.report()
        status = "ok" if store["state"] == "ok" else "degraded"
        return _json(200, {"status": status, "version": __version__, "store": store})

    def _ready(self) -> Response:
        try:
            self.store.probe()
        except StoreUnavailable:
            pass  # the health now says which outage
        health = self.store.health
        if health.state in ("ok", FULL, READ_ONLY):  # reads go on: keep sending them
            return _json(200, {"ready": True, "store": health.report()})
        answer = _json(503, {"ready": False, "store": health.report()})
        answer.headers.append(("retry-after", str(UNAVAILABLE_RETRY_AFTER)))
        return answer

    def _merchant_id(self, code: str) -> int:
        merchant = self.store.merchant(code) if MERCHANT_CODE.fullmatch(code) else None
        if merchant is None:
            raise ApiError("MERCHANT_NOT_FOUND", merchant=code[:64])
        return merchant.id

    def _order_settings(self, method: str, code: str, body: bytes) -> Response:
        merchant_id = self._merchant_id(code)
        if method == "PUT":
            return _json(
                200, set_order_settings(self.service.context, merchant_id, _object(body, "completion", "delay"))
            )
        return _json(200, order_settings(self.service.context, merchant_id))

    def _order_action(self, code: str, ref_no: str, action: str, content_type: str) -> Response:
        merchant_id = self._merchant_id(code)
        number = ascii_integer(ref_no, 12)
        if number is None:
            raise ApiError("ORDER_NOT_FOUND", ref_no=ref_no[:40])
        order = act_on_order(self.service.context, merchant_id, number, action)
        if content_type.startswith("application/x-www-form-urlencoded"):  # the dashboard's form
            return Response(303, b"", "text/plain", [("location", f"/_twoco/orders/{code}/{number}")])
        view = order_view(self.service.context, merchant_id, order, V6)
        return _json(200, {"order": json_codec.encode(view, ORDER_V6)})

    def _reset(self, body: bytes) -> dict[str, object]:
        command = _object(body, "merchant", "seed")
        merchant, seed = command.get("merchant"), command.get("seed")
        if merchant is not None and not isinstance(merchant, str):
            raise _bad("merchant must be a merchant code")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise _bad("seed must be an integer")
        deleted = self.service.reset(merchant, seed)
        if self.journal is not None:
            self.journal.forget(merchant)
        return {"deleted": deleted}

    def _requests(self, method: str, query: str) -> Response:
        if self.journal is None:  # twoco.server.app gives one whenever the control plane is on
            raise RuntimeError("the control plane has no request journal")
        arguments = {name: values[-1] for name, values in parse_qs(query).items()}
        merchant = arguments.get("merchant")
        if method == "DELETE":
            self.journal.forget(merchant)
            return _json(200, {"requests": []})
        limit = ascii_integer(arguments.get("limit", "50"), 6)
        if limit is None or not 1 <= limit <= JOURNAL_CAPACITY:
            raise _bad(f"limit must be a whole number from 1 to {JOURNAL_CAPACITY}")
        return _json(200, {"requests": self.journal.latest(limit, merchant)})

    def _faults(self, method: str, body: bytes) -> Response:
        assert isinstance(self.service, FaultInjectingService)  # handle() serves faults only then
        faults = self.service.faults
        if method == "DELETE":
            return _json(200, {"cleared": faults.clear()})
        if method == "POST":
            faults.add(_fault_rule(_object(body, "operation", "error", "message", "count", "delay")))
        return _json(200, {"faults": faults.active()})

    def _clock(self) -> dict[str, object]:
        clock = self.service.clock
        return {"now": clock.now_datetime().isoformat(), "offset_seconds": clock.offset}

    def _move_clock(self, body: bytes) -> None:
        command = json_codec.parse(body or b"{}")
        if not isinstance(command, dict) or len(command) != 1:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')
        ((verb, value),) = command.items()
        clock = self.service.clock
        if verb == "advance" and isinstance(value, (int, float)) and not isinstance(value, bool):
            if abs(value) + abs(clock.offset) > MAX_CLOCK_SHIFT:
                raise _bad("the clock moves at most a century from real time")
            clock.advance(float(value))
        elif verb == "set" and isinstance(value, str):
            try:
                when = datetime.fromisoformat(value)
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                shift = when.timestamp() - time.time()
            except (ValueError, OverflowError):
                raise _bad(f"{value[:40]!r} is not an ISO-8601 date-time") from None
            if abs(shift) > MAX_CLOCK_SHIFT:
                raise _bad("the clock moves at most a century from real time")
            clock.set(when)
        elif verb == "reset" and value is True:
            clock.reset()
        else:
            raise _bad('send one of {"advance": SECONDS}, {"set": "ISO-8601"}, {"reset": true}')


def _clock_form(body: bytes) -> bytes:
    """The dashboard's clock form (``advance=SECONDS`` or ``reset=true``) as the JSON command it means."""
    fields = {name: values[-1] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}
    if "reset" in fields:
        return b'{"reset": true}'
    seconds = ascii_integer(fields.get("advance", ""), 10)
    if seconds is None:
        raise _bad("advance must be a whole number of seconds")
    return json.dumps({"advance": seconds}).encode()


def _object(body: bytes, *allowed: str) -> dict[str, object]:
    """The JSON object a command sends (an empty body is ``{}``), with only ``allowed`` names."""
    command = json_codec.parse(body or b"{}")
    if not isinstance(command, dict):
        raise _bad("send a JSON object")
    unknown = sorted(set(command) - set(allowed))
    if unknown:
        raise _bad(f"unknown field {unknown[0][:40]!r}; the fields are {', '.join(allowed)}")
    return command


def _fault_rule(command: dict[str, object]) -> FaultRule:
    operation, error, message = command.get("operation"), command.get("error"), command.get("message")
    count, delay = command.get("count", 1), command.get("delay", 0)
    if not isinstance(operation, str) or operation not in REGISTRY.names:
        raise _bad(f"operation must name one of the API's operations: {', '.join(sorted(REGISTRY.names))}")
    if error is not None and (not isinstance(error, str) or error not in CATALOGUE):
        raise _bad("error must be a code from the error catalogue (see docs/errors.md)")
    # The message goes out on every protocol: SOAP cannot write a control character or a surrogate.
    if message is not None and (
        not isinstance(message, str) or error is None or len(message) > 1000 or not clean_text(message)
    ):
        raise _bad("message is a text of at most 1000 characters without control characters, given with error")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise _bad(f"count must be a whole number from 1 to {MAX_COUNT}")
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY:
        raise _bad(f"delay must be a number of seconds from 0 to {MAX_DELAY:g}")
    if error is None and not delay:
        raise _bad("give an error code, a delay, or both")
    return FaultRule(operation, count, error, message, float(delay))
