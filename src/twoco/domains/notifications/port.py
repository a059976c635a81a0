"""What the notification domain asks of a store (``twoco.store.notifications`` answers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from twoco.domains.notifications.records import Attempt, Notification
from twoco.domains.orders.port import OrderStore


class NotificationStore(OrderStore, Protocol):
    def notification_sender(self, merchant_id: int) -> tuple[str, str, dict[str, Any]]: ...

    def insert_notification(self, notification: Notification) -> int: ...

    def notification(self, notification_id: int, lock: bool = False) -> Notification | None: ...

    def notifications(
        self, filters: Mapping[str, Any], limit: int, offset: int = 0
    ) -> tuple[list[Notification], int]: ...

    def notification_attempts(self, notification_id: int) -> list[Attempt]: ...

    def due_urls(self, due_by: float, now: float, limit: int) -> list[str]: ...

    def claim_notification(self, url: str, due_by: float, now: float, lease_until: float) -> Notification | None: ...

    def record_attempt(self, notification: Notification, attempt: Attempt) -> None: ...

    def save_notification(self, notification: Notification) -> None: ...
