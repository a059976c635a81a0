"""2Checkout's login hash: an HMAC over ``len(code) + code + len(date) + date``."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

ALGORITHMS = {"md5": hashlib.md5, "sha256": hashlib.sha256, "sha3-256": hashlib.sha3_256}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
REST_AUTH_HEADER = "X-Avangate-Authentication"  # REST's signature, on every request instead of a session
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def source_string(merchant_code: str, date: str) -> bytes:
    """The signed string; lengths count bytes, not characters (the docs say so for UTF-8)."""
    code, when = merchant_code.encode(), date.encode()
    return b"%d%s%d%s" % (len(code), code, len(when), when)


def login_hash(secret_key: str, merchant_code: str, date: str, algo: str = "md5") -> str:
    """What a client sends as ``hash``: lower-case hex."""
    return hmac.new(secret_key.encode(), source_string(merchant_code, date), ALGORITHMS[algo]).hexdigest()


def hashes_equal(expected: str, given: str) -> bool:
    """Constant-time comparison; upper-case hex is accepted too."""
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def parse_login_date(date: str) -> datetime | None:
    if not _DATE_SHAPE.fullmatch(date):
        return None
    try:
        return datetime.strptime(date, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def hash_session_id(session_id: str) -> str:
    """Sessions are stored by this digest, never as the ID a client holds."""
    return hashlib.sha256(session_id.encode()).hexdigest()
