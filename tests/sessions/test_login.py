"""login: the hash and its algorithms, the login date's window, and the session ID it makes.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest

from tests.service_env import CODE_A, CODE_B, LOGIN_DATE, NOW, SECRET_A, SECRET_B, Env, error_of
from twoco.core import auth
from twoco.core.registry import LoginCaller
from twoco.domains import REGISTRY


def test_login_with_utf8_merchant_code_signs_byte_lengths(env: Env) -> None:
    env.store.add_merchant("CAFÉ", "utf8-secret", "2026-01-01T00:00:00+00:00")
    by_bytes = hmac.new(b"utf8-secret", f"5CAFÉ19{LOGIN_DATE}".encode(), hashlib.md5).hexdigest()
    by_chars = hmac.new(b"utf8-secret", f"4CAFÉ19{LOGIN_DATE}".encode(), hashlib.md5).hexdigest()
    login = env.service.sessions.login
    assert re.fullmatch(r"[0-9a-f]{32}", login(LoginCaller("4.0", "test"), "CAFÉ", LOGIN_DATE, by_bytes, None))
    assert (
        error_of(login, LoginCaller("4.0", "test"), "CAFÉ", LOGIN_DATE, by_chars, None).code == "AUTHENTICATION_FAILED"
    )


@pytest.mark.parametrize(
    ("algo", "digest"),
    [(None, hashlib.md5), ("md5", hashlib.md5), ("sha256", hashlib.sha256), ("sha3-256", hashlib.sha3_256)],
)
def test_login_accepts_md5_by_default_sha256_and_sha3_256(env: Env, algo: str | None, digest) -> None:
    expected = hmac.new(SECRET_A.encode(), auth.source_string(CODE_A, LOGIN_DATE), digest).hexdigest()
    assert auth.login_hash(SECRET_A, CODE_A, LOGIN_DATE, algo or "md5") == expected
    session_id = env.service.sessions.login(LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, expected, algo)
    assert env.service.sessions.merchant_for_session(session_id, "4.0")[0] == env.a.merchant_id


def test_login_through_call_with_three_arguments(env: Env) -> None:
    digest = auth.login_hash(SECRET_B, CODE_B, LOGIN_DATE)
    session_id = env.service.call(REGISTRY.lookup("4.0", "login"), [CODE_B, LOGIN_DATE, digest], "test", "4.0")
    assert env.service.sessions.merchant_for_session(session_id, "4.0")[0] == env.b.merchant_id


def test_login_accepts_upper_case_hex(env: Env) -> None:
    digest = auth.login_hash(SECRET_A, CODE_A, LOGIN_DATE, "sha256").upper()
    session_id = env.service.sessions.login(LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, digest, "sha256")
    assert env.service.sessions.merchant_for_session(session_id, "4.0")[0] == env.a.merchant_id


def test_login_with_wrong_hash_fails(env: Env) -> None:
    wrong = auth.login_hash("not-the-secret", CODE_A, LOGIN_DATE)
    error = error_of(env.service.sessions.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, wrong, None)
    assert error.code == "AUTHENTICATION_FAILED"


def test_login_with_hash_of_another_algorithm_fails(env: Env) -> None:
    sha256 = auth.login_hash(SECRET_A, CODE_A, LOGIN_DATE, "sha256")
    error = error_of(env.service.sessions.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, sha256, "md5")
    assert error.code == "AUTHENTICATION_FAILED"


def test_login_for_unknown_merchant_fails(env: Env) -> None:
    digest = auth.login_hash("", "NOSUCH", LOGIN_DATE)  # even a hash keyed with an empty secret
    error = error_of(env.service.sessions.login, LoginCaller("4.0", "test"), "NOSUCH", LOGIN_DATE, digest, None)
    assert error.code == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize(
    "date", ["2026-06-01T12:00:00", "2026-06-01 12:00", "2026-13-01 12:00:00", "2026-06-01 25:00:00", "", "yesterday"]
)
def test_login_with_malformed_date_fails(env: Env, date: str) -> None:
    error = error_of(env.login, CODE_A, SECRET_A, date)
    assert error.code == "INVALID_LOGIN_DATE"


@pytest.mark.parametrize("date", ["2026-06-01 12:05:01", "2026-06-01 11:54:59"])
def test_login_date_301_seconds_away_is_out_of_range(env: Env, date: str) -> None:
    error = error_of(env.login, CODE_A, SECRET_A, date)
    assert error.code == "LOGIN_DATE_OUT_OF_RANGE"


@pytest.mark.parametrize("date", ["2026-06-01 12:04:59", "2026-06-01 11:55:01", "2026-06-01 12:05:00"])
def test_login_date_within_300_seconds_is_accepted(env: Env, date: str) -> None:
    session_id = env.login(CODE_A, SECRET_A, date)
    assert env.service.sessions.merchant_for_session(session_id, "4.0")[0] == env.a.merchant_id


@pytest.mark.parametrize("algo", ["sha1", "sha512", "hmac"])
def test_login_with_unsupported_algorithm_fails(env: Env, algo: str) -> None:
    digest = hmac.new(SECRET_A.encode(), auth.source_string(CODE_A, LOGIN_DATE), hashlib.sha1).hexdigest()
    error = error_of(env.service.sessions.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, digest, algo)
    assert error.code == "UNSUPPORTED_HASH_ALGORITHM"


def test_session_id_is_random_lower_hex_and_only_its_sha256_is_stored(env: Env) -> None:
    session_id = env.login(CODE_A, SECRET_A)
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)
    assert session_id not in (env.a.id, env.b.id)
    rows = env.rows("SELECT token_hash, merchant_id, expires_at FROM sessions")
    assert len(rows) == 3  # the fixture's two logins and this one
    mine = [row for row in rows if row[0] == hashlib.sha256(session_id.encode()).hexdigest()]
    assert mine == [(hashlib.sha256(session_id.encode()).hexdigest(), env.a.merchant_id, NOW + 600)]
    for row in rows:
        for value in row:
            assert session_id not in str(value)
            assert session_id.upper() not in str(value)
    if env.store.url.startswith("sqlite:///"):
        database = Path(env.store.url.removeprefix("sqlite:///"))
        for file in database.parent.iterdir():  # the database and its WAL
            assert session_id.encode() not in file.read_bytes()
