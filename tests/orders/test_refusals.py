"""placeOrder's refusals: 2Checkout's API 6.0 order error codes (no items, mixed items, unknown or
disabled products, a dynamic item without name or valid price, unknown purchase types,
quantities out of 1-99999), missing billing details, a payment currency other than the
order's, unknown payment types and incomplete cards. A refused order leaves the store as it
was: no order, customer, subscription, product or change is written."""

from __future__ import annotations

import pytest

from tests.orders.orders_env import add_product, card_payment, catalogue_order, dynamic_item, dynamic_order, snapshot
from tests.service_env import Env, error_of


@pytest.fixture
def catalogue(env: Env) -> Env:
    add_product(env.a, "ON")
    add_product(env.a, "OFF", Enabled=False)
    env.a("placeOrder", catalogue_order({"Code": "ON"}))  # an order already there
    return env


def refused(env: Env, order: dict, version: str = "6.0"):
    """The error placing ``order`` raises, checking the store is unchanged."""
    before = snapshot(env)
    error = error_of(env.a_at(version), "placeOrder", order)
    assert snapshot(env) == before
    assert error.message
    return error


@pytest.mark.parametrize("items", [[], None, [None]], ids=["empty", "missing", "nil-item"])
def test_no_items(catalogue: Env, items) -> None:
    error = refused(catalogue, dynamic_order(Items=items))
    assert (error.code, error.message) == ("ORDER_PRODUCTS_EMPTY", "No products have been provided.")


def test_dynamic_and_catalogue_items_do_not_mix(catalogue: Env) -> None:
    error = refused(catalogue, catalogue_order({"Code": "ON"}, dynamic_item()))
    assert (error.code, error.message) == (
        "ORDER_ITEMS_INVALID",
        "Invalid items. You cannot mix dynamic and catalog products.",
    )


@pytest.mark.parametrize("code", ["NOPE", "OFF", "", "   "], ids=["unknown", "disabled", "empty", "blank"])
def test_unknown_or_disabled_products(catalogue: Env, code: str) -> None:
    error = refused(catalogue, catalogue_order({"Code": "ON"}, {"Code": code}))
    assert error.code == "ORDER_PRODUCT_CODE_INVALID"
    assert error.message == f"Requested product [{code.strip()}] was not found."


@pytest.mark.parametrize("name", [None, "", "  "])
def test_a_dynamic_item_needs_a_name(catalogue: Env, name) -> None:
    error = refused(catalogue, dynamic_order(Items=[dynamic_item(), dynamic_item(Name=name)]))
    assert (error.code, error.details["field"]) == ("ORDER_PRODUCT_NAME_INVALID", "Items[1].Name")


@pytest.mark.parametrize("price", [None, {"Type": "CUSTOM"}, {"Amount": -0.01, "Type": "CUSTOM"}])
def test_a_dynamic_item_needs_a_price(catalogue: Env, price) -> None:
    error = refused(catalogue, dynamic_order(Items=[dynamic_item(Price=price)]))
    assert (error.code, error.details["field"]) == ("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", "Items[0].Price.Amount")


def test_a_negative_trial_price(catalogue: Env) -> None:
    error = refused(catalogue, catalogue_order({"Code": "ON", "Trial": {"Period": 7, "Price": -1}}))
    assert (error.code, error.details["field"]) == ("ORDER_PRODUCT_PRICE_AMOUNT_INVALID", "Items[0].Trial.Price")


@pytest.mark.parametrize("kind", ["DISCOUNT", "SUBSCRIPTION", "product "])
def test_unknown_purchase_types(catalogue: Env, kind: str) -> None:
    error = refused(catalogue, dynamic_order(Items=[dynamic_item(PurchaseType=kind)]))
    assert error.code == "ORDER_PRODUCT_PURCHASE_TYPE_INVALID"
    assert error.message.startswith("Invalid product purchase type. Accepted values: PRODUCT, SHIPPING, COUPON and TAX")


@pytest.mark.parametrize("quantity", [0, -1, 100000])
def test_quantities_out_of_range(catalogue: Env, quantity: int) -> None:
    for order in (
        catalogue_order({"Code": "ON", "Quantity": quantity}),
        dynamic_order(Items=[dynamic_item(Quantity=quantity)]),
    ):
        error = refused(catalogue, order)
        assert (error.code, error.details["field"]) == ("ORDER_ITEMS_QUANTITY_INVALID", "Items[0].Quantity")
        assert error.message == "Item quantity must be between 1 and 99999 (Items[0].Quantity)."


def test_the_largest_quantity_is_taken(catalogue: Env) -> None:
    order = catalogue.a("placeOrder", dynamic_order(Items=[dynamic_item(Quantity=99999, Price={"Amount": 1})]))
    assert order["GrossPrice"] == 99999.0


def test_billing_details_are_required(catalogue: Env) -> None:
    error = refused(catalogue, dynamic_order(BillingDetails=None))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "BillingDetails")


@pytest.mark.parametrize("name", ["FirstName", "LastName", "Email", "CountryCode"])
def test_each_required_billing_field(catalogue: Env, name: str) -> None:
    billing = {key: value for key, value in dynamic_order()["BillingDetails"].items() if key != name}
    error = refused(catalogue, dynamic_order(BillingDetails=billing))
    assert error.code == "MISSING_REQUIRED_FIELD"
    assert error.details["field"] == f"BillingDetails.{name}"


def test_the_payment_currency_must_be_the_orders(catalogue: Env) -> None:
    error = refused(catalogue, dynamic_order(Currency="EUR"))  # paid in USD
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "PaymentDetails.Currency")
    assert "EUR" in error.message


@pytest.mark.parametrize("kind", ["BITCOIN", "", None])
def test_unknown_payment_types(catalogue: Env, kind) -> None:
    payment = {**card_payment(), "Type": kind}
    error = refused(catalogue, dynamic_order(PaymentDetails=payment))
    assert error.code in ("INVALID_FIELD_VALUE", "MISSING_REQUIRED_FIELD")
    assert error.details["field"] == "PaymentDetails.Type"


def test_payment_details_are_required(catalogue: Env) -> None:
    error = refused(catalogue, dynamic_order(PaymentDetails=None))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "PaymentDetails")


@pytest.mark.parametrize("name", ["CardNumber", "ExpirationMonth", "ExpirationYear", "HolderName", "CCID"])
@pytest.mark.parametrize("kind", ["TEST", "CC"])
def test_each_card_field_is_required(catalogue: Env, name: str, kind: str) -> None:
    payment = card_payment()
    payment["Type"] = kind
    del payment["PaymentMethod"][name]
    error = refused(catalogue, dynamic_order(PaymentDetails=payment))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", f"PaymentDetails.PaymentMethod.{name}")


def test_a_token_payment_needs_its_token(catalogue: Env) -> None:
    payment = {"Type": "EES_TOKEN_PAYMENT", "Currency": "USD", "PaymentMethod": {"Vendor3DSReturnURL": "x"}}
    error = refused(catalogue, dynamic_order(PaymentDetails=payment))
    assert (error.code, error.details["field"]) == ("MISSING_REQUIRED_FIELD", "PaymentDetails.PaymentMethod.EesToken")


def test_a_free_payment_only_pays_an_order_of_nothing(catalogue: Env) -> None:
    payment = {"Type": "FREE", "Currency": "USD", "PaymentMethod": {}}
    error = refused(catalogue, dynamic_order(PaymentDetails=payment))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "PaymentDetails.Type")
    free = dynamic_order(Items=[dynamic_item(Price={"Amount": 0})], PaymentDetails=payment)
    assert catalogue.a("placeOrder", free)["Status"] == "AUTHRECEIVED"


def test_an_unknown_customer_reference(catalogue: Env) -> None:
    error = refused(catalogue, dynamic_order(CustomerReference=123456789))
    assert error.code == "CUSTOMER_NOT_FOUND"


@pytest.mark.parametrize("version", ["3.0", "4.0", "5.0", "6.0"])
def test_refusals_are_the_same_on_every_version(catalogue: Env, version: str) -> None:
    assert refused(catalogue, dynamic_order(Items=[]), version).code == "ORDER_PRODUCTS_EMPTY"
    assert refused(catalogue, catalogue_order({"Code": "OFF"}), version).code == "ORDER_PRODUCT_CODE_INVALID"
