"""Limits on the shape of a request, shared by every protocol.

A request body is at most ``serve --max-body`` bytes (1 MiB by default) before anything reads it;
within that, a decoded request may nest at most MAX_DEPTH levels and hold at most MAX_ELEMENTS
elements (XML) or values (JSON). The deepest real request (a Subscription's
Product.PriceOptionCodes item inside a SOAP envelope) is 7 levels deep: 32 leaves room for any
client's wrapping, while refusing the deep or wide documents that cost a parser time or memory.
"""

from __future__ import annotations

from twoco.errors import ApiError

MAX_DEPTH = 32
MAX_ELEMENTS = 10_000

# Media types each protocol reads. No Content-Type at all is accepted (curl -d aside, clients send one).
XML_MEDIA_TYPES = ("text/xml", "application/xml", "application/soap+xml")
JSON_MEDIA_TYPES = ("application/json",)


def check_media_type(content_type: str, accepted: tuple[str, ...]) -> None:
    """UNSUPPORTED_MEDIA_TYPE unless ``content_type`` is absent or one of ``accepted`` in UTF-8."""
    if not content_type.strip():
        return
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charsets = [value.strip().strip('"') for name, _, value in (p.partition("=") for p in parameters) if name == "charset"]
    if media_type in accepted and all(charset in ("utf-8", "utf8") for charset in charsets):
        return
    raise ApiError(
        "UNSUPPORTED_MEDIA_TYPE", content_type=content_type[:100], accepted=" or ".join(accepted) + " (UTF-8)"
    )
