"""Protocol adapters: wire bytes in, one decoded call to the service, wire bytes out.

An adapter knows a wire format, not the business rules; everything it calls is in
``twoco.domains.REGISTRY`` (what exists) and the domains' handlers, through ``twoco.core.service``
(what it means).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from twoco.core.errors import ApiError


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before sending it (an injected fault)


def error_response(error: ApiError) -> Response:
    """An error as HTTP status + JSON body, as REST and every non-SOAP endpoint answer."""
    answer = {"error_code": error.code, "message": error.message}
    reason = error.details.get("reason")
    if reason is not None and "{reason}" not in error.kind.message:  # a message of 2Checkout's own, kept exact
        answer["reason"] = str(reason)
    body = json.dumps(answer).encode()
    allowed = error.details.get("allowed")  # absent from an injected METHOD_NOT_ALLOWED
    headers = [("allow", str(allowed))] if error.code == "METHOD_NOT_ALLOWED" and allowed else []
    if "retry_after" in error.details:  # TOO_MANY_FAILED_LOGINS and the store's outages; not an injected error
        headers.append(("retry-after", str(error.details["retry_after"])))
    return Response(error.kind.http_status, body, "application/json", headers)


def internal_error(log: logging.Logger, where: str) -> ApiError:
    """INTERNAL_ERROR in place of the exception being handled, which is a bug: its traceback is
    logged for the operator (``where`` says in what), and nothing of it reaches the client.

    The one place an unexpected exception becomes an answer, called in the ``except Exception``
    of each place that answers in a format of its own, which answers it as it answers any
    ApiError: the SOAP adapter (a Fault), the JSON-RPC adapter for each call (in a batch, the
    others are still answered), and the app for all else (REST, the control plane, the pages).
    """
    log.exception("internal error in %s", where)
    return ApiError("INTERNAL_ERROR")
