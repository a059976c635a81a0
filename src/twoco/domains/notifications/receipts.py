"""Whether a merchant's answer to a notification is a valid read receipt (reference §3.3, §3.4).

2Checkout looks for ``<EPAYMENT>DATE|HASH</EPAYMENT>`` (MD5) or ``<sig algo="sha256|sha3-256"
date="DATE">HASH</sig>`` anywhere in the answer. HASH is the HMAC of the length-prefixed
``IPN_PID[0]``, ``IPN_PNAME[0]``, ``IPN_DATE`` and DATE for an IPN, of ``LICENSE_CODE``,
``EXPIRATION_DATE`` and DATE for an LCN, computed with the DATE the merchant returned: DATE's
format and freshness are not checked (2Checkout's own LCN sample answers ``date("YmdGis")``, 13
digits before ten o'clock, and the SDKs answer in local time or ``%F %T``). The hash is compared
case-insensitively, as the receipt page says. A receipt counts in any algorithm the notification
was signed with, its ``algo`` read leniently (``sha3_256``, as the official Python SDK answers, is
``sha3-256``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from twoco.domains.notifications.signatures import Fields, hmac_hex

_EPAYMENT = re.compile(rb"<EPAYMENT>(.*?)\|(.*?)</EPAYMENT>", re.DOTALL)
_SIG = re.compile(rb"""<sig\s+algo=["']([^"']*)["']\s+date=["']([^"']*)["']\s*>(.*?)</sig>""", re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    delivered: bool
    reason: str  # why not, or which receipt counted


def receipt_values(kind: str, fields: Fields) -> list[str]:
    """The values a receipt's hash covers before its DATE."""
    named = dict(fields)
    if kind == "IPN":
        return [_first(named.get("IPN_PID[]")), _first(named.get("IPN_PNAME[]")), _first(named.get("IPN_DATE"))]
    return [_first(named.get("LICENSE_CODE")), _first(named.get("EXPIRATION_DATE"))]


def _first(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def _algorithm(label: bytes) -> str:
    """A receipt's ``algo``, read as 2Checkout's own SDKs write it: the Python SDK labels its SHA-3
    receipts ``sha3_256`` (hashlib's name), where the docs say ``sha3-256``."""
    name = label.decode("latin-1").strip().lower().replace("_", "-")
    return "sha256" if name == "sha2-256" else name


def judge(kind: str, fields: Fields, secret_key: str, algorithms: Sequence[str], answer: bytes) -> Verdict:
    """The verdict on ``answer`` (the body's first bytes) to a notification signed with ``algorithms``."""
    values = receipt_values(kind, fields)
    found = [("md5", date, digest) for date, digest in _EPAYMENT.findall(answer)]
    found += [(_algorithm(algo), date, digest) for algo, date, digest in _SIG.findall(answer)]
    if not found:
        return Verdict(False, "no receipt")
    refusals = []
    for algorithm, raw_date, raw_digest in found:
        date = raw_date.decode("utf-8", "replace")
        digest = raw_digest.decode("utf-8", "replace").strip()
        if algorithm not in algorithms:
            refusals.append(
                f"receipt in {algorithm}, which this notification is not signed with ({', '.join(algorithms)})"
            )
            continue
        expected = hmac_hex(secret_key, algorithm, [*values, date])
        if hmac.compare_digest(expected, digest.lower()):
            return Verdict(True, f"{algorithm} receipt dated {date!r}")
        refusals.append(f"receipt hash differs: expected {expected} for date {date!r}, got {digest[:64]!r}")
    return Verdict(False, refusals[0])
