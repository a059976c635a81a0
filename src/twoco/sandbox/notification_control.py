"""The control plane's notification endpoints (``twoco.sandbox.control`` routes to them):

- ``GET|PUT /_twoco/merchants/CODE/notifications`` — where the merchant's notifications go:
  ``{"ipn_url", "lcn_url", "algorithms": ["sha256", "sha3-256"]}``; a PUT changes the fields it
  sends, probing each new URL with a GET that must answer 200, as 2Checkout does, unless it sends
  ``"probe": false`` (NOTIFICATION_URL_REFUSED, and nothing saved, otherwise). A POST is a PUT:
  the dashboard's form (HTML forms cannot PUT), whose unchecked "probe" checkbox leaves the hidden
  ``probe=off`` sent before it (a field sent twice counts by its last value);
- ``GET /_twoco/notifications?merchant=&kind=&reference=&state=&event=&limit=&offset=`` — the
  inbox, newest first: each notification with its fields as sent;
- ``GET /_twoco/notifications/ID`` — one, with its form body and every attempt;
- ``POST /_twoco/notifications/ID/resend`` — send it again now;
- ``POST /_twoco/notifications/trigger`` — ``{"merchant", "kind": "LCN"|"IPN", "reference",
  "event"}``: an LCN of a subscription with any DISPATCH_REASON, an IPN of an order for a status.

A dashboard form's post (form-encoded) is answered 303, back to the inbox page (``/_twoco/inbox``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from twoco.core.errors import ApiError
from twoco.core.service import Service
from twoco.core.validation import ascii_integer
from twoco.domains import DomainStore
from twoco.domains.notifications import sandbox
from twoco.domains.notifications.deliveries import form_body
from twoco.domains.notifications.endpoints import checked
from twoco.domains.notifications.records import Attempt, Notification, state_text
from twoco.protocols import Response, json_codec

Probe = Callable[[str], str | None]  # a URL's GET: None when it answers 200, else what it answered
_FORM = "application/x-www-form-urlencoded"
MAX_LIMIT = 500


def _json(status: int, payload: object) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")


def _bad(reason: str) -> ApiError:
    return ApiError("MALFORMED_REQUEST", reason=reason)


def iso(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def notification_json(notification: Notification, with_attempts: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": notification.id,
        "merchant": notification.merchant_code,
        "kind": notification.kind,
        "reference": notification.reference,
        "event": notification.event,
        "test": notification.test,
        "made_at": iso(notification.made_at),
        "url": notification.url,
        "algorithms": notification.algorithms,
        "state": notification.state,
        "state_text": state_text(notification.state),
        "attempts": notification.attempts,
        "next_attempt_at": iso(notification.due_at),
        "fields": [[name, value] for name, value in notification.fields],
    }
    if with_attempts:
        view["body"] = form_body(notification.fields).decode("ascii")
        view["history"] = [_attempt_json(attempt) for attempt in notification.history]
    return view


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {**asdict(attempt), "at": iso(attempt.at)}


def save_settings(
    service: Service[DomainStore], merchant_id: int, given: dict[str, Any], probe: Probe | None
) -> dict[str, Any]:
    """Change where the merchant's notifications go (``given``: ipn_url, lcn_url, algorithms),
    each new URL first probed with ``probe`` (None: saved unprobed); the settings now, or
    NOTIFICATION_URL_REFUSED and nothing saved. The control plane's and the command line's."""
    changes = checked(given)  # a wrong value is refused before any URL is probed
    current = sandbox.notification_settings(service.context, merchant_id)
    for name in ("ipn_url", "lcn_url"):
        url = changes.get(name)
        if probe is not None and url and url != current[name]:
            answer = probe(url)
            if answer is not None:
                raise ApiError("NOTIFICATION_URL_REFUSED", field=name, url=url[:200], answer=answer)
    return sandbox.set_notification_settings(service.context, merchant_id, changes)


class NotificationControl:
    def __init__(
        self,
        service: Service[DomainStore],
        merchant_id: Callable[[str], int],
        probe: Probe | None = None,
        poke: Callable[[], None] = lambda: None,
    ) -> None:
        self.service = service
        self.merchant_id = merchant_id  # a merchant's id from its code, or MERCHANT_NOT_FOUND
        self.probe = probe  # None: URLs are saved unprobed (a control plane without a server)
        self.poke = poke  # tells the deliveries to look for due notifications now

    def settings(self, method: str, code: str, body: bytes, content_type: str) -> Response:
        merchant_id = self.merchant_id(code)
        context = self.service.context
        if method not in ("PUT", "POST"):  # POST: the dashboard's form, as a PUT
            return _json(200, sandbox.notification_settings(context, merchant_id))
        form = content_type.startswith(_FORM)
        given = _form(body) if form else _object(body)
        probe = given.pop("probe", True)
        if form and isinstance(probe, list):  # a hidden "off" before the checkbox: the last one sent counts
            probe = probe[-1]
        if isinstance(probe, str):  # a form's checkbox
            probe = probe not in ("", "0", "false", "off")
        if not isinstance(probe, bool):
            raise _bad("probe must be true or false")
        if "algorithms" in given and isinstance(given["algorithms"], list) and form:
            # Checkboxes, after a hidden empty one: none checked is none chosen, which is refused.
            given["algorithms"] = ",".join(name for name in given["algorithms"] if name) or []
        saved = save_settings(self.service, merchant_id, given, self.probe if probe else None)
        if form:
            return _see_other(f"/_twoco/inbox?merchant={code}")
        return _json(200, saved)

    def inbox(self, query: str) -> Response:
        arguments = {name: values[-1] for name, values in parse_qs(query).items()}
        filters: dict[str, Any] = {
            name: arguments.get(name) or None for name in ("kind", "reference", "state", "event")
        }
        if arguments.get("merchant"):
            filters["merchant_id"] = self.merchant_id(arguments["merchant"])
        limit = ascii_integer(arguments.get("limit", "50"), 6)
        offset = ascii_integer(arguments.get("offset", "0"), 9)
        if limit is None or not 1 <= limit <= MAX_LIMIT:
            raise _bad(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        if offset is None:
            raise _bad("offset must be a whole number")
        found, total = sandbox.inbox(self.service.context, filters, limit, offset)
        return _json(200, {"notifications": [notification_json(n) for n in found], "total": total})

    def one(self, notification_id: str) -> Response:
        return _json(200, {"notification": notification_json(self._find(notification_id), with_attempts=True)})

    def resend(self, notification_id: str, content_type: str) -> Response:
        number = self._number(notification_id)
        resent = sandbox.resend(self.service.context, number)
        self.poke()
        if content_type.startswith(_FORM):
            return _see_other(f"/_twoco/inbox/{number}")
        return _json(200, {"notification": notification_json(resent)})

    def trigger(self, body: bytes, content_type: str) -> Response:
        given = _form(body) if content_type.startswith(_FORM) else _object(body)
        unknown = sorted(set(given) - {"merchant", "kind", "reference", "event"})
        if unknown:
            raise _bad(f"unknown field {unknown[0][:40]!r}; the fields are merchant, kind, reference, event")
        merchant, kind, reference, event = (given.get(name) for name in ("merchant", "kind", "reference", "event"))
        if not all(isinstance(value, str) and value for value in (merchant, kind, reference)):
            raise _bad("send merchant, kind (IPN or LCN) and reference, and an event if you like")
        if event is not None and not isinstance(event, str):
            raise _bad("event is a DISPATCH_REASON (LCN) or an order status (IPN)")
        assert isinstance(merchant, str) and isinstance(kind, str) and isinstance(reference, str)  # for mypy
        made = sandbox.trigger(self.service.context, self.merchant_id(merchant), kind.upper(), reference, event or None)
        self.poke()
        if content_type.startswith(_FORM):
            return _see_other(f"/_twoco/inbox/{made}")
        return _json(200, {"notification": notification_json(self._find(str(made)))})

    def _find(self, notification_id: str) -> Notification:
        return sandbox.notification(self.service.context, self._number(notification_id))

    @staticmethod
    def _number(notification_id: str) -> int:
        number = ascii_integer(notification_id, 18)
        if number is None:
            raise ApiError("NOTIFICATION_NOT_FOUND", id=notification_id[:40])
        return number


def _see_other(location: str) -> Response:
    return Response(303, b"", "text/plain", [("location", location)])


def _object(body: bytes) -> dict[str, Any]:
    command = json_codec.parse(body or b"{}")
    if not isinstance(command, dict):
        raise _bad("send a JSON object")
    return command


def _form(body: bytes) -> dict[str, Any]:
    """A form's fields: a field sent several times (checkboxes) as a list."""
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values if len(values) > 1 or name == "algorithms" else values[0] for name, values in parsed.items()}
