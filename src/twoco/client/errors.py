"""What the client raises: an API error the server answered with, or a failure to get an answer."""

from __future__ import annotations


class TwoCheckoutError(Exception):
    """The API answered with an error.

    ``code`` is the error code (``SESSION_EXPIRED``, ``CUSTOMER_NOT_FOUND``, …: SOAP's
    ``detail/error_code``, JSON-RPC's ``error.data.error_code``, REST's ``error_code``),
    ``message`` the human text, ``status`` the HTTP status of the answer when there was one
    (SOAP faults travel with 500, JSON-RPC errors with 200, REST errors with their own status).
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class TransportError(TwoCheckoutError):
    """No API answer: the server could not be reached (``code`` ``TRANSPORT_ERROR``) or
    answered with something that is not the protocol's (``UNEXPECTED_RESPONSE``, e.g. a
    proxy's HTML error page); ``status`` is set in the second case."""
