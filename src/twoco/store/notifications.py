"""The notification domain's queries (``twoco.domains.notifications.port``): the outbox of
notifications, written in the transaction of the change that causes them, and their attempts.

A delivery leases its notification (``lease_until``, in real seconds: a process killed mid-attempt
leaves a lease that runs out, and the notification is tried again). One notification per URL is
under way at a time, the oldest due first: a merchant's handler hears of its changes in order.
Several instances on one PostgreSQL database take turns at claiming for a URL (an advisory lock
held to the claim's commit). Without the turns, another instance's claim committed between this
one's look for a lease and its SELECT (each statement sees what was committed when it began) let
both lease the same notification, and its handler heard it twice.

A notification's row lock is its own row's (``FOR UPDATE OF n``), not its merchant's too, which
the JOIN names: every insert of the merchant's (an order, a customer, a notification) holds a
key-share lock of the merchant's row until it commits, which FOR UPDATE of that row waits for,
or skips (SKIP LOCKED).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twoco.domains.notifications.records import Attempt, Notification
from twoco.store.base import SqlBase

_COLUMNS = (
    "id", "merchant_id", "kind", "reference", "event", "test", "made_at", "url", "algorithms", "fields",
    "state", "attempts", "due_at", "ladder_at", "ladder_base",
)  # fmt: skip
_SELECT = f"SELECT {', '.join(f'n.{column}' for column in _COLUMNS)}, m.code FROM notifications n" + (
    " JOIN merchants m ON m.id = n.merchant_id"
)
_DUE = "n.state = 'pending' AND n.due_at <= ?"
_ATTEMPT_COLUMNS = ("number", "made_at", "url", "status", "answer", "delivered", "reason", "seconds")


def _notification(row: tuple[Any, ...]) -> Notification:
    (id_, merchant_id, kind, reference, event, test, made_at, url, algorithms, fields, state, attempts, due_at,
     ladder_at, ladder_base, code) = row  # fmt: skip
    return Notification(
        id_, merchant_id, kind, reference, event, bool(test), made_at, url, json.loads(algorithms),
        [(name, value) for name, value in json.loads(fields)], state, attempts, due_at, ladder_at, ladder_base,
        code,
    )  # fmt: skip


class NotificationQueries(SqlBase):
    def notification_sender(self, merchant_id: int) -> tuple[str, str, dict[str, Any]]:
        """The merchant's code, its secret key, which signs its notifications, and its sandbox settings."""
        row = self._one("SELECT code, secret_key, settings FROM merchants WHERE id = ?", (merchant_id,))
        return (row[0], row[1], dict(json.loads(row[2]))) if row else ("", "", {})

    def insert_notification(self, notification: Notification) -> int:
        n = notification
        row = self._run(
            "INSERT INTO notifications (merchant_id, kind, reference, event, test, made_at, url, algorithms, fields,"
            " state, attempts, due_at, ladder_at, ladder_base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                n.merchant_id,
                n.kind,
                n.reference,
                n.event,
                n.test,
                n.made_at,
                n.url,
                json.dumps(n.algorithms),
                json.dumps(n.fields, ensure_ascii=False),
                n.state,
                n.attempts,
                n.due_at,
                n.ladder_at,
                n.ladder_base,
            ),  # fmt: skip
        ).fetchone()
        return int(row[0])

    def notification(self, notification_id: int, lock: bool = False) -> Notification | None:
        row = self._one(f"{_SELECT} WHERE n.id = ?{self._lock_own_row(lock)}", (notification_id,))
        return _notification(row) if row else None

    def notifications(self, filters: Mapping[str, Any], limit: int, offset: int = 0) -> tuple[list[Notification], int]:
        """One page of the notifications ``filters`` match (merchant_id, kind, reference, state,
        event), newest first, and how many match in all."""
        conditions, params = ["1 = 1"], []
        for name in ("merchant_id", "kind", "reference", "state", "event"):
            if filters.get(name) is not None:
                conditions.append(f"n.{name} = ?")
                params.append(filters[name])
        where = " WHERE " + " AND ".join(conditions)
        count = self._one(f"SELECT COUNT(*) FROM notifications n{where}", tuple(params))
        cursor = self._run(
            f"{_SELECT}{where} ORDER BY n.id DESC LIMIT ? OFFSET ?", (*params, limit, offset), write=False
        )
        return [_notification(row) for row in cursor.fetchall()], int(count[0]) if count else 0

    def notification_attempts(self, notification_id: int) -> list[Attempt]:
        cursor = self._run(
            f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM notification_attempts WHERE notification_id = ?"
            " ORDER BY number",
            (notification_id,),
            write=False,
        )
        return [
            Attempt(number, at, url, status, answer, bool(delivered), reason, seconds)
            for number, at, url, status, answer, delivered, reason, seconds in cursor.fetchall()
        ]

    def due_urls(self, due_by: float, now: float, limit: int) -> list[str]:
        """The URLs with a notification due by ``due_by`` (sandbox clock) and none under way at ``now``
        (real time)."""
        cursor = self._run(
            f"SELECT DISTINCT n.url FROM notifications n WHERE {_DUE} AND NOT EXISTS (SELECT 1 FROM notifications"
            " o WHERE o.url = n.url AND o.lease_until > ?) LIMIT ?",
            (due_by, now, limit),
            write=False,
        )
        return [row[0] for row in cursor.fetchall()]

    def claim_notification(self, url: str, due_by: float, now: float, lease_until: float) -> Notification | None:
        """The oldest notification due to ``url``, leased until ``lease_until``; None when none is
        due, or one to the URL is under way or being claimed (by another process)."""
        with self.transaction():
            if not self._take_turn(f"notifications to {url}"):
                return None  # another instance is claiming for the URL right now
            busy = self._one("SELECT 1 FROM notifications WHERE url = ? AND lease_until > ?", (url, now))
            if busy:
                return None
            skip = " SKIP LOCKED" if self.row_locks else ""
            row = self._one(
                f"{_SELECT} WHERE n.url = ? AND {_DUE} AND (n.lease_until IS NULL OR n.lease_until <= ?)"
                f" ORDER BY n.due_at, n.id LIMIT 1{self._lock_own_row(True)}{skip}",
                (url, due_by, now),
            )
            if row is None:
                return None
            notification = _notification(row)
            self._run("UPDATE notifications SET lease_until = ? WHERE id = ?", (lease_until, notification.id))
            return notification

    def _lock_own_row(self, lock: bool) -> str:
        """The lock of the notification's row alone, not of its merchant's (see the module's doc)."""
        return f"{self.dialect.lock_clause} OF n" if lock and self.row_locks else ""

    def release_notification(self, notification_id: int) -> None:
        """Let go of a notification's lease, its attempt given up unmade (a shutdown)."""
        self._run("UPDATE notifications SET lease_until = NULL WHERE id = ?", (notification_id,))

    def record_attempt(self, notification: Notification, attempt: Attempt) -> None:
        """Keep an attempt, and the notification's state after it (its lease let go)."""
        self._run(
            f"INSERT INTO notification_attempts (merchant_id, notification_id, {', '.join(_ATTEMPT_COLUMNS)})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                notification.merchant_id,
                notification.id,
                attempt.number,
                attempt.at,
                attempt.url,
                attempt.status,
                attempt.answer,
                attempt.delivered,
                attempt.reason,
                attempt.seconds,
            ),  # fmt: skip
        )
        self.save_notification(notification)

    def save_notification(self, notification: Notification) -> None:
        """Write what changes of a notification (its state, attempts, URL and schedule), its lease let go."""
        n = notification
        self._run(
            "UPDATE notifications SET url = ?, state = ?, attempts = ?, due_at = ?, ladder_at = ?, ladder_base = ?,"
            " lease_until = NULL WHERE id = ?",
            (n.url, n.state, n.attempts, n.due_at, n.ladder_at, n.ladder_base, n.id),
        )
