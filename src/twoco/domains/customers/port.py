"""What the customer domain asks of a store (``twoco.store.customers`` answers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from twoco.core.port import HistoryEntry, Store
from twoco.domains.customers.records import CustomerRecord, EndUserRecord, NewCustomer


class CustomerStore(Store, Protocol):
    def insert_customer(self, merchant_id: int, customer: NewCustomer) -> None: ...

    def customer(
        self,
        merchant_id: int,
        reference: int,
        lock: bool = False,
        status_on: str | None = None,
        versioned: bool = False,
    ) -> CustomerRecord | None: ...

    def customer_by_external(
        self, merchant_id: int, external: str, lock: bool = False, status_on: str | None = None, versioned: bool = False
    ) -> CustomerRecord | None: ...

    # An update's ``changes``: the changed fields' new values by name, Credit a decoded object (customer_changes).
    def update_customer(self, merchant_id: int, reference: int, changes: Mapping[str, Any]) -> None: ...

    def update_customer_unless_changed(
        self, merchant_id: int, reference: int, version: str, changes: Mapping[str, Any], entry: HistoryEntry | None
    ) -> bool: ...

    def customer_status(self, merchant_id: int, reference: int, today: str) -> tuple[int, int]: ...

    def find_customers(
        self, merchant_id: int, filters: Mapping[str, Any], today: str, limit: int, offset: int = 0
    ) -> tuple[list[CustomerRecord], int]: ...

    def end_user_push_summary(
        self, merchant_id: int, customer_reference: int, end_user: EndUserRecord, previous: EndUserRecord
    ) -> dict[str, tuple[int, int]]: ...

    def end_user_push_targets(
        self, merchant_id: int, customer_reference: int, end_user: EndUserRecord
    ) -> list[str]: ...

    def push_end_user(self, merchant_id: int, customer_reference: int, end_user: EndUserRecord) -> None: ...
