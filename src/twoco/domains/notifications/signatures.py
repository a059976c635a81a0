"""How 2Checkout signs a notification and how a merchant's read receipt answers it.

A notification's signatures (``HASH``, ``SIGNATURE_SHA2_256``, ``SIGNATURE_SHA3_256``) are HMACs,
keyed with the merchant's secret key, over every value it carries in the order sent, each prefixed
with its length in UTF-8 bytes, arrays element by element, the signatures themselves left out
(reference: 2checkout-notifications.md §3.1; its worked vectors are tests/notifications/test_signatures.py).
An empty value counts as ``0`` with no prefix; ``"0"`` as ``10``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from typing import Any

Value = str | list[str]
Fields = list[tuple[str, Value]]  # a notification's fields, in the order sent; arrays sent as NAME[]

# Each algorithm a merchant may choose: the field its signature goes in, its hash.
ALGORITHMS: dict[str, tuple[str, Callable[..., Any]]] = {
    "md5": ("HASH", hashlib.md5),
    "sha256": ("SIGNATURE_SHA2_256", hashlib.sha256),
    "sha3-256": ("SIGNATURE_SHA3_256", hashlib.sha3_256),
}
SIGNATURE_FIELDS = frozenset(field for field, _ in ALGORITHMS.values())


def source(values: Iterable[str]) -> bytes:
    """The length-prefixed concatenation 2Checkout signs."""
    encoded = [value.encode("utf-8") for value in values]
    return b"".join(b"%d%b" % (len(data), data) if data else b"0" for data in encoded)


def hmac_hex(secret_key: str, algorithm: str, values: Iterable[str]) -> str:
    """Lowercase hex HMAC of ``values``' source under ``algorithm`` (md5, sha256, sha3-256)."""
    return _hmac(secret_key, algorithm, source(values))


def _hmac(secret_key: str, algorithm: str, data: bytes) -> str:
    return hmac.new(secret_key.encode("utf-8"), data, ALGORITHMS[algorithm][1]).hexdigest()


def signed_values(fields: Fields) -> list[str]:
    """The values a notification's signatures cover: all but the signatures, arrays expanded."""
    out: list[str] = []
    for name, value in fields:
        if name not in SIGNATURE_FIELDS:
            out.extend(value if isinstance(value, list) else [value])
    return out


def sign(fields: Fields, secret_key: str, algorithms: Sequence[str]) -> Fields:
    """``fields`` with the signature of each algorithm chosen appended, in 2Checkout's order
    (HASH, SIGNATURE_SHA2_256, SIGNATURE_SHA3_256)."""
    data = source(signed_values(fields))
    signatures = [(name, _hmac(secret_key, algorithm, data)) for algorithm, (name, _) in ALGORITHMS.items()
                  if algorithm in algorithms]  # fmt: skip
    return [*fields, *signatures]
