"""A Python client for the 2Checkout (Avangate) customer API, served by twoco or by 2Checkout.

    from twoco.client import Client, TwoCheckoutError

    with Client("http://127.0.0.1:8080", "DEMO", "SECRET_KEY", protocol="jsonrpc") as client:
        customer = client.get_customer_information(123456789)

See :class:`Client`; ``soap``, ``jsonrpc`` and ``rest`` hold each protocol's wire format.
"""

from twoco.client.api import PROTOCOLS, RELOGIN_CODES, Client
from twoco.client.errors import TransportError, TwoCheckoutError

__all__ = ["PROTOCOLS", "RELOGIN_CODES", "Client", "TransportError", "TwoCheckoutError"]
