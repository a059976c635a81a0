"""Notifications: the IPNs and LCNs 2Checkout sends a merchant's handler when its orders and
subscriptions change, written to an outbox in the change's transaction, signed as 2Checkout
signs them, delivered off the request path and retried on 2Checkout's schedule until the
handler answers with a valid read receipt (docs/notifications.md).

No API operation of its own: it listens to the other domains' changes (``LISTENERS``).
"""

from twoco.domains.notifications.outbox import on_change

OPERATIONS = ()
LISTENERS = (on_change,)

__all__ = ["LISTENERS", "OPERATIONS"]
