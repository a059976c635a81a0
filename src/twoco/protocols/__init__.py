"""Protocol adapters: wire bytes in, one decoded call to the service, wire bytes out.

An adapter knows a wire format, not the business rules; everything it calls is in
``twoco.domains.REGISTRY`` (what exists) and the domains' handlers, through ``twoco.core.service``
(what it means).
"""

from __future__ import annotations

import json
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
