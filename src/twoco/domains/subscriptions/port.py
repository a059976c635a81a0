"""What the subscription domain asks of a store (``twoco.store.subscriptions`` answers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from twoco.domains.customers.port import CustomerStore
from twoco.domains.customers.records import EndUserRecord
from twoco.domains.products.port import ProductStore
from twoco.domains.subscriptions.records import NewSubscription, SubscriptionRecord


class SubscriptionStore(CustomerStore, ProductStore, Protocol):
    def insert_subscription(self, merchant_id: int, customer_reference: int, subscription: NewSubscription) -> None: ...

    def subscription(self, merchant_id: int, reference: str, lock: bool = False) -> SubscriptionRecord | None: ...

    def customer_subscriptions(self, merchant_id: int, customer_reference: int) -> list[SubscriptionRecord]: ...

    def set_end_user(self, merchant_id: int, reference: str, end_user: EndUserRecord) -> None: ...

    def set_latest_order(self, merchant_id: int, reference: str, ref_no: int) -> None: ...

    def product_code(self, merchant_id: int, product_id: int) -> str | None: ...

    def move_subscription(self, merchant_id: int, reference: str, customer_reference: int) -> None: ...

    def subscriptions_by_reference(self, merchant_id: int, references: list[str]) -> dict[str, SubscriptionRecord]: ...

    def update_subscription(self, merchant_id: int, reference: str, changes: Mapping[str, object]) -> None: ...

    def search_subscriptions(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[SubscriptionRecord], int]: ...
