"""SOAP endpoint of one API version: bytes in, one service call, bytes out."""

from __future__ import annotations

import logging

from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.service import Service
from twoco.domains import REGISTRY, DomainStore
from twoco.protocols import Response, internal_error
from twoco.protocols.arguments import decode_positional
from twoco.protocols.limits import XML_MEDIA_TYPES, check_media_type
from twoco.protocols.soap import codec
from twoco.protocols.soap.wsdl import wsdl_document

log = logging.getLogger("twoco.soap")

XML = "text/xml; charset=utf-8"


class SoapAdapter:
    def __init__(self, service: Service[DomainStore], version: str) -> None:
        self.service = service
        self.version = version
        self.protocol = f"soap/{version}"

    def wsdl(self, base_url: str) -> Response:
        return Response(200, wsdl_document(self.version, base_url), XML)

    def handle(
        self, body: bytes, exchange: Exchange, content_type: str = "", soap_action: str | None = None
    ) -> Response:
        """The answer; what happened is noted in the request's Exchange."""
        exchange.protocol = self.protocol
        try:
            check_media_type(content_type, XML_MEDIA_TYPES)
            request = codec.parse_request(body, self.service.context.settings.strict_fields)
            exchange.operation = request.operation[:100]
            operation = REGISTRY.lookup(self.version, request.operation)
            check_soap_action(soap_action, operation.name)
            references = request.references
            args = decode_positional(
                operation, request.params, lambda param, element: codec.decode_value(element, param.type, references)
            )
            exchange.ignored_fields = references.unknown.names
            result = self.service.call(operation, args, "soap", self.version, exchange)
            return Response(200, codec.encode_result(operation.name, result, operation.result), XML)
        except codec.VersionMismatch as error:
            return self.fault(ApiError("MALFORMED_REQUEST", reason=str(error)), exchange, "VersionMismatch")
        except codec.EnvelopeError as error:
            return self.fault(ApiError("MALFORMED_REQUEST", reason=str(error)), exchange)
        except ApiError as error:
            return self.fault(error, exchange)
        except Exception:
            return self.fault(internal_error(log, f"{self.protocol} {exchange.operation}"), exchange)

    def fault(self, error: ApiError, exchange: Exchange, faultcode: str = "") -> Response:
        exchange.error_code = error.code
        faultcode = faultcode or ("Client" if error.kind.client_fault else "Server")
        # SOAP 1.1 sends every fault with HTTP 500; clients read the Fault from the body.
        return Response(500, codec.encode_fault(faultcode, error.message, error.code), XML)


def check_soap_action(soap_action: str | None, operation: str) -> None:
    """A SOAPAction that names an operation (``urn:order#name``, as the WSDL and PHP write it) must
    name the body's: a gateway that filters by SOAPAction must not be walked past. An absent, empty
    or other SOAPAction (no ``#``) is accepted: the body alone says what to call."""
    action = (soap_action or "").strip().strip('"').strip()
    named = action.rpartition("#")[2] if "#" in action else ""
    if named and named != operation:
        raise ApiError("SOAP_ACTION_MISMATCH", action=action[:100], operation=operation)
