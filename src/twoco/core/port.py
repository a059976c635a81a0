"""What the domains see of a store, and what the server sees of it: protocols, records, errors.

:class:`Store` is what every domain shares (transactions, merchants, sessions, the change history);
each domain's own queries extend it in its package (``twoco.domains.customers.port`` …).
:class:`ServedStore` is what the server, the sandbox and the command line need beyond the
domains' ports (health, durability, merchants' keys, the dashboard's reads). No SQL here:
``twoco.store.sql.SqlStore`` implements them all.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from concurrent.futures import Future

    from twoco.core.green import LoopCall
    from twoco.core.outage import StoreHealth

# Final, so that mypy takes them as the keys they are of a customer record (CustomerRecord).
STATUS: Final = "status"  # the key of (active, trials) in a customer record read with ``status_on``
ROW_VERSION: Final = "row_version"  # the key of the row's version in a customer record read ``versioned``


class DuplicateKey(Exception):
    """An insert hit a unique constraint; ``external`` tells whether it was a key the caller chose
    (an external reference, a product code) rather than a reference twoco drew."""

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


@dataclass
class Durability:
    """What the writes inside ``deferred_durability`` still wait for to be durable: None when
    nothing does (SQLite's group commit: see ``twoco.store.wal_sync``)."""

    pending: Future[None] | None = None


class Store(Protocol):
    """The store calls every domain may make; ``SqlStore`` documents each."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Any]: ...

    def savepoint(self) -> AbstractContextManager[None]: ...

    def merchant(self, code: str) -> Merchant | None: ...

    def merchant_code(self, merchant_id: int) -> str | None: ...

    def reset(self, merchant_id: int | None) -> dict[str, int]: ...

    def add_session(self, token_hash: str, merchant_id: int, version: str, expires_at: float, now: float) -> None: ...

    def session(self, token_hash: str) -> tuple[int, str, float, str] | None: ...

    @property
    def row_locks(self) -> bool: ...

    @property
    def row_versions(self) -> bool: ...

    def pause(self, seconds: float) -> None: ...

    def in_transaction(self) -> bool: ...

    def is_conflict(self, error: Exception) -> bool: ...

    def add_history(self, merchant_id: int, customer_references: tuple[int, ...], entry: HistoryEntry) -> None: ...


class ServedStore(Protocol):
    """What the server, the sandbox and the command line use of a store beyond the domains' ports."""

    @property
    def url(self) -> str: ...

    @property
    def health(self) -> StoreHealth: ...

    @property
    def gives_up_calls(self) -> bool:
        """Whether a call on the loop that outlives the store timeout is given up (PostgreSQL's are:
        a frozen server must not hold its client for ever; SQLite's wait for the disk)."""

    def end_call(self, call: LoopCall) -> bool:
        """Let go of what a call on the loop held; whether it had begun using the store."""

    def deferred_durability(self) -> AbstractContextManager[Durability]: ...

    def probe(self) -> None: ...

    def close(self) -> None: ...

    def merchant(self, code: str) -> Merchant | None: ...

    def merchants(self) -> list[Merchant]: ...

    def add_merchant(self, code: str, secret_key: str, created_at: str | None = None) -> None: ...

    def rotate_secret_key(self, code: str, secret_key: str, end_sessions: bool) -> int | None: ...

    def reset(self, merchant_id: int | None) -> dict[str, int]: ...

    def merchant_overview(self) -> list[tuple[str, str, int, int, int]]: ...

    def dashboard_orders(
        self,
        merchant_id: int,
        status: str | None = None,
        test: bool | None = None,
        customer: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def catalogued(self, merchant_id: int, codes: list[str]) -> set[str]: ...

    def search_customers(self, text: str, merchant_id: int | None, limit: int) -> list[dict[str, Any]]: ...

    def customer_history(
        self, merchant_id: int, customer_reference: int, latest: int | None = None
    ) -> list[dict[str, Any]]: ...

    def history_size(self, merchant_id: int, customer_reference: int) -> int: ...
