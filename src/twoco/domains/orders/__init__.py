"""Orders: placeOrder with catalogue or dynamic items and the sandbox's payments, the order's life
to completion (which creates its customer and subscriptions), searches and refunds."""

from twoco.domains.orders.operations import OPERATIONS

__all__ = ["OPERATIONS"]
