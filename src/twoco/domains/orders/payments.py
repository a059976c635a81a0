"""How the sandbox takes an order's payment: the payment types, the sandbox cards and what each
does, and the PaymentMethod an answer shows (a card's first and last digits, never its number).

Nothing is charged anywhere. ``TEST`` is 2Checkout's test payment: 4111111111111111, and any
other valid card number, is authorised; the cards of ``SANDBOX_CARDS`` decline, ask for 3-D
Secure or stay pending. ``CC`` is a live card payment, as at 2Checkout: the test cards (those of
``TEST_CARDS`` and ``SANDBOX_CARDS``) are declined with 2Checkout's recorded CARD_PAYMENT_ERROR,
which is what 2Checkout's PHP SDK tests expect of them, and any other valid number is
authorised as a live order. A 2Pay.js token (``EES_TOKEN_PAYMENT``, or ``TEST`` with an
``EesToken``) is any text; one that is a sandbox card's number does what that card does.
``PAYPAL`` waits for the shopper at a page twoco serves. docs/orders.md, "Payments", says it all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.validation import check_text, require

TEST, CC, TOKEN, PAYPAL, PAYPAL_EXPRESS, FREE, PREVIOUS_ORDER = (
    "TEST", "CC", "EES_TOKEN_PAYMENT", "PAYPAL", "PAYPAL_EXPRESS", "FREE", "PREVIOUS_ORDER",
)  # fmt: skip
PAYMENT_TYPES = (TEST, CC, TOKEN, PAYPAL, PAYPAL_EXPRESS, FREE, PREVIOUS_ORDER)
CARD_REQUIRED = ("CardNumber", "ExpirationMonth", "ExpirationYear", "HolderName", "CCID")

# 2Checkout's answer to a card it did not take (avangate-php-soap-code-samples, place-order-CreditCard.php).
CARD_PAYMENT_ERROR = "Couldn't complete the payment validation process"
THREE_D_SECURE_FAILED = "The 3-D Secure authentication failed"

# What a sandbox card does under TEST (and as a token): any other valid number is authorised.
DECLINED, THREE_D_SECURE, PENDING = "declined", "3ds", "pending"
SANDBOX_CARDS = {
    "4000000000000002": DECLINED,
    "5105105105105100": DECLINED,  # the MasterCard 2Checkout's retry sample sees declined
    "4000000000003220": THREE_D_SECURE,
    "5200000000003220": THREE_D_SECURE,
    "4000000000000077": PENDING,
}
# Test numbers every public client uses: authorised under TEST, declined as live (CC) payments.
TEST_CARDS = ("4111111111111111", "5555555555554444", "4012888888881881", "378282246310005", "6011111111111117")

_CARD_TYPES = (
    (re.compile(r"4"), "Visa"),
    (re.compile(r"5[1-5]|2[2-7]"), "MasterCard"),
    (re.compile(r"3[47]"), "Amex"),
    (re.compile(r"6011|65"), "Discover"),
    (re.compile(r"35"), "JCB"),
)


@dataclass
class Payment:
    """What taking an order's payment came to."""

    status: str  # AUTHRECEIVED: authorised; PENDING: not (yet)
    test: bool  # a test order (TestOrder)
    method: dict[str, Any] = field(default_factory=dict)  # the PaymentMethod answered
    error: str | None = None  # the CARD_PAYMENT_ERROR text of a payment not taken
    three_d_secure: bool = False  # waits for the shopper's 3-D Secure authentication
    redirect: bool = False  # waits for the shopper at PayPal's (the sandbox's) page


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def card_type(number: str) -> str:
    return next((name for pattern, name in _CARD_TYPES if pattern.match(number)), "Visa")


def payment_type(details: Mapping[str, Any] | None) -> str:
    if not details:
        raise ApiError("MISSING_REQUIRED_FIELD", field="PaymentDetails")
    require("PaymentDetails.", details, ("Type",))
    kind = str(details["Type"]).strip().upper()
    if kind not in PAYMENT_TYPES:
        raise ApiError(
            "INVALID_FIELD_VALUE", field="PaymentDetails.Type", reason=f"must be one of {', '.join(PAYMENT_TYPES)}"
        )
    return kind


def take_payment(kind: str, method: Mapping[str, Any] | None, previous: Mapping[str, Any] | None = None) -> Payment:
    """Take a payment of ``kind`` (``payment_type``) by ``method`` (a decoded PaymentMethod);
    ``previous`` is the PaymentMethod of the order a PREVIOUS_ORDER payment names."""
    method = method or {}
    for name, value in method.items():
        if isinstance(value, str):
            check_text(f"PaymentDetails.PaymentMethod.{name}", value, 2048)
    # The return addresses are answered null though sent, as both recorded 6.0 answers show
    # (the payment pages use them: twoco.server.payment_pages).
    answered = {
        "RecurringEnabled": bool(method.get("RecurringEnabled")),
        "Vendor3DSReturnURL": None,
        "Vendor3DSCancelURL": None,
    }
    if kind in (PAYPAL, PAYPAL_EXPRESS):
        return Payment("PENDING", False, {"RecurringEnabled": None}, redirect=True)
    if kind == FREE:
        return Payment("AUTHRECEIVED", False, answered)
    if kind == PREVIOUS_ORDER:
        if previous is None:
            raise ApiError(
                "INVALID_FIELD_VALUE", field="PaymentDetails.PaymentMethod.RefNo", reason="names no order paid by card"
            )
        digits = {name: previous.get(name) for name in ("FirstDigits", "LastDigits", "CardType")}
        return Payment("AUTHRECEIVED", False, {**answered, **digits})
    token = (method.get("EesToken") or "").strip()
    if kind == TOKEN or (kind == TEST and token and not method.get("CardNumber")):
        require("PaymentDetails.PaymentMethod.", method, ("EesToken",))
        number = token if token in SANDBOX_CARDS else TEST_CARDS[0]
        return _card_outcome(number, answered | _digits(number, "visa"), test=kind == TEST, live=False)
    require("PaymentDetails.PaymentMethod.", method, CARD_REQUIRED)
    number = re.sub(r"[\s-]", "", str(method["CardNumber"]))
    year = re.sub(r"\s", "", str(method["ExpirationYear"]))
    shown = (
        answered
        | _digits(number, method.get("CardType"))
        | {
            "ExpirationMonth": str(method["ExpirationMonth"]).strip().zfill(2),
            "ExpirationYear": year[-2:],
        }
    )
    if kind == CC:
        shown["CardType"] = card_type(number)
    return _card_outcome(number, shown, test=kind == TEST, live=kind == CC)


def _digits(number: str, sent_type: object) -> dict[str, Any]:
    return {
        "FirstDigits": number[:4],
        "LastDigits": number[-4:],
        "CardType": sent_type if isinstance(sent_type, str) and sent_type else card_type(number).lower(),
    }


def _card_outcome(number: str, method: dict[str, Any], test: bool, live: bool) -> Payment:
    valid = number.isdigit() and 12 <= len(number) <= 19 and luhn_valid(number)
    outcome = SANDBOX_CARDS.get(number)
    if not valid or outcome == DECLINED or (live and (outcome is not None or number in TEST_CARDS)):
        return Payment("PENDING", test, method, error=CARD_PAYMENT_ERROR)
    if outcome == THREE_D_SECURE:
        return Payment("PENDING", test, method, three_d_secure=True)
    if outcome == PENDING:
        return Payment("PENDING", test, method)
    return Payment("AUTHRECEIVED", test, method)
