"""JSON-RPC 2.0, client side: one request object per call, positional parameters."""

from __future__ import annotations

import json
from collections.abc import Sequence

from twoco.client.errors import TransportError, TwoCheckoutError
from twoco.core.registry import Operation


def request_body(operation: Operation, args: Sequence[object], request_id: int) -> bytes:
    """The request for ``operation`` with its positional wire arguments (session ID first)."""
    payload = {"jsonrpc": "2.0", "id": request_id, "method": operation.name, "params": list(args)}
    return json.dumps(payload, allow_nan=False).encode()


def read_answer(status: int, body: bytes, request_id: int) -> object:
    """The call's result, or its error raised as TwoCheckoutError."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    # An error about a request the server could not read has id null; anything else echoes ours.
    expected_ids = (request_id, None) if isinstance(answer, dict) and "error" in answer else (request_id,)
    if (
        not isinstance(answer, dict)
        or answer.get("id") not in expected_ids
        or not ({"result", "error"} & answer.keys())
    ):
        text = body[:200].decode("utf-8", "replace").strip()
        raise TransportError("UNEXPECTED_RESPONSE", f"HTTP {status}, not a JSON-RPC answer: {text!r}", status)
    error = answer.get("error")
    if error is not None:
        error = error if isinstance(error, dict) else {"message": str(error)}
        data = error.get("data")
        # twoco and 2Checkout name the error in data.error_code; the integer code is the fallback.
        code = data.get("error_code") if isinstance(data, dict) else None
        raise TwoCheckoutError(str(code or error.get("code", "JSONRPC_ERROR")), str(error.get("message", "")), status)
    return answer["result"]
