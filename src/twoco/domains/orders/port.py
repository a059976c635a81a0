"""What the order domain asks of a store (``twoco.store.orders`` answers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from twoco.domains.orders.records import StoredOrder
from twoco.domains.subscriptions.port import SubscriptionStore


class OrderStore(SubscriptionStore, Protocol):
    def insert_order(self, merchant_id: int, order: StoredOrder) -> None: ...

    def order(self, merchant_id: int, ref_no: int, lock: bool = False) -> StoredOrder | None: ...

    def order_by_token(self, token: str, lock: bool = False) -> tuple[int, StoredOrder] | None: ...

    def save_order(self, merchant_id: int, order: StoredOrder) -> None: ...

    def due_orders(self, merchant_id: int | None, now: float, limit: int) -> list[tuple[int, int]]: ...

    def search_orders(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[StoredOrder], int]: ...

    def merchant_settings(self, merchant_id: int) -> dict[str, Any]: ...

    def set_merchant_settings(self, merchant_id: int, settings: Mapping[str, Any]) -> None: ...
