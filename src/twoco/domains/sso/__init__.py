"""Single sign-on: links that log a customer into myAccount or the cart, by customer, by
subscription or in cart, and the customer behind a cart token (the pages the links lead to are
the server's: ``twoco.server.sso_pages``)."""

from twoco.domains.sso.operations import OPERATIONS

__all__ = ["OPERATIONS"]
