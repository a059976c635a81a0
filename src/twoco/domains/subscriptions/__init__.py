"""Subscriptions: imports (addSubscription), reads and searches, updates of their dates, flags,
end user and owner, cancelling and enabling. Each belongs to a customer."""

from twoco.domains.subscriptions.operations import OPERATIONS

__all__ = ["OPERATIONS"]
