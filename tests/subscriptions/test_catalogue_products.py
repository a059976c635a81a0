"""addSubscription meets the catalogue: the product an import names by ProductId or ProductCode
is the catalogue's, which fills the other and the name; a merchant with a catalogue imports
only its products, one without keeps the product as named (docs/products.md)."""

from __future__ import annotations

from tests.service_env import Env, error_of, new_customer, subscription

PRODUCT = {
    "ProductCode": "CAT-MONTHLY",
    "ProductName": "Monthly plan",
    "ProductVersion": "2.1",
    "GeneratesSubscription": True,
    "PricingConfigurations": [{"Prices": {"Regular": [{"Amount": 9.5, "Currency": "USD"}]}}],
}


def _catalogue_product(env: Env) -> dict[str, object]:
    assert env.a("addProduct", PRODUCT) is True
    found: dict[str, object] = env.a("getProductByCode", "CAT-MONTHLY")
    return found


def test_an_import_by_product_id_alone_takes_the_catalogue_code_and_name(env: Env) -> None:
    product = _catalogue_product(env)
    owner = new_customer(env.a)
    sent = subscription(owner, Product={"ProductId": product["AvangateId"], "ProductCode": "", "ProductQuantity": 1})
    reference = env.a("addSubscription", sent)
    assert env.a("getSubscription", reference)["Product"] == {
        "ProductCode": "CAT-MONTHLY",
        "ProductId": product["AvangateId"],
        "ProductName": "Monthly plan",
        "ProductVersion": "2.1",
        "ProductQuantity": 1,
        "PriceOptionCodes": None,
    }


def test_an_import_by_code_takes_the_catalogue_id_and_its_name_over_the_one_sent(env: Env) -> None:
    product = _catalogue_product(env)
    owner = new_customer(env.a)
    sent = subscription(owner, Product={"ProductCode": "CAT-MONTHLY", "ProductName": "Old name"})
    found = env.a("getSubscription", env.a("addSubscription", sent))["Product"]
    assert (found["ProductId"], found["ProductName"]) == (product["AvangateId"], "Monthly plan")


def test_a_merchant_with_a_catalogue_imports_only_its_products(env: Env) -> None:
    _catalogue_product(env)
    owner = new_customer(env.a)
    before = env.rows("SELECT COUNT(*) FROM subscriptions")
    error = error_of(env.a, "addSubscription", subscription(owner, Product={"ProductCode": "NOPE"}))
    assert (error.code, error.message) == (
        "PRODUCT_NOT_FOUND",
        "No product with ProductCode 'NOPE' in this merchant's catalogue.",
    )
    error = error_of(env.a, "addSubscription", subscription(owner, Product={"ProductId": 1234567}))
    assert (error.code, error.message) == (
        "PRODUCT_NOT_FOUND",
        "No product with AvangateId 1234567 in this merchant's catalogue.",
    )
    assert env.rows("SELECT COUNT(*) FROM subscriptions") == before


def test_a_product_id_and_code_that_name_two_products_are_refused(env: Env) -> None:
    _catalogue_product(env)
    owner = new_customer(env.a)
    error = error_of(
        env.a, "addSubscription", subscription(owner, Product={"ProductCode": "CAT-MONTHLY", "ProductId": 1})
    )
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Product.ProductId")


def test_another_merchants_catalogue_names_nothing(env: Env) -> None:
    product = _catalogue_product(env)
    assert env.b("addProduct", {**PRODUCT, "ProductCode": "B-ONLY"}) is True
    owner = new_customer(env.b)
    error = error_of(env.b, "addSubscription", subscription(owner, Product={"ProductId": product["AvangateId"]}))
    assert error.code == "PRODUCT_NOT_FOUND"


def test_a_merchant_without_a_catalogue_keeps_the_product_as_named(env: Env) -> None:
    owner = new_customer(env.a)
    reference = env.a("addSubscription", subscription(owner, Product={"ProductCode": "ANY", "ProductName": "As sent"}))
    found = env.a("getSubscription", reference)["Product"]
    assert (found["ProductCode"], found["ProductId"], found["ProductName"]) == ("ANY", None, "As sent")
