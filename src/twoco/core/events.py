"""What the domains announce of their changes, for the domains that listen to act on within the
same transaction (the notifications' outbox: ``twoco.domains.notifications``).

A handler announces with ``Context.announce`` once the change is written; the listeners run in
its transaction, so a call that fails after announcing leaves nothing of what they wrote either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Who made a subscription's change, as an LCN's CHANGED_BY says: the merchant (its API calls, the
# sandbox's controls), the shopper (an order), 2Checkout itself (the clock).
VENDOR, CUSTOMER, SYSTEM = "VENDOR", "CUSTOMER", "SYSTEM"


@dataclass(frozen=True)
class SubscriptionChanged:
    merchant_id: int
    reference: str
    changed_by: str = VENDOR
    reason: str = "LICENCE_CHANGE"  # the LCN's DISPATCH_REASON
    order: Any = None  # the StoredOrder making it, as it is now (its row may not be written yet)


@dataclass(frozen=True)
class OrderStatusChanged:
    merchant_id: int
    order: Any  # the StoredOrder as saved (twoco.domains.orders.records)
    status: str  # the status it took
