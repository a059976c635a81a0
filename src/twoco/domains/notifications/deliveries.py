"""A notification's delivery, the store's part: which are due, one leased for an attempt, and the
attempt's verdict kept with what follows it (delivered, tried again later, or given up).

The HTTP part is the server's (``twoco.server.deliveries``). A notification is due when its next
attempt's time has come on the sandbox clock; its lease is counted in real seconds, so that a
process killed mid-attempt leaves a lease that runs out and another (or the same, restarted)
tries again. A delivery counts once its answer is a 2xx carrying a valid read receipt
(``receipts``); anything else is a failed attempt, tried again on 2Checkout's schedule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from twoco.domains.notifications import schedule
from twoco.domains.notifications.outbox import Notifications
from twoco.domains.notifications.receipts import Verdict, judge
from twoco.domains.notifications.records import DELIVERED, FAILED, PENDING, Attempt, Notification
from twoco.domains.notifications.signatures import Fields

KEPT_ANSWER = 2048  # characters of an answer kept with its attempt


@dataclass(frozen=True)
class Answer:
    """What an attempt got: the status and the body's first bytes, or why there was no answer."""

    status: int | None
    body: bytes
    failure: str | None  # "timed out after 10 s", "connection refused", …
    seconds: float


def form_body(fields: Fields) -> bytes:
    """The notification as 2Checkout posts it: form-encoded, arrays as repeated ``NAME[]`` fields."""
    pairs = [(name, item) for name, value in fields for item in (value if isinstance(value, list) else [value])]
    return urlencode(pairs).encode("ascii")


def due_urls(context: Notifications, limit: int) -> list[str]:
    with context.store.transaction(write=False):
        return context.store.due_urls(context.clock.now(), time.time(), limit)


def claim(context: Notifications, url: str, lease: float) -> Notification | None:
    """The oldest notification due to ``url``, leased for ``lease`` real seconds; None when none is."""
    now = time.time()
    return context.store.claim_notification(url, context.clock.now(), now, now + lease)


def release(context: Notifications, claimed: Notification) -> None:
    """Give a claimed notification back unattempted (the server stops): due again at once."""
    with context.store.transaction():
        context.store.release_notification(claimed.id)


def settle(context: Notifications, claimed: Notification, made_at: float, answer: Answer) -> Notification | None:
    """Keep the attempt made of ``claimed`` (at ``made_at`` on the sandbox clock) and what follows
    it; the notification after it (None: deleted meanwhile, by a reset)."""
    with context.store.transaction():
        current = context.store.notification(claimed.id, lock=True)
        if current is None:
            return None
        verdict = _verdict(context, current, answer)
        current.attempts += 1
        if current.state == PENDING:  # not resent or given up meanwhile
            if verdict.delivered:
                current.state, current.due_at = DELIVERED, None
            else:
                current.due_at = schedule.next_due(current.ladder_at, current.attempts - current.ladder_base)
                current.state = PENDING if current.due_at is not None else FAILED
        text = answer.body[:KEPT_ANSWER].decode("utf-8", "replace")
        attempt = Attempt(
            current.attempts, made_at, claimed.url or "", answer.status, text, verdict.delivered, verdict.reason,
            round(answer.seconds, 4),
        )  # fmt: skip
        context.store.record_attempt(current, attempt)
        return current


def _verdict(context: Notifications, notification: Notification, answer: Answer) -> Verdict:
    if answer.failure is not None:
        return Verdict(False, answer.failure)
    assert answer.status is not None  # for mypy: an answer without a failure has a status
    if not 200 <= answer.status < 300:
        return Verdict(False, f"HTTP {answer.status} (a receipt counts in a 2xx answer only)")
    _, secret_key, _ = context.store.notification_sender(notification.merchant_id)
    return judge(notification.kind, notification.fields, secret_key, notification.algorithms, answer.body)
