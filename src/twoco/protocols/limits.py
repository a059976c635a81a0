"""Limits on the shape of a request, shared by every protocol.

A request body is at most ``serve --max-body`` bytes (1 MiB by default) before anything reads it;
within that, a decoded request may nest at most MAX_DEPTH levels and hold at most MAX_ELEMENTS
elements (XML) or values (JSON). The deepest real request (a Subscription's
Product.PriceOptionCodes item inside a SOAP envelope) is 7 levels deep: 32 leaves room for any
client's wrapping, while refusing the deep or wide documents that cost a parser time or memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from twoco.core.errors import ApiError

MAX_DEPTH = 32
MAX_ELEMENTS = 10_000

# Media types each protocol reads. No Content-Type at all is accepted (curl -d aside, clients send one).
XML_MEDIA_TYPES = ("text/xml", "application/xml", "application/soap+xml")
JSON_MEDIA_TYPES = ("application/json",)


def shape_problem(root: Any, children: Callable[[Any], Iterable[Any]], nodes: str) -> str | None:
    """Why a decoded request is too big a tree (more than MAX_ELEMENTS ``nodes``, or nested more than
    MAX_DEPTH deep), or None; one walk, level by level."""
    count, level = 1, [root]
    for _ in range(MAX_DEPTH):
        level = [child for node in level for child in children(node)]
        count += len(level)
        if count > MAX_ELEMENTS:
            return f"more than {MAX_ELEMENTS} {nodes}"
        if not level:
            return None
    return f"{nodes} nested more than {MAX_DEPTH} deep"


def check_media_type(content_type: str, accepted: tuple[str, ...]) -> None:
    """UNSUPPORTED_MEDIA_TYPE unless ``content_type`` is absent or one of ``accepted`` in UTF-8."""
    if not content_type.strip():
        return
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charsets = [
        value.strip().strip('"') for name, _, value in (p.partition("=") for p in parameters) if name == "charset"
    ]
    if media_type in accepted and all(charset in ("utf-8", "utf8") for charset in charsets):
        return
    raise ApiError(
        "UNSUPPORTED_MEDIA_TYPE", content_type=content_type[:100], accepted=" or ".join(accepted) + " (UTF-8)"
    )
