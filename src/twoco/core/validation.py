"""Field rules every domain shares: texts, references, people's fields, dates, amounts, currencies.

Each check raises an ApiError naming the field; normalisers return the value as stored
(country and language codes lower-case, as 2Checkout returns them). A domain's own rules (a
customer's required fields, an import's) are in its ``rules`` module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from twoco.core.errors import ApiError
from twoco.core.iso_codes import COUNTRY_CODES, LANGUAGE_CODES

MAX_TEXT = 255  # not documented by 2Checkout: twoco's limit for every text field
MAX_REFERENCE = 100  # the limit 2Checkout documents for order external references
MAX_EMAIL = 254  # RFC 5321 path limit
_SMALLEST_LIMIT = min(MAX_TEXT, MAX_REFERENCE, MAX_EMAIL)

# Pattern texts are shared with the OpenAPI document, which states the same rules.
EMAIL_PATTERN = r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+"
# Refused in text, on every protocol alike: the C0 controls but TAB, LF and CR (multi-line
# addresses; XML 1.0 carries those three), DEL, the C1 controls U+0080-U+009F (U+0085 is a line
# break to some parsers, U+009B a terminal escape), and what XML cannot carry (surrogates, U+FFFE, U+FFFF).
_C0 = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_NOT_CHARACTERS = r"\ud800-\udfff\ufffe\uffff"
NOT_XML = _C0 + _NOT_CHARACTERS  # what XML 1.0 cannot carry at all
CONTROL_CHARACTERS = _C0 + r"\x7f-\x9f" + _NOT_CHARACTERS
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
CURRENCY_PATTERN = r"[A-Za-z]{3}"
MAX_AMOUNT = 1e15
MERCHANT_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")

_EMAIL = re.compile(EMAIL_PATTERN)
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_ISO_DATE = re.compile(DATE_PATTERN)
_CURRENCY = re.compile(CURRENCY_PATTERN)


def ascii_integer(text: str, max_digits: int) -> int | None:
    """``text`` as an integer when it is 1 to ``max_digits`` ASCII digits, else None. (``str.isdigit``
    alone accepts "²" and other digits ``int`` refuses.)"""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def internal_reference(text: str) -> int | None:
    """The AvangateCustomerReference ``text`` can be (1 to 9 ASCII digits), or None: then it can only
    be an ExternalCustomerReference. The one rule for REST paths, single sign-on, the CLI, the dashboard."""
    return ascii_integer(text, 9)


def clean_text(text: str) -> bool:
    """Whether ``text`` holds none of the CONTROL_CHARACTERS: every protocol can carry it."""
    return not _CONTROL.search(text)


def check_text(field: str, value: object, limit: int = MAX_TEXT) -> None:
    if isinstance(value, str):
        if len(value) > limit:
            raise ApiError("FIELD_TOO_LONG", field=field, limit=limit)
        if not clean_text(value):
            raise ApiError("INVALID_FIELD_VALUE", field=field, reason="control characters are not allowed")


def require(prefix: str, record: Mapping[str, object], names: Iterable[str]) -> None:
    for name in names:
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ApiError("MISSING_REQUIRED_FIELD", field=prefix + name)


def text_limit(name: str) -> int:
    return MAX_EMAIL if name == "Email" else MAX_REFERENCE if name.startswith("External") else MAX_TEXT


def normalise_person(prefix: str, record: dict[str, object], required: Iterable[str]) -> None:
    """Check and normalise, in place, the fields customers and end users share."""
    # One search over all the text finds no control character in the usual case; then only a
    # text longer than the smallest limit needs its own check (the same errors, in the same order).
    clean = not _CONTROL.search("".join(value for value in record.values() if isinstance(value, str)))
    for name, value in record.items():
        if isinstance(value, str) and not (clean and len(value) <= _SMALLEST_LIMIT):
            check_text(prefix + name, value, text_limit(name))
    require(prefix, record, required)
    country = record.get("CountryCode")
    if isinstance(country, str):
        record["CountryCode"] = country = country.lower()
        if country not in COUNTRY_CODES:
            raise ApiError("INVALID_COUNTRY_CODE", field=prefix + "CountryCode", value=country)
    language = record.get("Language")
    if isinstance(language, str) and language:
        record["Language"] = language = language.lower()
        if language not in LANGUAGE_CODES:
            raise ApiError("INVALID_LANGUAGE", field=prefix + "Language", value=language)
    email = record.get("Email")
    if isinstance(email, str) and (email or "Email" in required):
        if not _EMAIL.fullmatch(email):
            raise ApiError("INVALID_EMAIL", field=prefix + "Email", value=email)


def normalise_amount(field: str, amount: object) -> None:
    if isinstance(amount, float) and not 0 <= amount <= MAX_AMOUNT:
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason="must be between 0 and 10^15")


def normalise_currency(field: str, currency: object) -> str | None:
    """A currency code as stored: upper-case ISO 4217 (clients send "usd" and "USD" alike)."""
    if not isinstance(currency, str) or not currency:
        return None
    if not _CURRENCY.fullmatch(currency):
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason="must be an ISO 4217 code like EUR")
    return currency.upper()


def parse_date(field: str, value: object) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason="expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError("INVALID_FIELD_VALUE", field=field, reason=f"{value!r} is not a calendar date") from None
