"""The product catalogue: products with their pricing configurations and subscription terms,
product groups, and the currencies a merchant sells in. Subscriptions and orders name its products."""

from twoco.domains.products.operations import OPERATIONS

__all__ = ["OPERATIONS"]
