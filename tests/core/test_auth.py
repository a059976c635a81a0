"""The login hash of twoco.core.auth: 2Checkout's documented vector, and the bytes it counts."""

from __future__ import annotations

from tests.service_env import LOGIN_DATE
from twoco.core import auth


def test_documented_login_hash_vector() -> None:
    assert auth.source_string("AVANGATE", "2010-05-13 12:12:12") == b"8AVANGATE192010-05-13 12:12:12"
    assert auth.login_hash("SECRET_KEY", "AVANGATE", "2010-05-13 12:12:12") == "bf763db7d333e9c3038698cf59ada3e6"


def test_source_string_counts_bytes_for_utf8_codes() -> None:
    # "CAFÉ" is 4 characters but 5 bytes in UTF-8.
    assert auth.source_string("CAFÉ", LOGIN_DATE) == b"5CAF\xc3\x8919" + LOGIN_DATE.encode()
