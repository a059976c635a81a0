"""How placeOrder takes the payment: TEST cards (authorised, a test order), CC (live: the test
cards fail with 2Checkout's CARD_PAYMENT_ERROR, other valid numbers are authorised), the
sandbox's decline, 3-D Secure and pending cards, 2Pay.js tokens, PayPal's redirect, and the
retry of a PENDING order with its RefNo. Only a card's first and last digits are kept."""

from __future__ import annotations

import re

import pytest

from tests.orders.orders_env import card_payment, dynamic_order
from tests.service_env import Env, error_of

CARD_PAYMENT_ERROR = {"CARD_PAYMENT_ERROR": "Couldn't complete the payment validation process"}
LIVE_CARD = "4242424242424242"  # valid (Luhn), and no test card of 2Checkout's samples


def paid_with(kind: str, card: str, **method: object) -> dict[str, object]:
    payment = card_payment(card, **method)
    payment["Type"] = kind
    return dynamic_order(PaymentDetails=payment)


def stored_text(env: Env) -> str:
    """Everything the store holds about orders and their changes, as text."""
    return repr(env.rows("SELECT * FROM orders")) + repr(env.rows("SELECT * FROM change_history"))


def test_a_test_card_is_authorised_as_a_test_order(env: Env) -> None:
    order = env.a_at("6.0")("placeOrder", paid_with("TEST", "4111111111111111"))
    assert (order["Status"], order["ApproveStatus"], order["VendorApproveStatus"]) == ("AUTHRECEIVED", "WAITING", "OK")
    assert order["TestOrder"] is True and order["Errors"] is None
    assert re.fullmatch(r"\d+", order["RefNo"]) and order["OrderNo"] == 0
    details = order["PaymentDetails"]
    assert (details["Type"], details["Currency"], details["CustomerIP"]) == ("TEST", "usd", "91.220.121.21")
    method = details["PaymentMethod"]
    assert (method["FirstDigits"], method["LastDigits"], method["CardType"]) == ("4111", "1111", "VISA")
    assert (method["ExpirationMonth"], method["ExpirationYear"]) == ("12", "44")  # two digits, as recorded
    assert not {"CardNumber", "CCID", "HolderName"} & set(method)
    assert "Authorize3DS" not in method
    text = stored_text(env)
    assert "4111111111111111" not in text and "John Doe" not in text
    assert '"CCID"' not in text


@pytest.mark.parametrize("card", ["5555555555554444", "4012888888881881", LIVE_CARD])
def test_any_valid_card_is_authorised_under_test(env: Env, card: str) -> None:
    order = env.a("placeOrder", paid_with("TEST", card, CardType=None))
    assert (order["Status"], order["TestOrder"]) == ("AUTHRECEIVED", True)
    method = order["PaymentDetails"]["PaymentMethod"]
    assert (method["FirstDigits"], method["LastDigits"]) == (card[:4], card[-4:])
    assert method["CardType"] == ("mastercard" if card[0] == "5" else "visa")  # none sent: from the number
    assert card not in stored_text(env)


@pytest.mark.parametrize("card", ["4111111111111111", "5105105105105100", "5555555555554444", "4000000000003220"])
def test_a_live_payment_with_a_test_card_fails(env: Env, card: str) -> None:
    order = env.a("placeOrder", paid_with("CC", card))
    assert (order["Status"], order["ApproveStatus"], order["TestOrder"]) == ("PENDING", "WAITING", False)
    assert order["Errors"] == CARD_PAYMENT_ERROR
    assert order["PaymentDetails"]["PaymentMethod"]["CardType"] == ("Visa" if card[0] == "4" else "MasterCard")
    # A failed payment is an order all the same, and stays PENDING.
    env.clock.advance(60)
    assert env.a("getOrder", order["RefNo"])["Status"] == "PENDING"
    assert card not in stored_text(env)


def test_a_live_payment_with_another_valid_card_is_authorised(env: Env) -> None:
    order = env.a("placeOrder", paid_with("CC", LIVE_CARD, CardType="visa"))
    assert (order["Status"], order["TestOrder"], order["Errors"]) == ("AUTHRECEIVED", False, None)
    assert order["PaymentDetails"]["PaymentMethod"]["CardType"] == "Visa"  # normalised, as CC answers
    assert LIVE_CARD not in stored_text(env)


@pytest.mark.parametrize("card", ["4111111111111112", "41111", "4111-1111-1111-111x"])
def test_an_invalid_card_number_fails_the_payment(env: Env, card: str) -> None:
    order = env.a("placeOrder", paid_with("TEST", card))
    assert (order["Status"], order["Errors"]) == ("PENDING", CARD_PAYMENT_ERROR)


def test_spaces_and_dashes_in_a_card_number_are_ignored(env: Env) -> None:
    order = env.a("placeOrder", paid_with("TEST", "4111 1111-1111 1111"))
    assert order["Status"] == "AUTHRECEIVED"
    assert "4111111111111111" not in stored_text(env)


def test_the_decline_card(env: Env) -> None:
    order = env.a("placeOrder", paid_with("TEST", "4000000000000002"))
    assert (order["Status"], order["TestOrder"], order["Errors"]) == ("PENDING", True, CARD_PAYMENT_ERROR)


def test_the_pending_card_waits_without_errors(env: Env) -> None:
    order = env.a("placeOrder", paid_with("TEST", "4000000000000077"))
    assert (order["Status"], order["Errors"]) == ("PENDING", None)
    env.clock.advance(300)  # within the session's 10 minutes
    assert env.a("getOrder", order["RefNo"])["Status"] == "PENDING"


@pytest.mark.parametrize("version", ["5.0", "6.0"])
def test_the_3ds_card_asks_for_3d_secure_from_5_0(env: Env, version: str) -> None:
    order = env.a_at(version)("placeOrder", paid_with("TEST", "4000000000003220"))
    assert (order["Status"], order["Errors"]) == ("PENDING", None)
    authorize = order["PaymentDetails"]["PaymentMethod"]["Authorize3DS"]
    assert authorize["Href"].endswith("/scripts/credit_card/authorize")
    assert authorize["Method"] == "GET"
    assert re.fullmatch(r"[0-9a-f]{16}", authorize["Params"]["avng8apitoken"])
    (token,) = env.rows("SELECT payment_token FROM orders")[0]
    assert token == authorize["Params"]["avng8apitoken"]
    assert env.a_at(version)("getOrder", order["RefNo"])["PaymentDetails"]["PaymentMethod"]["Authorize3DS"] == authorize


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_the_3ds_card_is_authorised_without_it_before_5_0(env: Env, version: str) -> None:
    order = env.a_at(version)("placeOrder", paid_with("TEST", "4000000000003220"))
    assert (order["Status"], order["Errors"]) == ("AUTHRECEIVED", None)
    assert "Authorize3DS" not in order["PaymentDetails"]["PaymentMethod"]
    assert env.rows("SELECT payment_token FROM orders") == [(None,)]


@pytest.mark.parametrize("token", ["any-2pay-token", "d2f7c4e1-0000-4000-8000-1234567890ab"])
def test_a_2pay_token_is_any_text(env: Env, token: str) -> None:
    payment = {"Type": "EES_TOKEN_PAYMENT", "Currency": "USD", "PaymentMethod": {"EesToken": token}}
    order = env.a("placeOrder", dynamic_order(PaymentDetails=payment))
    assert (order["Status"], order["TestOrder"], order["Errors"]) == ("AUTHRECEIVED", False, None)
    assert order["PaymentDetails"]["Type"] == "EES_TOKEN_PAYMENT"


def test_a_2pay_token_that_is_a_sandbox_card_does_what_the_card_does(env: Env) -> None:
    payment = {"Type": "EES_TOKEN_PAYMENT", "Currency": "USD", "PaymentMethod": {"EesToken": "4000000000000002"}}
    order = env.a("placeOrder", dynamic_order(PaymentDetails=payment))
    assert (order["Status"], order["Errors"]) == ("PENDING", CARD_PAYMENT_ERROR)
    test_token = {"Type": "TEST", "Currency": "USD", "PaymentMethod": {"EesToken": "tok"}}
    assert env.a("placeOrder", dynamic_order(PaymentDetails=test_token))["TestOrder"] is True


def test_paypal_waits_for_the_shopper(env: Env) -> None:
    payment = {
        "Type": "PAYPAL",
        "Currency": "USD",
        "PaymentMethod": {"Email": "customer@example.com", "ReturnURL": "https://shop.example/paypal"},
    }
    order = env.a_at("3.0")("placeOrder", dynamic_order(PaymentDetails=payment))
    assert (order["Status"], order["ApproveStatus"], order["TestOrder"], order["Errors"]) == (
        "PENDING",
        "WAITING",
        False,
        None,
    )
    details = order["PaymentDetails"]
    assert (details["Type"], details["Currency"], details["CustomerIP"]) == ("PAYPAL", "USD", None)  # as sent
    method = details["PaymentMethod"]
    assert method["RecurringEnabled"] is None
    assert re.fullmatch(r".*/scripts/paypal/approve\?token=[0-9a-f]{16}", method["RedirectURL"])
    assert order["ExtraInformation"]["PaymentLink"].startswith("/order/finish.php?id=")


def test_a_pending_order_is_paid_again_with_its_ref_no(env: Env) -> None:
    session = env.a_at("6.0")
    failed = session("placeOrder", paid_with("CC", "4111111111111111"))
    assert failed["Status"] == "PENDING"
    retried = session("placeOrder", {"RefNo": failed["RefNo"], "PaymentDetails": card_payment("5555555555554444")})
    assert retried["RefNo"] == failed["RefNo"]
    assert (retried["Status"], retried["Errors"], retried["TestOrder"]) == ("AUTHRECEIVED", None, True)
    method = retried["PaymentDetails"]["PaymentMethod"]
    assert (method["FirstDigits"], method["LastDigits"]) == ("5555", "4444")
    assert retried["Items"] == failed["Items"] and retried["BillingDetails"] == failed["BillingDetails"]
    assert retried["OrderDate"] == failed["OrderDate"]
    assert env.rows("SELECT COUNT(*) FROM orders") == [(1,)]
    assert session("getOrder", failed["RefNo"])["Status"] == "COMPLETE"  # authorised, then complete by this read


def test_a_retry_that_fails_again_stays_pending(env: Env) -> None:
    failed = env.a("placeOrder", paid_with("TEST", "4000000000000002"))
    again = env.a("placeOrder", {"RefNo": failed["RefNo"], "PaymentDetails": card_payment("4000000000000002")})
    assert (again["RefNo"], again["Status"], again["Errors"]) == (failed["RefNo"], "PENDING", CARD_PAYMENT_ERROR)


def test_a_retry_in_another_currency_is_refused(env: Env) -> None:
    failed = env.a("placeOrder", paid_with("CC", "4111111111111111"))
    payment = {**card_payment(), "Currency": "EUR"}
    error = error_of(env.a, "placeOrder", {"RefNo": failed["RefNo"], "PaymentDetails": payment})
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "PaymentDetails.Currency")
    assert env.a("getOrder", failed["RefNo"])["Status"] == "PENDING"


def test_only_a_pending_order_is_paid_again(env: Env) -> None:
    paid = env.a("placeOrder", paid_with("TEST", "4111111111111111"))
    before = env.rows("SELECT * FROM orders")
    error = error_of(env.a, "placeOrder", {"RefNo": paid["RefNo"], "PaymentDetails": card_payment()})
    assert error.code == "ORDER_STATUS_CONFLICT"
    assert paid["RefNo"] in error.message and "COMPLETE" in error.message  # due, so complete as it is read
    assert env.rows("SELECT * FROM orders") == before
    missing = error_of(env.a, "placeOrder", {"RefNo": "999999999", "PaymentDetails": card_payment()})
    assert missing.code == "ORDER_NOT_FOUND"
    others = error_of(env.b, "placeOrder", {"RefNo": paid["RefNo"], "PaymentDetails": card_payment()})
    assert others.code == "ORDER_NOT_FOUND"  # another merchant's order is a missing one


def test_previous_order_pays_with_an_earlier_orders_card(env: Env) -> None:
    first = env.a("placeOrder", paid_with("TEST", "5555555555554444"))
    payment = {"Type": "PREVIOUS_ORDER", "Currency": "USD", "PaymentMethod": {"RefNo": first["RefNo"]}}
    order = env.a("placeOrder", dynamic_order(PaymentDetails=payment))
    assert order["Status"] == "AUTHRECEIVED"
    assert order["PaymentDetails"]["PaymentMethod"]["LastDigits"] == "4444"
    payment["PaymentMethod"] = {"RefNo": "123"}
    error = error_of(env.a, "placeOrder", dynamic_order(PaymentDetails=payment))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "PaymentDetails.PaymentMethod.RefNo")
