"""JSON-RPC 2.0 endpoint of one API version: positional parameters, batches, notifications."""

from __future__ import annotations

import logging

from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.schema import UnknownFields
from twoco.core.service import Service
from twoco.domains import REGISTRY, DomainStore
from twoco.protocols import Response, internal_error, json_codec
from twoco.protocols.arguments import decode_positional
from twoco.protocols.limits import JSON_MEDIA_TYPES, check_media_type

log = logging.getLogger("twoco.jsonrpc")

JSON = "application/json"


def error_object(error: ApiError) -> dict[str, object]:
    return {"code": error.kind.rpc_code, "message": error.message, "data": {"error_code": error.code}}


class JsonRpcAdapter:
    def __init__(self, service: Service[DomainStore], version: str) -> None:
        self.service = service
        self.version = version
        self.protocol = f"jsonrpc/{version}"

    def handle(self, body: bytes, exchange: Exchange, content_type: str = "") -> Response:
        """The answer; what happened is noted in the request's Exchange."""
        exchange.protocol = self.protocol
        try:
            check_media_type(content_type, JSON_MEDIA_TYPES)
            payload = json_codec.parse(body)
        except ApiError as error:
            exchange.error_code = error.code
            return self._answer(self._error(None, error))
        if isinstance(payload, list):
            exchange.operation = "batch"
            if not payload:
                exchange.error_code = "INVALID_REQUEST"
                return self._answer(self._error(None, ApiError("INVALID_REQUEST", reason="empty batch")))
            answers = [answer for item in payload if (answer := self._one(item, exchange)) is not None]
            return self._answer(answers or None)
        return self._answer(self._one(payload, exchange))

    def _one(self, request: object, exchange: Exchange) -> dict[str, object] | None:
        """The answer to one request object, or None for a notification."""
        if not isinstance(request, dict):
            return self._fail(None, ApiError("INVALID_REQUEST", reason="a request must be an object"), exchange)
        request_id = request.get("id")
        if not (request_id is None or isinstance(request_id, (str, int, float)) and not isinstance(request_id, bool)):
            return self._fail(None, ApiError("INVALID_REQUEST", reason="id must be a string, number or null"), exchange)
        method, params = request.get("method"), request.get("params", [])
        if request.get("jsonrpc") != "2.0":
            return self._fail(request_id, ApiError("INVALID_REQUEST", reason='jsonrpc must be "2.0"'), exchange)
        if not isinstance(method, str):
            return self._fail(request_id, ApiError("INVALID_REQUEST", reason="method must be a string"), exchange)
        exchange.operation = method[:100]
        try:
            operation = REGISTRY.lookup(self.version, method)
            if isinstance(params, dict):
                raise ApiError("INVALID_PARAMETERS", operation=method, reason="parameters go by position, in an array")
            if not isinstance(params, list):
                raise ApiError("INVALID_PARAMETERS", operation=method, reason="params must be an array")
            unknown = UnknownFields(self.service.context.settings.strict_fields)
            args = decode_positional(
                operation, params, lambda param, value: json_codec.decode(value, param.type, unknown)
            )
            exchange.ignored_fields += unknown.names
            result = self.service.call(operation, args, "jsonrpc", self.version, exchange)
        except ApiError as error:
            return None if "id" not in request else self._fail(request_id, error, exchange)
        except Exception:  # this call's alone: a batch's others are still answered
            failure = internal_error(log, f"{self.protocol} {method}")
            return None if "id" not in request else self._fail(request_id, failure, exchange)
        if "id" not in request:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": json_codec.encode(result, operation.result)}

    def failed_afterwards(self, body: bytes, error: ApiError) -> Response:
        """``error`` as the answer to each request of ``body``: the store failed the call after, or
        instead of, its handling (what it wrote was not made durable, or it never began)."""
        try:
            payload = json_codec.parse(body)
        except ApiError:
            payload = None
        requests = payload if isinstance(payload, list) else [payload]
        answers = [self._error(item.get("id"), error) for item in requests if isinstance(item, dict) and "id" in item]
        if isinstance(payload, list):
            return self._answer(answers or None)
        return self._answer(answers[0] if answers else self._error(None, error))

    def _fail(self, request_id: object, error: ApiError, exchange: Exchange) -> dict[str, object]:
        exchange.error_code = error.code
        return self._error(request_id, error)

    @staticmethod
    def _error(request_id: object, error: ApiError) -> dict[str, object]:
        return {"jsonrpc": "2.0", "id": request_id, "error": error_object(error)}

    @staticmethod
    def _answer(payload: object) -> Response:
        # Errors travel inside a 200 answer; a batch of only notifications gets 204 and no body.
        if payload is None:
            return Response(204, b"", JSON)
        return Response(200, json_codec.dumps(payload), JSON)
