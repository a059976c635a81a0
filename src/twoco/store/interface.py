"""What the domain (twoco.core) sees of a store: the :class:`Store` protocol, the records and
errors it hands back. No SQL here: ``twoco.store.sql.SqlStore`` is the implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

STATUS = "status"  # the key of (active, trials) in a customer record read with ``status_on``
ROW_VERSION = "row_version"  # the key of the row's version in a customer record read ``versioned``


class DuplicateKey(Exception):
    """An insert hit a unique constraint; ``external`` tells whether it was the external reference."""

    def __init__(self, external: bool) -> None:
        super().__init__("duplicate external reference" if external else "duplicate key")
        self.external = external


@dataclass(frozen=True)
class HistoryEntry:
    """One call's changes, for the change history of the customers it touched (``twoco.core.history``)."""

    when: str
    protocol: str  # "<protocol>/<version>"
    operation: str
    changes: list[dict[str, Any]]
    subscription_reference: str | None = None


@dataclass(frozen=True)
class Merchant:
    id: int
    code: str
    secret_key: str
    created_at: str


class Store(Protocol):
    """The store calls of the service; ``SqlStore`` documents each."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Any]: ...

    def savepoint(self) -> AbstractContextManager[None]: ...

    def merchant(self, code: str) -> Merchant | None: ...

    def merchant_code(self, merchant_id: int) -> str | None: ...

    def reset(self, merchant_id: int | None) -> dict[str, int]: ...

    def add_session(self, token_hash: str, merchant_id: int, version: str, expires_at: float, now: float) -> None: ...

    def session(self, token_hash: str) -> tuple[int, str, float] | None: ...

    def add_sso_token(self, token_hash: str, merchant_id: int, token: Mapping[str, Any], now: float) -> None: ...

    def sso_token(self, token_hash: str) -> dict[str, Any] | None: ...

    def spend_sso_token(self, token_hash: str, now: float) -> bool: ...

    def insert_customer(self, merchant_id: int, customer: Mapping[str, Any]) -> None: ...

    def customer(
        self,
        merchant_id: int,
        reference: int,
        lock: bool = False,
        status_on: str | None = None,
        versioned: bool = False,
    ) -> dict[str, Any] | None: ...

    def customer_by_external(
        self, merchant_id: int, external: str, lock: bool = False, status_on: str | None = None, versioned: bool = False
    ) -> dict[str, Any] | None: ...

    @property
    def row_locks(self) -> bool: ...

    @property
    def row_versions(self) -> bool: ...

    def pause(self, seconds: float) -> None: ...

    def in_transaction(self) -> bool: ...

    def is_conflict(self, error: Exception) -> bool: ...

    def update_customer(self, merchant_id: int, reference: int, changes: Mapping[str, Any]) -> None: ...

    def update_customer_unless_changed(
        self, merchant_id: int, reference: int, version: str, changes: Mapping[str, Any], entry: HistoryEntry | None
    ) -> bool: ...

    def customer_status(self, merchant_id: int, reference: int, today: str) -> tuple[int, int]: ...

    def insert_subscription(
        self, merchant_id: int, customer_reference: int, subscription: Mapping[str, Any]
    ) -> None: ...

    def subscription(self, merchant_id: int, reference: str, lock: bool = False) -> dict[str, object] | None: ...

    def customer_subscriptions(self, merchant_id: int, customer_reference: int) -> list[dict[str, object]]: ...

    def set_end_user(self, merchant_id: int, end_user: Mapping[str, object], **where: object) -> None: ...

    def product_code(self, merchant_id: int, product_id: int) -> str | None: ...

    def move_subscription(self, merchant_id: int, reference: str, customer_reference: int) -> None: ...

    def subscriptions_by_reference(self, merchant_id: int, references: list[str]) -> dict[str, dict[str, object]]: ...

    def update_subscription(self, merchant_id: int, reference: str, changes: Mapping[str, Any]) -> None: ...

    def search_subscriptions(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[dict[str, object]], int]: ...

    def find_customers(
        self, merchant_id: int, filters: Mapping[str, Any], today: str, limit: int, offset: int = 0
    ) -> tuple[list[dict[str, object]], int]: ...

    def add_history(self, merchant_id: int, customer_references: tuple[int, ...], entry: HistoryEntry) -> None: ...

    def end_user_push_summary(
        self, merchant_id: int, customer_reference: int, end_user: Mapping[str, object], previous: Mapping[str, object]
    ) -> dict[str, tuple[int, int]]: ...
