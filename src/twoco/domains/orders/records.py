"""An order as the store keeps it and hands it over (``OrderStore``): the Order as answered, with
what the sandbox keeps beside it (its status history, when it falls due, its customer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StoredOrder:
    ref_no: int
    status: str
    approve_status: str
    test: bool
    order_date: str  # "YYYY-MM-DD HH:MM:SS", UTC
    external_reference: str | None
    # The Order's fields as answered (every version's), each item's terms under "_terms" (never answered).
    document: dict[str, Any]
    # Its status changes, oldest first: {"at", "status", "approve_status", "by"}.
    history: list[dict[str, Any]] = field(default_factory=list)
    customer_reference: int | None = None  # the customer it created or named, once complete
    due_at: float | None = None  # when it completes on the sandbox clock (seconds since the epoch)
    payment_token: str | None = None  # names it in the 3-D Secure and PayPal pages' links

    def is_due(self, now: float) -> bool:
        """Whether its completion time on the sandbox clock has come."""
        return self.due_at is not None and self.due_at <= now
