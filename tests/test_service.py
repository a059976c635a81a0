"""Unit tests of the domain rules in twoco.core.service, without any server or wire format.

Each test builds a Service over a fresh SQLite file with two merchants (A and B), a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.clocks import FixedClock
from tests.servers import new_store_url
from twoco.core import auth
from twoco.core.errors import ApiError
from twoco.core.ids import ReferenceGenerator
from twoco.core.registry import Caller, LoginCaller, check_arity, lookup
from twoco.core.schema import CUSTOMER, END_USER_FIELDS
from twoco.core.service import Service, Settings
from twoco.store import SqlStore, open_store

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()
LOGIN_DATE = "2026-06-01 12:00:00"
TODAY = "2026-06-01"
CODE_A, SECRET_A = "MERCHA", "secret-of-a"
CODE_B, SECRET_B = "MERCHB", "secret-of-b"
MISSING_CUSTOMER = 123456789  # a 9-digit reference no test customer gets (checked where used)


# --- the environment ------------------------------------------------------------------


class Session:
    """A logged-in merchant: calls operations the way an adapter does, through Service.call."""

    def __init__(self, service: Service, session_id: str, merchant_id: int) -> None:
        self.service = service
        self.id = session_id
        self.merchant_id = merchant_id

    def __call__(self, operation: str, *args: object) -> Any:
        return self.service.call(lookup("4.0", operation), [self.id, *args], "test", "4.0")

    @property
    def caller(self) -> Caller:
        return Caller("4.0", "test", self.merchant_id)


@dataclass
class Env:
    service: Service
    store: SqlStore
    clock: FixedClock
    a: Session
    b: Session

    def login(self, code: str, secret: str, date: str = LOGIN_DATE, algo: str | None = None) -> str:
        digest = auth.login_hash(secret, code, date, algo or "md5")
        return self.service.login(LoginCaller("4.0", "test"), code, date, digest, algo)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a raw query, straight from the database."""
        with self.store.transaction(write=False) as cursor:
            return [tuple(row) for row in cursor.execute(sql).fetchall()]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the customer and subscription tables."""
        return {
            table: self.rows(f"SELECT * FROM {table} ORDER BY reference") for table in ("customers", "subscriptions")
        }


@pytest.fixture
def env(tmp_path: Path, store_kind: str) -> Iterator[Env]:
    store = open_store(new_store_url(store_kind, tmp_path))
    store.migrate()
    store.add_merchant(CODE_A, SECRET_A, "2026-01-01T00:00:00+00:00")
    store.add_merchant(CODE_B, SECRET_B, "2026-01-01T00:00:00+00:00")
    clock = FixedClock(NOW)
    service = Service(store, clock, ReferenceGenerator(seed=1), Settings())
    environment = Env(service, store, clock, None, None)  # type: ignore[arg-type]
    environment.a = Session(service, environment.login(CODE_A, SECRET_A), store.merchant(CODE_A).id)
    environment.b = Session(service, environment.login(CODE_B, SECRET_B), store.merchant(CODE_B).id)
    yield environment
    store.close()


def error_of(call, *args: object, **kwargs: object) -> ApiError:
    """The ApiError that call(*args, **kwargs) raises (and fails the test if it raises none)."""
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- valid objects --------------------------------------------------------------------


def customer(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical Engines Ltd",
        "Address1": "12 St James's Square",
        "City": "London",
        "Zip": "SW1Y 4JH",
        "CountryCode": "gb",
        "Phone": "+44 20 7946 0000",
        "Email": "ada@example.com",
        "Language": "en",
    }
    record.update(overrides)
    return record


def without(record: dict[str, object], name: str) -> dict[str, object]:
    return {key: value for key, value in record.items() if key != name}


def end_user(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "FirstName": "Charles",
        "LastName": "Babbage",
        "Email": "charles@example.org",
        "Company": "Difference Engines",
        "Phone": "+44 1",
        "Fax": "+44 2",
        "Address1": "1 Dorset Street",
        "Address2": "Marylebone",
        "Zip": "W1U 4EG",
        "City": "London",
        "State": "Greater London",
        "CountryCode": "gb",
        "Language": "en",
    }
    record.update(overrides)
    return record


_subscription_numbers = iter(range(1, 1_000_000))


def subscription(
    customer_reference: int | None = None, external_customer: str | None = None, **overrides: object
) -> dict[str, object]:
    record: dict[str, object] = {
        "ExternalSubscriptionReference": f"EXT-SUB-{next(_subscription_numbers)}",
        "StartDate": "2026-01-01",
        "ExpirationDate": "2027-01-01",
        "Product": {"ProductCode": "PROD-1", "ProductName": "Engine", "ProductVersion": "1.0"},
        "EndUser": end_user(),
        "AvangateCustomerReference": customer_reference,
        "ExternalCustomerReference": external_customer,
    }
    record.update(overrides)
    return record


def new_customer(session: Session, **overrides: object) -> int:
    return session("createCustomer", customer(**overrides))


def get_customer(session: Session, reference: int) -> dict[str, object]:
    return session("getCustomerInformation", reference, None)


def update(session: Session, reference: int, *push: object, **changes: object) -> bool:
    """updateCustomerInformation naming the customer by its AvangateCustomerReference."""
    return session("updateCustomerInformation", {"AvangateCustomerReference": reference, **changes}, *push)


# --- login ----------------------------------------------------------------------------


def test_documented_login_hash_vector() -> None:
    assert auth.source_string("AVANGATE", "2010-05-13 12:12:12") == b"8AVANGATE192010-05-13 12:12:12"
    assert auth.login_hash("SECRET_KEY", "AVANGATE", "2010-05-13 12:12:12") == "bf763db7d333e9c3038698cf59ada3e6"


def test_source_string_counts_bytes_for_utf8_codes() -> None:
    # "CAFÉ" is 4 characters but 5 bytes in UTF-8.
    assert auth.source_string("CAFÉ", LOGIN_DATE) == b"5CAF\xc3\x8919" + LOGIN_DATE.encode()


def test_login_with_utf8_merchant_code_signs_byte_lengths(env: Env) -> None:
    env.store.add_merchant("CAFÉ", "utf8-secret", "2026-01-01T00:00:00+00:00")
    by_bytes = hmac.new(b"utf8-secret", f"5CAFÉ19{LOGIN_DATE}".encode(), hashlib.md5).hexdigest()
    by_chars = hmac.new(b"utf8-secret", f"4CAFÉ19{LOGIN_DATE}".encode(), hashlib.md5).hexdigest()
    login = env.service.login
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
    session_id = env.service.login(LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, expected, algo)
    assert env.service.merchant_for_session(session_id, "4.0") == env.a.merchant_id


def test_login_through_call_with_three_arguments(env: Env) -> None:
    digest = auth.login_hash(SECRET_B, CODE_B, LOGIN_DATE)
    session_id = env.service.call(lookup("4.0", "login"), [CODE_B, LOGIN_DATE, digest], "test", "4.0")
    assert env.service.merchant_for_session(session_id, "4.0") == env.b.merchant_id


def test_login_accepts_upper_case_hex(env: Env) -> None:
    digest = auth.login_hash(SECRET_A, CODE_A, LOGIN_DATE, "sha256").upper()
    session_id = env.service.login(LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, digest, "sha256")
    assert env.service.merchant_for_session(session_id, "4.0") == env.a.merchant_id


def test_login_with_wrong_hash_fails(env: Env) -> None:
    wrong = auth.login_hash("not-the-secret", CODE_A, LOGIN_DATE)
    error = error_of(env.service.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, wrong, None)
    assert error.code == "AUTHENTICATION_FAILED"


def test_login_with_hash_of_another_algorithm_fails(env: Env) -> None:
    sha256 = auth.login_hash(SECRET_A, CODE_A, LOGIN_DATE, "sha256")
    error = error_of(env.service.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, sha256, "md5")
    assert error.code == "AUTHENTICATION_FAILED"


def test_login_for_unknown_merchant_fails(env: Env) -> None:
    digest = auth.login_hash("", "NOSUCH", LOGIN_DATE)  # even a hash keyed with an empty secret
    error = error_of(env.service.login, LoginCaller("4.0", "test"), "NOSUCH", LOGIN_DATE, digest, None)
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
    assert env.service.merchant_for_session(session_id, "4.0") == env.a.merchant_id


@pytest.mark.parametrize("algo", ["sha1", "sha512", "hmac"])
def test_login_with_unsupported_algorithm_fails(env: Env, algo: str) -> None:
    digest = hmac.new(SECRET_A.encode(), auth.source_string(CODE_A, LOGIN_DATE), hashlib.sha1).hexdigest()
    error = error_of(env.service.login, LoginCaller("4.0", "test"), CODE_A, LOGIN_DATE, digest, algo)
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


# --- sessions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "session_id",
    ["", "garbage", "0" * 32, "g" * 32, "0" * 31, "0" * 33, 12345, ["0" * 32]],
)
def test_garbage_or_unknown_session_is_invalid(env: Env, session_id: object) -> None:
    error = error_of(env.service.call, lookup("4.0", "createCustomer"), [session_id, customer()], "test", "4.0")
    assert error.code == "INVALID_SESSION"
    assert env.dump()["customers"] == []


def test_upper_cased_session_id_is_invalid(env: Env) -> None:
    upper = Session(env.service, env.a.id.upper(), env.a.merchant_id)
    if upper.id == env.a.id:  # an all-digit ID has no case: astronomically unlikely, but then nothing to test
        upper.id = "F" * 32
    assert error_of(upper, "getCustomerInformation", MISSING_CUSTOMER, None).code == "INVALID_SESSION"


def test_session_expires_600_seconds_after_login(env: Env) -> None:
    env.clock.advance(599)
    reference = new_customer(env.a)  # still valid at 599 s
    assert get_customer(env.a, reference)["FirstName"] == "Ada"
    env.clock.advance(1)
    error = error_of(env.a, "createCustomer", customer())
    assert error.code == "FORBIDDEN"
    assert len(env.dump()["customers"]) == 1
    assert error_of(env.b, "getCustomerInformation", reference, None).code == "FORBIDDEN"


def test_session_ttl_is_fixed_not_sliding(env: Env) -> None:
    env.clock.advance(300)
    reference = new_customer(env.a)  # using the session half-way does not extend it
    env.clock.advance(299)
    assert get_customer(env.a, reference)["FirstName"] == "Ada"
    env.clock.advance(1)
    assert error_of(env.a, "getCustomerInformation", reference, None).code == "FORBIDDEN"


def test_session_belongs_to_its_merchant(env: Env) -> None:
    assert env.service.merchant_for_session(env.a.id, "4.0") == env.a.merchant_id
    assert env.service.merchant_for_session(env.b.id, "4.0") == env.b.merchant_id
    assert env.a.merchant_id != env.b.merchant_id


# --- createCustomer -------------------------------------------------------------------


def test_create_customer_returns_nine_digit_int(env: Env) -> None:
    reference = new_customer(env.a)
    assert type(reference) is int
    assert 100_000_000 <= reference <= 999_999_999
    second = new_customer(env.a)
    assert second != reference and 100_000_000 <= second <= 999_999_999


def test_created_customer_reads_back(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1", CountryCode="US", Language="EN")
    view = get_customer(env.a, reference)
    # API 4.0's Customer has exactly these 19 fields, in this order (6.0 appends Credit, never set here).
    assert list(view)[:19] == list(CUSTOMER.field_names)
    assert view.get("Credit") is None
    assert {name: view[name] for name in CUSTOMER.field_names} == {
        "AvangateCustomerReference": reference,
        "ExternalCustomerReference": "EXT-1",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical Engines Ltd",
        "FiscalCode": None,
        "Address1": "12 St James's Square",
        "Address2": None,
        "City": "London",
        "State": None,
        "Zip": "SW1Y 4JH",
        "CountryCode": "us",
        "Phone": "+44 20 7946 0000",
        "Fax": None,
        "Email": "ada@example.com",
        "ExistingCards": [],
        "Enabled": False,
        "Trial": False,
        "Language": "en",
    }


@pytest.mark.parametrize("field", ["FirstName", "LastName", "Address1", "City", "Zip", "CountryCode", "Email"])
@pytest.mark.parametrize("how", ["absent", "none", "empty", "blank"])
def test_create_customer_requires_field(env: Env, field: str, how: str) -> None:
    values = {"none": None, "empty": "", "blank": "  "}
    record = without(customer(), field) if how == "absent" else customer(**{field: values[how]})
    error = error_of(env.a, "createCustomer", record)
    assert error.code == "MISSING_REQUIRED_FIELD"
    assert error.details["field"] == field
    assert field in error.message
    assert env.dump()["customers"] == []


@pytest.mark.parametrize("country", ["XX", "usa", "u", "12", "uk"])
def test_create_customer_rejects_invalid_country(env: Env, country: str) -> None:
    error = error_of(env.a, "createCustomer", customer(CountryCode=country))
    assert error.code == "INVALID_COUNTRY_CODE"
    assert error.details["field"] == "CountryCode"


def test_country_code_is_stored_lower_case(env: Env) -> None:
    reference = new_customer(env.a, CountryCode="US")
    assert get_customer(env.a, reference)["CountryCode"] == "us"
    assert env.rows("SELECT country_code FROM customers") == [("us",)]


def test_language_is_lower_cased_and_checked(env: Env) -> None:
    reference = new_customer(env.a, Language="EN")
    assert get_customer(env.a, reference)["Language"] == "en"
    error = error_of(env.a, "createCustomer", customer(Language="xx"))
    assert error.code == "INVALID_LANGUAGE"
    assert error.details["field"] == "Language"


def test_language_is_optional_and_unset_reads_empty(env: Env) -> None:
    reference = new_customer(env.a, Language=None)
    assert get_customer(env.a, reference)["Language"] == ""  # as 2Checkout's recorded outputs show it


@pytest.mark.parametrize("email", ["ada", "ada@", "@example.com", "ada@example", "ada @example.com", "a@b@c.com"])
def test_create_customer_rejects_invalid_email(env: Env, email: str) -> None:
    error = error_of(env.a, "createCustomer", customer(Email=email))
    assert error.code == "INVALID_EMAIL"
    assert error.details["field"] == "Email"


@pytest.mark.parametrize("company", [None, "", "   "])
def test_fiscal_code_requires_company(env: Env, company: object) -> None:
    error = error_of(env.a, "createCustomer", customer(FiscalCode="RO12345678", Company=company))
    assert error.code == "FISCAL_CODE_REQUIRES_COMPANY"
    assert env.dump()["customers"] == []


def test_fiscal_code_with_company_is_kept(env: Env) -> None:
    reference = new_customer(env.a, FiscalCode="RO12345678")
    assert get_customer(env.a, reference)["FiscalCode"] == "RO12345678"


@pytest.mark.parametrize("field", ["FirstName", "Address2", "City", "State", "Company"])
def test_field_of_256_characters_is_too_long(env: Env, field: str) -> None:
    error = error_of(env.a, "createCustomer", customer(**{field: "x" * 256}))
    assert error.code == "FIELD_TOO_LONG"
    assert error.details["field"] == field
    assert env.dump()["customers"] == []


def test_field_of_255_characters_is_accepted(env: Env) -> None:
    reference = new_customer(env.a, City="y" * 255)
    assert get_customer(env.a, reference)["City"] == "y" * 255


def test_external_customer_reference_longer_than_100_is_too_long(env: Env) -> None:
    error = error_of(env.a, "createCustomer", customer(ExternalCustomerReference="e" * 101))
    assert error.code == "FIELD_TOO_LONG"
    assert error.details["field"] == "ExternalCustomerReference"


@pytest.mark.parametrize("value", ["Lon\x00don", "Lon\x07don", "Lon\x1bdon", "Lon\x7fdon"])
def test_control_characters_are_rejected(env: Env, value: str) -> None:
    error = error_of(env.a, "createCustomer", customer(City=value))
    assert error.code == "INVALID_FIELD_VALUE"
    assert error.details["field"] == "City"


def test_duplicate_external_reference_within_a_merchant(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    error = error_of(env.a, "createCustomer", customer(ExternalCustomerReference="EXT-1", FirstName="Other"))
    assert error.code == "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE"
    assert len(env.dump()["customers"]) == 1
    assert env.a("getCustomerInformation", None, "EXT-1")["AvangateCustomerReference"] == first


def test_same_external_reference_is_allowed_for_another_merchant(env: Env) -> None:
    in_a = new_customer(env.a, ExternalCustomerReference="EXT-1")
    in_b = new_customer(env.b, ExternalCustomerReference="EXT-1", FirstName="Bea")
    assert in_a != in_b
    assert env.a("getCustomerInformation", None, "EXT-1")["FirstName"] == "Ada"
    assert env.b("getCustomerInformation", None, "EXT-1")["FirstName"] == "Bea"


def test_customers_without_external_reference_do_not_collide(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a, ExternalCustomerReference="")
    assert get_customer(env.a, first)["ExternalCustomerReference"] is None
    assert get_customer(env.a, second)["ExternalCustomerReference"] is None


def test_enabled_trial_and_reference_given_on_create_are_ignored(env: Env) -> None:
    reference = env.a(
        "createCustomer",
        customer(
            AvangateCustomerReference=555555555, Enabled=True, Trial=True, ExistingCards=[{"TransientToken": None}]
        ),
    )
    assert reference != 555555555
    view = get_customer(env.a, reference)
    assert (view["AvangateCustomerReference"], view["Enabled"], view["Trial"], view["ExistingCards"]) == (
        reference,
        False,
        False,
        [],
    )
    assert error_of(env.a, "getCustomerInformation", 555555555, None).code == "CUSTOMER_NOT_FOUND"


def test_create_customer_directly_with_a_caller(env: Env) -> None:
    reference = env.service.create_customer(env.a.caller, customer(FirstName="Direct"))
    assert env.service.get_customer(env.a.caller, reference, None)["FirstName"] == "Direct"
    assert error_of(env.service.get_customer, env.b.caller, reference, None).code == "CUSTOMER_NOT_FOUND"


# --- getCustomerInformation -----------------------------------------------------------


def test_get_customer_by_internal_external_or_both(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-7")
    by_internal = env.a("getCustomerInformation", reference, None)
    assert by_internal["AvangateCustomerReference"] == reference
    assert by_internal["ExternalCustomerReference"] == "EXT-7"
    assert env.a("getCustomerInformation", None, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", 0, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", reference, "EXT-7") == by_internal
    assert env.a("getCustomerInformation", reference, "") == by_internal
    assert env.a("getCustomerInformation", reference) == by_internal  # the optional third parameter omitted


def test_get_customer_with_disagreeing_references(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    new_customer(env.a, ExternalCustomerReference="EXT-2")
    assert error_of(env.a, "getCustomerInformation", first, "EXT-2").code == "CUSTOMER_REFERENCE_MISMATCH"
    assert error_of(env.a, "getCustomerInformation", first, "EXT-UNUSED").code == "CUSTOMER_REFERENCE_MISMATCH"


def test_get_customer_without_external_reference_given_one(env: Env) -> None:
    reference = new_customer(env.a)  # has no external reference
    assert error_of(env.a, "getCustomerInformation", reference, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"


@pytest.mark.parametrize("args", [(), (None,), (None, None), (0, ""), (0, None), (None, "")])
def test_get_customer_needs_a_reference(env: Env, args: tuple[object, ...]) -> None:
    new_customer(env.a)
    assert error_of(env.a, "getCustomerInformation", *args).code == "CUSTOMER_REFERENCE_REQUIRED"


def test_get_unknown_customer(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    assert reference != MISSING_CUSTOMER
    assert error_of(env.a, "getCustomerInformation", MISSING_CUSTOMER, None).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerInformation", None, "EXT-404").code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerInformation", MISSING_CUSTOMER, "EXT-1").code == "CUSTOMER_NOT_FOUND"


# --- updateCustomerInformation --------------------------------------------------------


def test_update_replaces_present_fields_and_keeps_absent_ones(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = get_customer(env.a, reference)
    assert update(env.a, reference, City="Paris", CountryCode="FR") is True
    assert get_customer(env.a, reference) == {**before, "City": "Paris", "CountryCode": "fr"}


def test_update_by_external_reference(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = get_customer(env.a, reference)
    assert env.a("updateCustomerInformation", {"ExternalCustomerReference": "EXT-1", "Zip": "75001"}, False) is True
    assert get_customer(env.a, reference) == {**before, "Zip": "75001"}


def test_update_with_the_whole_fetched_object(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1")
    fetched = get_customer(env.a, reference)
    fetched["Email"] = "countess@example.com"
    assert env.a("updateCustomerInformation", fetched, None) is True
    assert get_customer(env.a, reference) == {**fetched, "Email": "countess@example.com"}


@pytest.mark.parametrize("field", ["Company", "Phone", "Language", "Address2", "State", "Fax"])
def test_update_with_none_clears_optional_field(env: Env, field: str) -> None:
    reference = new_customer(env.a, Address2="Flat 1", State="London", Fax="+44 3")
    before = get_customer(env.a, reference)
    assert before[field] is not None
    update(env.a, reference, **{field: None})
    assert get_customer(env.a, reference) == {**before, field: "" if field == "Language" else None}


@pytest.mark.parametrize("field", ["FirstName", "LastName", "Address1", "City", "Zip", "CountryCode", "Email"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_update_cannot_clear_required_field(env: Env, field: str, value: object) -> None:
    reference = new_customer(env.a)
    before_view, before_rows = get_customer(env.a, reference), env.dump()
    error = error_of(update, env.a, reference, **{"Phone": "+1 555 0100", field: value})
    assert error.code == "MISSING_REQUIRED_FIELD"
    assert error.details["field"] == field
    assert get_customer(env.a, reference) == before_view
    assert env.dump() == before_rows


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"Email": "not-an-email", "City": "Paris"}, "INVALID_EMAIL"),
        ({"CountryCode": "zz", "City": "Paris"}, "INVALID_COUNTRY_CODE"),
        ({"Language": "qq", "City": "Paris"}, "INVALID_LANGUAGE"),
        ({"City": "x" * 256, "Zip": "1"}, "FIELD_TOO_LONG"),
        ({"City": "Pa\x01ris", "Zip": "1"}, "INVALID_FIELD_VALUE"),
        ({"FiscalCode": "RO1", "Company": None}, "FISCAL_CODE_REQUIRES_COMPANY"),
        ({"Company": None, "City": "Paris"}, "FISCAL_CODE_REQUIRES_COMPANY"),  # the stored FiscalCode stays
    ],
)
def test_failing_update_changes_nothing(env: Env, changes: dict[str, object], code: str) -> None:
    fiscal_code = None if "FiscalCode" in changes else "GB999"
    reference = new_customer(env.a, ExternalCustomerReference="EXT-1", FiscalCode=fiscal_code)
    before_view, before_rows = get_customer(env.a, reference), env.dump()
    error = error_of(update, env.a, reference, True, **changes)
    assert error.code == code
    assert get_customer(env.a, reference) == before_view
    assert env.dump() == before_rows


def test_update_ignores_enabled_trial_and_existing_cards(env: Env) -> None:
    reference = new_customer(env.a)
    before = get_customer(env.a, reference)
    env.a(
        "updateCustomerInformation",
        {"AvangateCustomerReference": reference, "Enabled": True, "Trial": True, "ExistingCards": [{}], "City": "Bath"},
    )
    assert get_customer(env.a, reference) == {**before, "City": "Bath"}


def test_update_may_assign_unused_external_reference_to_customer_without_one(env: Env) -> None:
    reference = new_customer(env.a)
    before = get_customer(env.a, reference)
    update(env.a, reference, ExternalCustomerReference="EXT-NEW")
    assert get_customer(env.a, reference) == {**before, "ExternalCustomerReference": "EXT-NEW"}
    assert env.a("getCustomerInformation", None, "EXT-NEW")["AvangateCustomerReference"] == reference


def test_update_may_not_take_an_external_reference_in_use(env: Env) -> None:
    reference = new_customer(env.a)
    new_customer(env.a, ExternalCustomerReference="EXT-TAKEN")
    before = env.dump()
    error = error_of(update, env.a, reference, ExternalCustomerReference="EXT-TAKEN")
    assert error.code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before


def test_update_may_not_replace_an_existing_external_reference(env: Env) -> None:
    reference = new_customer(env.a, ExternalCustomerReference="EXT-OLD")
    before = env.dump()
    error = error_of(update, env.a, reference, ExternalCustomerReference="EXT-NEW")
    assert error.code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before


def test_update_needs_a_known_customer(env: Env) -> None:
    new_customer(env.a)
    assert error_of(env.a, "updateCustomerInformation", {"City": "Paris"}).code == "CUSTOMER_REFERENCE_REQUIRED"
    error = error_of(update, env.a, MISSING_CUSTOMER, City="Paris")
    assert error.code == "CUSTOMER_NOT_FOUND"
    error = error_of(env.a, "updateCustomerInformation", {"ExternalCustomerReference": "EXT-404", "City": "Paris"})
    assert error.code == "CUSTOMER_NOT_FOUND"


# --- UpdateEndUserSubscriptions -------------------------------------------------------


@dataclass
class Household:
    customer: int
    neighbour: int
    subscriptions: list[str]
    neighbour_subscriptions: list[str]


@pytest.fixture
def household(env: Env) -> Household:
    """A customer with 3 subscriptions and a neighbour with 2, all with end users unlike either customer."""
    mine = new_customer(env.a, ExternalCustomerReference="EXT-MINE", Address2="Flat 1", State="Middlesex", Fax="+44 9")
    theirs = new_customer(env.a, ExternalCustomerReference="EXT-THEIRS", FirstName="Mary", Email="mary@example.com")
    subscriptions = [
        env.a("addSubscription", subscription(mine, EndUser=end_user(FirstName=f"User{n}", City=f"Town{n}")))
        for n in range(3)
    ]
    neighbours = [
        env.a("addSubscription", subscription(theirs, EndUser=end_user(FirstName=f"Neighbour{n}"))) for n in range(2)
    ]
    return Household(mine, theirs, subscriptions, neighbours)


def subscriptions_of(session: Session, references: list[str]) -> list[dict[str, object]]:
    return [session("getSubscription", reference) for reference in references]


def test_update_pushes_the_13_end_user_fields_to_the_customers_subscriptions(env: Env, household: Household) -> None:
    mine_before = subscriptions_of(env.a, household.subscriptions)
    theirs_before = subscriptions_of(env.a, household.neighbour_subscriptions)
    changes = {"FirstName": "Augusta", "Email": "augusta@example.com", "CountryCode": "IE", "Language": "GA"}
    assert update(env.a, household.customer, True, Phone=None, **changes) is True

    view = get_customer(env.a, household.customer)
    assert (view["FirstName"], view["CountryCode"], view["Language"], view["Phone"]) == ("Augusta", "ie", "ga", None)
    expected_end_user = {name: view[name] for name in END_USER_FIELDS}
    assert len(END_USER_FIELDS) == 13
    assert expected_end_user == {
        "FirstName": "Augusta",
        "LastName": "Lovelace",
        "Email": "augusta@example.com",
        "Company": "Analytical Engines Ltd",
        "Phone": None,
        "Fax": "+44 9",
        "Address1": "12 St James's Square",
        "Address2": "Flat 1",
        "Zip": "SW1Y 4JH",
        "City": "London",
        "State": "Middlesex",
        "CountryCode": "ie",
        "Language": "ga",
    }
    mine_after = subscriptions_of(env.a, household.subscriptions)
    assert mine_after == [{**before, "EndUser": expected_end_user} for before in mine_before]
    assert subscriptions_of(env.a, household.neighbour_subscriptions) == theirs_before
    assert get_customer(env.a, household.neighbour)["FirstName"] == "Mary"


@pytest.mark.parametrize("push", [False, None, "omitted"])
def test_update_without_push_leaves_end_users_alone(env: Env, household: Household, push: object) -> None:
    all_subscriptions = household.subscriptions + household.neighbour_subscriptions
    before = subscriptions_of(env.a, all_subscriptions)
    customer_before = get_customer(env.a, household.customer)
    args: tuple[object, ...] = ({"AvangateCustomerReference": household.customer, "FirstName": "Augusta"},)
    if push != "omitted":
        args += (push,)
    assert env.a("updateCustomerInformation", *args) is True
    assert get_customer(env.a, household.customer) == {**customer_before, "FirstName": "Augusta"}
    assert subscriptions_of(env.a, all_subscriptions) == before


def test_failing_update_with_push_changes_neither_customer_nor_subscriptions(env: Env, household: Household) -> None:
    before = env.dump()
    error = error_of(
        env.a,
        "updateCustomerInformation",
        {"AvangateCustomerReference": household.customer, "FirstName": "Augusta", "Email": "broken@"},
        True,
    )
    assert error.code == "INVALID_EMAIL"
    assert env.dump() == before


def test_update_with_push_is_atomic_when_the_push_fails(
    env: Env, household: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the customer row is written rolls that write back too."""
    before = env.dump()
    real_set_end_user = env.store.set_end_user

    def set_end_user_then_fail(*args: object, **kwargs: object) -> int:
        real_set_end_user(*args, **kwargs)
        raise ApiError("INTERNAL_ERROR")

    monkeypatch.setattr(env.store, "set_end_user", set_end_user_then_fail)
    error = error_of(update, env.a, household.customer, True, FirstName="Augusta")
    assert error.code == "INTERNAL_ERROR"
    assert env.dump() == before


# --- subscriptions --------------------------------------------------------------------


def test_add_subscription_returns_ten_upper_hex_and_fills_defaults(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-1")
    sent = subscription(
        owner,
        ExternalSubscriptionReference="IMPORT-1",
        EndUser=end_user(CountryCode="RO", Language="RO", Email="eu@example.ro"),
    )
    reference = env.a("addSubscription", sent)
    assert isinstance(reference, str) and re.fullmatch(r"[0-9A-F]{10}", reference)
    assert env.a("getSubscription", reference) == {
        "SubscriptionReference": reference,
        "StartDate": "2026-01-01",
        "ExpirationDate": "2027-01-01",
        "ActivationDate": None,
        "RecurringEnabled": False,
        "SubscriptionEnabled": True,
        "SKU": "",
        "DeliveryInfo": {
            "Description": "",
            "Codes": [{"Code": None, "File": None, "Description": "", "ExtraInfo": None}],
        },
        "ReceiveNotifications": True,
        "Lifetime": False,
        "PartnerCode": "",
        "TestSubscription": False,
        "IsTrial": False,
        "ExternalSubscriptionReference": "IMPORT-1",
        "NextRenewalPrice": None,
        "NextRenewalPriceCurrency": None,
        "SubscriptionValue": None,
        "SubscriptionValueCurrency": None,
        "CustomPriceBillingCyclesLeft": None,
        "Product": {
            "ProductCode": "PROD-1",
            "ProductId": None,
            "ProductName": "Engine",
            "ProductVersion": "1.0",
            "ProductQuantity": 1,
            "PriceOptionCodes": None,
        },
        "EndUser": end_user(CountryCode="ro", Language="ro", Email="eu@example.ro"),
        "AvangateCustomerReference": owner,
        "ExternalCustomerReference": "EXT-1",
    }


def test_add_subscription_keeps_given_flags_and_product(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a(
        "addSubscription",
        subscription(
            owner,
            RecurringEnabled=True,
            SubscriptionEnabled=False,
            ReceiveNotifications=False,
            Lifetime=True,
            TestSubscription=True,
            IsTrial=True,
            SKU="SKU-9",
            PartnerCode="PARTNER",
            Product={"ProductCode": "P2", "ProductId": 4586004, "ProductQuantity": 7, "PriceOptionCodes": ["A", "b"]},
        ),
    )
    got = env.a("getSubscription", reference)
    flags = (
        "RecurringEnabled", "SubscriptionEnabled", "ReceiveNotifications", "Lifetime", "TestSubscription", "IsTrial"
    )  # fmt: skip
    assert [got[name] for name in flags] == [True, False, False, True, True, True]
    assert (got["SKU"], got["PartnerCode"]) == ("SKU-9", "PARTNER")
    assert got["Product"] == {
        "ProductCode": "P2",
        "ProductId": 4586004,
        "ProductName": None,
        "ProductVersion": None,
        "ProductQuantity": 7,
        "PriceOptionCodes": ["A", "b"],
    }


def test_add_subscription_by_external_customer_reference(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-OWNER")
    reference = env.a("addSubscription", subscription(None, "EXT-OWNER"))
    assert env.a("getSubscription", reference)["AvangateCustomerReference"] == owner


def test_add_subscription_for_a_missing_internal_reference_fails(env: Env) -> None:
    new_customer(env.a, ExternalCustomerReference="EXT-1")
    before = env.dump()
    assert error_of(env.a, "addSubscription", subscription(MISSING_CUSTOMER)).code == "CUSTOMER_NOT_FOUND"
    mismatch = subscription(MISSING_CUSTOMER, "EXT-1")
    assert error_of(env.a, "addSubscription", mismatch).code == "CUSTOMER_NOT_FOUND"
    assert env.dump() == before


@pytest.mark.parametrize("external", [None, "EXT-NEW"])
def test_add_subscription_naming_no_customer_makes_one_from_the_end_user(env: Env, external: str | None) -> None:
    """2Checkout's SOAP sample names no customer; its output shows a new one (and "Import customer IDs")."""
    sent = subscription(None, external, EndUser=end_user(Email="eu@example.ro", CountryCode="RO", Language="ro"))
    reference = env.a("addSubscription", sent)
    got = env.a("getSubscription", reference)
    owner = got["AvangateCustomerReference"]
    assert isinstance(owner, int) and got["ExternalCustomerReference"] == external
    customer = get_customer(env.a, owner)
    person = {name: customer[name] for name in END_USER_FIELDS}
    assert person == {**end_user(Email="eu@example.ro", CountryCode="ro", Language="ro")}
    assert customer["ExternalCustomerReference"] == external and customer["Enabled"] is True
    again = env.a("addSubscription", subscription(None, external, ExternalSubscriptionReference="IMPORT-2"))
    second_owner = env.a("getSubscription", again)["AvangateCustomerReference"]
    assert (second_owner == owner) is (external is not None)  # a known external reference names its customer


def test_add_subscription_end_user_without_address_makes_a_customer_with_empty_address(env: Env) -> None:
    sent = subscription(None, None, EndUser=without(without(end_user(), "Address1"), "Zip"))
    owner = env.a("getSubscription", env.a("addSubscription", sent))["AvangateCustomerReference"]
    assert (get_customer(env.a, owner)["Address1"], get_customer(env.a, owner)["Zip"]) == ("", "")


@pytest.mark.parametrize(
    "field", ["ExternalSubscriptionReference", "StartDate", "ExpirationDate", "Product", "EndUser"]
)
def test_add_subscription_requires_field(env: Env, field: str) -> None:
    owner = new_customer(env.a)
    for record in (without(subscription(owner), field), subscription(owner, **{field: None})):
        error = error_of(env.a, "addSubscription", record)
        assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", field)
    assert env.dump()["subscriptions"] == []


def test_add_subscription_requires_product_code_or_id(env: Env) -> None:
    owner = new_customer(env.a)
    for product in ({"ProductName": "Engine"}, {"ProductCode": " "}, {"ProductCode": "", "ProductId": None}):
        error = error_of(env.a, "addSubscription", subscription(owner, Product=product))
        assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "Product.ProductId")


def test_add_subscription_by_product_id_takes_the_code_an_earlier_import_gave_it(env: Env) -> None:
    owner = new_customer(env.a)
    by_id = env.a("addSubscription", subscription(owner, Product={"ProductId": 4586004, "ProductCode": ""}))
    assert env.a("getSubscription", by_id)["Product"]["ProductCode"] is None
    env.a(
        "addSubscription",
        subscription(
            owner,
            ExternalSubscriptionReference="I-2",
            Product={"ProductId": 4586004, "ProductCode": "prod_many_options"},
        ),
    )
    later = env.a(
        "addSubscription", subscription(owner, ExternalSubscriptionReference="I-3", Product={"ProductId": 4586004})
    )
    assert env.a("getSubscription", later)["Product"]["ProductCode"] == "prod_many_options"


def test_add_subscription_keeps_the_documented_extra_fields(env: Env) -> None:
    owner = new_customer(env.a)
    extra = {
        "ActivationDate": "2026-01-02",
        "DeliveryInfo": {"Codes": [{"Code": "___TEST___CODE____"}]},
        "NextRenewalPrice": 49.99,
        "NextRenewalPriceCurrency": "usd",
        "SubscriptionValue": 199.0,
        "SubscriptionValueCurrency": "USD",
        "CustomPriceBillingCyclesLeft": 2,
    }
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, **extra)))
    assert {name: got[name] for name in extra} == {
        **extra,
        "DeliveryInfo": {
            "Description": None,
            "Codes": [{"Code": "___TEST___CODE____", "File": None, "Description": None, "ExtraInfo": None}],
        },
        "NextRenewalPriceCurrency": "USD",
    }


@pytest.mark.parametrize("test", [1, None])
def test_add_subscription_test_flag_marks_a_test_subscription(env: Env, test: int | None) -> None:
    owner = new_customer(env.a)
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, Test=test)))
    assert got["TestSubscription"] is (test == 1)


def test_add_subscription_accepts_an_empty_end_user_email(env: Env) -> None:
    """2Checkout's own import sample sends EndUser.Email = '' (verifone.cloud/node?page=73)."""
    owner = new_customer(env.a)
    got = env.a("getSubscription", env.a("addSubscription", subscription(owner, EndUser=end_user(Email=""))))
    assert got["EndUser"]["Email"] == ""


@pytest.mark.parametrize("field", ["FirstName", "LastName", "City", "CountryCode"])
def test_add_subscription_requires_end_user_field(env: Env, field: str) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=without(end_user(), field)))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", f"EndUser.{field}")


def test_add_subscription_checks_end_user_values(env: Env) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=end_user(Email="nope")))
    assert (error.code, error.details["field"]) == ("INVALID_EMAIL", "EndUser.Email")
    error = error_of(env.a, "addSubscription", subscription(owner, EndUser=end_user(CountryCode="zz")))
    assert (error.code, error.details["field"]) == ("INVALID_COUNTRY_CODE", "EndUser.CountryCode")


@pytest.mark.parametrize("quantity", [0, -1, 100000])
def test_add_subscription_checks_quantity(env: Env, quantity: int) -> None:
    owner = new_customer(env.a)
    product = {"ProductCode": "P", "ProductQuantity": quantity}
    error = error_of(env.a, "addSubscription", subscription(owner, Product=product))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Product.ProductQuantity")


def test_duplicate_external_subscription_reference(env: Env) -> None:
    owner = new_customer(env.a)
    other = new_customer(env.a)
    env.a("addSubscription", subscription(owner, ExternalSubscriptionReference="IMPORT-1"))
    error = error_of(env.a, "addSubscription", subscription(other, ExternalSubscriptionReference="IMPORT-1"))
    assert error.code == "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE"
    assert len(env.dump()["subscriptions"]) == 1


@pytest.mark.parametrize(
    ("start", "expiration", "field"),
    [
        ("2026/01/01", "2027-01-01", "StartDate"),
        ("2026-02-30", "2027-01-01", "StartDate"),
        ("26-01-01", "2027-01-01", "StartDate"),
        ("2026-01-01", "2027-13-01", "ExpirationDate"),
        ("2026-01-01", "2027-01-01T00:00:00", "ExpirationDate"),
        ("2026-01-01", "2025-12-31", "ExpirationDate"),
    ],
)
def test_add_subscription_rejects_bad_dates(env: Env, start: str, expiration: str, field: str) -> None:
    owner = new_customer(env.a)
    error = error_of(env.a, "addSubscription", subscription(owner, StartDate=start, ExpirationDate=expiration))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", field)
    assert env.dump()["subscriptions"] == []


def test_get_customer_subscriptions(env: Env) -> None:
    owner = new_customer(env.a, ExternalCustomerReference="EXT-1")
    other = new_customer(env.a)
    late = env.a("addSubscription", subscription(owner, StartDate="2026-03-01"))
    early = env.a("addSubscription", subscription(owner, StartDate="2025-03-01"))
    env.a("addSubscription", subscription(other))
    listed = env.a("getCustomerSubscriptions", owner, None)
    assert [item["SubscriptionReference"] for item in listed] == [early, late]
    assert listed == [env.a("getSubscription", early), env.a("getSubscription", late)]
    assert env.a("getCustomerSubscriptions", None, "EXT-1") == listed
    assert env.a("getCustomerSubscriptions", owner, "EXT-1") == listed
    assert env.a("getCustomerSubscriptions", new_customer(env.a)) == []
    assert error_of(env.a, "getCustomerSubscriptions", None, None).code == "CUSTOMER_REFERENCE_REQUIRED"
    assert error_of(env.a, "getCustomerSubscriptions", MISSING_CUSTOMER).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "getCustomerSubscriptions", other, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"


def test_update_subscription_end_user_partially(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    before = env.a("getSubscription", reference)
    customer_before = get_customer(env.a, owner)
    assert env.a("updateSubscriptionEndUser", reference, {"City": "Lyon", "CountryCode": "FR", "Fax": None}) is True
    after = env.a("getSubscription", reference)
    assert after == {**before, "EndUser": {**before["EndUser"], "City": "Lyon", "CountryCode": "fr", "Fax": None}}
    assert get_customer(env.a, owner) == customer_before  # the customer's own details are untouched


def test_update_subscription_end_user_validates_and_changes_nothing_on_failure(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    before = env.dump()
    error = error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon", "Email": "broken"})
    assert (error.code, error.details["field"]) == ("INVALID_EMAIL", "EndUser.Email")
    error = error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon", "LastName": ""})
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "EndUser.LastName")
    assert env.dump() == before


def test_set_subscription_customer_moves_it(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a, ExternalCustomerReference="EXT-2")
    moving = env.a("addSubscription", subscription(first))
    staying = env.a("addSubscription", subscription(first))
    before = env.a("getSubscription", moving)
    assert env.a("setSubscriptionCustomer", moving, second, None) is True
    moved = {**before, "AvangateCustomerReference": second, "ExternalCustomerReference": "EXT-2"}
    assert env.a("getSubscription", moving) == moved
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", first)] == [staying]
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", second)] == [moving]
    assert env.a("setSubscriptionCustomer", moving, None, "EXT-2") is True  # by external reference: no change
    assert env.a("setSubscriptionCustomer", staying, 0, "EXT-2") is True
    assert [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", first)] == []
    moved_both = [s["SubscriptionReference"] for s in env.a("getCustomerSubscriptions", second)]
    assert sorted(moved_both) == sorted([moving, staying])


def test_set_subscription_customer_errors(env: Env) -> None:
    first = new_customer(env.a, ExternalCustomerReference="EXT-1")
    reference = env.a("addSubscription", subscription(first))
    second = new_customer(env.a)
    before = env.dump()
    assert error_of(env.a, "setSubscriptionCustomer", "0000000000", second).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, MISSING_CUSTOMER).code == "CUSTOMER_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, None, None).code == "CUSTOMER_REFERENCE_REQUIRED"
    assert error_of(env.a, "setSubscriptionCustomer", reference, second, "EXT-1").code == "CUSTOMER_REFERENCE_MISMATCH"
    assert env.dump() == before


@pytest.mark.parametrize("reference", ["0000000000", "", "F" * 101, "nope"])
def test_unknown_subscription(env: Env, reference: str) -> None:
    owner = new_customer(env.a)
    existing = env.a("addSubscription", subscription(owner))
    assert reference != existing
    assert error_of(env.a, "getSubscription", reference).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "updateSubscriptionEndUser", reference, {"City": "Lyon"}).code == "SUBSCRIPTION_NOT_FOUND"
    assert error_of(env.a, "setSubscriptionCustomer", reference, owner).code == "SUBSCRIPTION_NOT_FOUND"


def test_subscription_reference_is_case_sensitive(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner))
    if reference.lower() == reference:  # all digits: nothing to test
        return
    assert error_of(env.a, "getSubscription", reference.lower()).code == "SUBSCRIPTION_NOT_FOUND"


# --- Enabled / Trial ------------------------------------------------------------------

ACTIVE = {"ExpirationDate": "2027-01-01"}
EXPIRED = {"ExpirationDate": "2026-05-31"}
ACTIVE_TRIAL = {"ExpirationDate": "2026-07-01", "IsTrial": True}
EXPIRED_TRIAL = {"ExpirationDate": "2026-05-31", "IsTrial": True}
DISABLED = {"ExpirationDate": "2027-01-01", "SubscriptionEnabled": False}
DISABLED_TRIAL = {"ExpirationDate": "2027-01-01", "SubscriptionEnabled": False, "IsTrial": True}
LIFETIME_EXPIRED = {"ExpirationDate": "2020-01-01", "Lifetime": True}
EXPIRES_TODAY = {"ExpirationDate": TODAY}


@pytest.mark.parametrize(
    ("subscriptions", "enabled", "trial"),
    [
        ([], False, False),
        ([ACTIVE], True, False),
        ([ACTIVE_TRIAL], True, True),
        ([ACTIVE_TRIAL, ACTIVE_TRIAL], True, True),
        ([ACTIVE, ACTIVE_TRIAL], True, False),
        ([EXPIRED, ACTIVE_TRIAL], True, True),
        ([DISABLED, ACTIVE_TRIAL], True, True),
        ([EXPIRED], False, False),
        ([EXPIRED_TRIAL], False, False),
        ([DISABLED], False, False),
        ([DISABLED_TRIAL], False, False),
        ([EXPIRED, DISABLED, EXPIRED_TRIAL], False, False),
        ([LIFETIME_EXPIRED], True, False),
        ([EXPIRED, LIFETIME_EXPIRED, ACTIVE_TRIAL], True, False),
        ([EXPIRES_TODAY], True, False),
    ],
)
def test_enabled_and_trial_are_derived_from_subscriptions(
    env: Env, subscriptions: list[dict[str, object]], enabled: bool, trial: bool
) -> None:
    owner = new_customer(env.a)
    for fields in subscriptions:
        env.a("addSubscription", subscription(owner, StartDate="2019-01-01", **fields))
    view = get_customer(env.a, owner)
    assert (view["Enabled"], view["Trial"]) == (enabled, trial)


def test_enabled_follows_the_clock(env: Env) -> None:
    owner = new_customer(env.a)
    env.a("addSubscription", subscription(owner, **EXPIRES_TODAY))
    caller = env.a.caller
    assert env.service.get_customer(caller, owner, None)["Enabled"] is True
    env.clock.advance(86400)  # 2026-06-02: the subscription has expired (the session too, hence the direct Caller)
    assert env.service.get_customer(caller, owner, None)["Enabled"] is False


def test_enabled_follows_a_moved_subscription(env: Env) -> None:
    first = new_customer(env.a)
    second = new_customer(env.a)
    reference = env.a("addSubscription", subscription(first, **ACTIVE))
    assert (get_customer(env.a, first)["Enabled"], get_customer(env.a, second)["Enabled"]) == (True, False)
    env.a("setSubscriptionCustomer", reference, second)
    assert (get_customer(env.a, first)["Enabled"], get_customer(env.a, second)["Enabled"]) == (False, True)


def test_enabled_status_ignores_another_merchants_subscriptions(env: Env) -> None:
    in_a = new_customer(env.a)
    in_b = new_customer(env.b)
    env.b("addSubscription", subscription(in_b, **ACTIVE))
    assert get_customer(env.a, in_a)["Enabled"] is False
    assert get_customer(env.b, in_b)["Enabled"] is True


# --- merchant isolation ---------------------------------------------------------------


@dataclass
class Neighbours:
    customer: int  # A's
    subscription: str  # A's
    b_customer: int
    b_subscription: str


@pytest.fixture
def neighbours(env: Env) -> Neighbours:
    a_customer = new_customer(env.a, ExternalCustomerReference="EXT-A")
    a_subscription = env.a("addSubscription", subscription(a_customer, ExternalSubscriptionReference="SUB-A"))
    b_customer = new_customer(env.b, ExternalCustomerReference="EXT-B")
    b_subscription = env.b("addSubscription", subscription(b_customer, ExternalSubscriptionReference="SUB-B"))
    return Neighbours(a_customer, a_subscription, b_customer, b_subscription)


MISSING_SUBSCRIPTION = "FFFFFFFFFF"

# (operation, arguments naming A's objects, the same arguments naming nothing, the expected code);
# arguments are functions of the Neighbours so that references are filled in per test.
ISOLATION_CASES = {
    "get customer by internal": (
        "getCustomerInformation",
        lambda n: (n.customer, None),
        lambda n: (MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "get customer by external": (
        "getCustomerInformation",
        lambda n: (None, "EXT-A"),
        lambda n: (None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "get customer by both": (
        "getCustomerInformation",
        lambda n: (n.customer, "EXT-A"),
        lambda n: (MISSING_CUSTOMER, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by internal": (
        "updateCustomerInformation",
        lambda n: ({"AvangateCustomerReference": n.customer, "FirstName": "Mallory"}, True),
        lambda n: ({"AvangateCustomerReference": MISSING_CUSTOMER, "FirstName": "Mallory"}, True),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by external": (
        "updateCustomerInformation",
        lambda n: ({"ExternalCustomerReference": "EXT-A", "FirstName": "Mallory"}, True),
        lambda n: ({"ExternalCustomerReference": "EXT-NONE", "FirstName": "Mallory"}, True),
        "CUSTOMER_NOT_FOUND",
    ),
    "update customer by both": (
        "updateCustomerInformation",
        lambda n: ({"AvangateCustomerReference": n.customer, "ExternalCustomerReference": "EXT-A"},),
        lambda n: ({"AvangateCustomerReference": MISSING_CUSTOMER, "ExternalCustomerReference": "EXT-NONE"},),
        "CUSTOMER_NOT_FOUND",
    ),
    "customer subscriptions by internal": (
        "getCustomerSubscriptions",
        lambda n: (n.customer, None),
        lambda n: (MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "customer subscriptions by external": (
        "getCustomerSubscriptions",
        lambda n: (None, "EXT-A"),
        lambda n: (None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
    "add subscription to internal": (
        "addSubscription",
        lambda n: (subscription(n.customer, ExternalSubscriptionReference="SUB-X"),),
        lambda n: (subscription(MISSING_CUSTOMER, ExternalSubscriptionReference="SUB-X"),),
        "CUSTOMER_NOT_FOUND",
    ),
    # The operations that take the subscription's reference alone.
    **{
        f"{operation} A's subscription": (
            operation,
            lambda n: (n.subscription,),
            lambda n: (MISSING_SUBSCRIPTION,),
            "SUBSCRIPTION_NOT_FOUND",
        )
        for operation in ("getSubscription", "cancelSubscription", "enableSubscription")
    },
    "update subscription end user": (
        "updateSubscriptionEndUser",
        lambda n: (n.subscription, {"FirstName": "Mallory"}),
        lambda n: (MISSING_SUBSCRIPTION, {"FirstName": "Mallory"}),
        "SUBSCRIPTION_NOT_FOUND",
    ),
    "take A's subscription": (
        "setSubscriptionCustomer",
        lambda n: (n.subscription, n.b_customer, None),
        lambda n: (MISSING_SUBSCRIPTION, n.b_customer, None),
        "SUBSCRIPTION_NOT_FOUND",
    ),
    "give to A's customer by internal": (
        "setSubscriptionCustomer",
        lambda n: (n.b_subscription, n.customer, None),
        lambda n: (n.b_subscription, MISSING_CUSTOMER, None),
        "CUSTOMER_NOT_FOUND",
    ),
    "give to A's customer by external": (
        "setSubscriptionCustomer",
        lambda n: (n.b_subscription, None, "EXT-A"),
        lambda n: (n.b_subscription, None, "EXT-NONE"),
        "CUSTOMER_NOT_FOUND",
    ),
}


def test_an_import_naming_another_merchants_external_reference_makes_a_customer_of_its_own(
    env: Env, neighbours: Neighbours
) -> None:
    a_customer_before = get_customer(env.a, neighbours.customer)
    imported = env.b("addSubscription", subscription(None, "EXT-A", ExternalSubscriptionReference="SUB-X"))
    owner = env.b("getSubscription", imported)["AvangateCustomerReference"]
    assert owner != neighbours.customer and get_customer(env.b, owner)["ExternalCustomerReference"] == "EXT-A"
    assert get_customer(env.a, neighbours.customer) == a_customer_before


@pytest.mark.parametrize("case", sorted(ISOLATION_CASES))
def test_another_merchants_references_look_nonexistent(env: Env, neighbours: Neighbours, case: str) -> None:
    operation, foreign, missing, code = ISOLATION_CASES[case]
    assert MISSING_CUSTOMER not in (neighbours.customer, neighbours.b_customer)
    a_customer_before = get_customer(env.a, neighbours.customer)
    a_subscriptions_before = env.a("getCustomerSubscriptions", neighbours.customer)
    rows_before = env.dump()

    foreign_error = error_of(env.b, operation, *foreign(neighbours))
    missing_error = error_of(env.b, operation, *missing(neighbours))

    assert foreign_error.code == missing_error.code == code
    assert get_customer(env.a, neighbours.customer) == a_customer_before
    assert env.a("getCustomerSubscriptions", neighbours.customer) == a_subscriptions_before
    assert env.dump() == rows_before


def test_external_subscription_references_are_per_merchant(env: Env, neighbours: Neighbours) -> None:
    # B may reuse A's ExternalSubscriptionReference: a duplicate error would reveal A's data.
    reference = env.b("addSubscription", subscription(neighbours.b_customer, ExternalSubscriptionReference="SUB-A"))
    assert env.b("getSubscription", reference)["ExternalSubscriptionReference"] == "SUB-A"
    assert env.a("getSubscription", neighbours.subscription)["ExternalSubscriptionReference"] == "SUB-A"


def test_push_to_end_users_stays_within_the_merchant(env: Env, neighbours: Neighbours) -> None:
    b_before = env.b("getSubscription", neighbours.b_subscription)
    update(env.a, neighbours.customer, True, FirstName="Augusta")
    assert env.a("getSubscription", neighbours.subscription)["EndUser"]["FirstName"] == "Augusta"
    assert env.b("getSubscription", neighbours.b_subscription) == b_before


# --- check_arity ----------------------------------------------------------------------


def test_check_arity_pads_optional_parameters() -> None:
    assert check_arity(lookup("4.0", "getCustomerInformation"), ["sid", 5]) == ["sid", 5, None]
    assert check_arity(lookup("4.0", "login"), ["CODE", LOGIN_DATE, "hash"]) == ["CODE", LOGIN_DATE, "hash", None]


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("createCustomer", ["sid", {}, "extra"]),
        ("getCustomerInformation", ["sid", 1, "EXT", True]),
        ("getSubscription", ["sid", "REF", "extra"]),
        ("login", ["CODE", LOGIN_DATE, "hash", "md5", "extra"]),
    ],
)
def test_check_arity_rejects_too_many_arguments(operation: str, args: list[object]) -> None:
    error = error_of(check_arity, lookup("4.0", operation), args)
    assert error.code == "INVALID_PARAMETERS"
    assert error.details["operation"] == operation


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("createCustomer", ["sid"]),
        ("createCustomer", ["sid", None]),
        ("createCustomer", []),
        ("getCustomerInformation", []),
        ("getSubscription", ["sid"]),
        ("updateSubscriptionEndUser", ["sid", "REF"]),
        ("setSubscriptionCustomer", ["sid"]),
        ("login", ["CODE", LOGIN_DATE]),
        ("login", [None, LOGIN_DATE, "hash"]),
    ],
)
def test_check_arity_rejects_missing_required_arguments(operation: str, args: list[object]) -> None:
    error = error_of(check_arity, lookup("4.0", operation), args)
    assert error.code == "INVALID_PARAMETERS"
    assert error.details["operation"] == operation


def test_call_checks_arity_before_anything_else(env: Env) -> None:
    create = lookup("4.0", "createCustomer")
    assert error_of(env.service.call, create, [env.a.id, customer(), True], "test", "4.0").code == "INVALID_PARAMETERS"
    assert error_of(env.service.call, create, [env.a.id], "test", "4.0").code == "INVALID_PARAMETERS"
    # even with a bad session, the arity is what is wrong
    assert error_of(env.service.call, create, ["garbage", customer(), 1], "test", "4.0").code == "INVALID_PARAMETERS"
    assert env.dump()["customers"] == []


def test_unknown_operation_name_is_case_sensitive() -> None:
    assert lookup("4.0", "createCustomer").handler == "create_customer"
    assert error_of(lookup, "4.0", "CreateCustomer").code == "UNKNOWN_OPERATION"
    assert error_of(lookup, "2.0", "createCustomer").code == "UNKNOWN_OPERATION"  # no such version
