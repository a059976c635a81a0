"""placeOrder with catalogue items: each item's price is the product's default pricing
configuration's for the order's currency and the quantity's band, with the chosen price options;
a currency the product has no price in is converted at the sandbox's fixed rates; a trial item
costs its trial price; SubscriptionStartDate is kept; the order's totals are its items' sums."""

from __future__ import annotations

from tests.orders.orders_env import add_product, catalogue_order, product_data
from tests.service_env import Env, error_of

WITH_OPTIONS = [
    {
        "Name": "Standard",
        "Default": True,
        "PricingSchema": "FLAT",
        "PriceType": "NET",
        "DefaultCurrency": "EUR",
        "PriceOptions": [{"Code": "USERS", "Required": True}],
        "Prices": {
            "Regular": [
                {"Amount": 20, "Currency": "EUR", "MinQuantity": 1, "MaxQuantity": 99999, "OptionCodes": []},
                {
                    "Amount": 35,
                    "Currency": "EUR",
                    "MinQuantity": 1,
                    "MaxQuantity": 99999,
                    "OptionCodes": [{"Code": "USERS", "Options": ["five"]}],
                },
                {
                    "Amount": 60,
                    "Currency": "EUR",
                    "MinQuantity": 1,
                    "MaxQuantity": 99999,
                    "OptionCodes": [{"Code": "USERS", "Options": ["ten"]}],
                },
            ],
            "Renewal": [],
        },
    }
]


def test_the_price_is_the_default_configurations_for_the_currency_and_band(env: Env) -> None:
    add_product(env.a, "CAT")
    session = env.a_at("6.0")
    order = session("placeOrder", catalogue_order({"Code": "CAT", "Quantity": 2}))
    (item,) = order["Items"]
    assert (item["Code"], item["Quantity"], item["PurchaseType"]) == ("CAT", 2, "PRODUCT")
    price = item["Price"]
    assert (price["UnitNetPrice"], price["UnitGrossPrice"], price["UnitVAT"]) == (99.5, 99.5, 0.0)
    assert (price["NetPrice"], price["GrossPrice"], price["VAT"], price["Currency"]) == (199.0, 199.0, 0.0, "eur")
    assert item["ProductDetails"]["Name"] == "Engine CAT"
    assert item["ProductDetails"]["ShortDescription"] == "Computes tables"
    assert item["ProductDetails"]["IsDynamic"] is False
    assert (order["Currency"], order["NetPrice"], order["GrossPrice"], order["VAT"]) == ("eur", 199.0, 199.0, 0.0)
    assert len(item["LineItemReference"]) == 40 and int(item["LineItemReference"], 16) >= 0


def test_a_quantity_in_another_band_takes_that_bands_price(env: Env) -> None:
    add_product(env.a, "BAND")
    # 10 units and more are priced only in USD (89.00): in USD, as is.
    order = env.a("placeOrder", catalogue_order({"Code": "BAND", "Quantity": 10}, currency="USD"))
    assert order["Items"][0]["Price"]["UnitNetPrice"] == 89.0
    assert order["GrossPrice"] == 890.0


def test_a_currency_the_product_has_no_price_in_is_converted_at_the_sandbox_rates(env: Env) -> None:
    add_product(env.a, "FX")
    order = env.a("placeOrder", catalogue_order({"Code": "FX", "Quantity": 1}, currency="GBP"))
    price = order["Items"][0]["Price"]
    # 99.50 EUR (the default currency) at 0.92 EUR and 0.79 GBP to the dollar.
    assert price["UnitNetPrice"] == round(99.5 / 0.92 * 0.79, 2) == 85.44
    assert (price["Currency"], order["Currency"], order["GrossPrice"]) == ("gbp", "gbp", 85.44)
    usd = env.a("placeOrder", catalogue_order({"Code": "FX", "Quantity": 1}, currency="USD"))
    assert usd["Items"][0]["Price"]["UnitNetPrice"] == round(99.5 / 0.92, 2)


def test_a_currency_without_a_sandbox_rate_is_refused(env: Env) -> None:
    add_product(env.a, "NORATE")
    error = error_of(env.a, "placeOrder", catalogue_order({"Code": "NORATE"}, currency="HUF"))
    assert error.code == "INVALID_FIELD_VALUE"
    assert "HUF" in error.message
    assert env.rows("SELECT COUNT(*) FROM orders") == [(0,)]


def test_price_options_choose_the_price_that_names_them(env: Env) -> None:
    add_product(env.a, "OPT", PricingConfigurations=WITH_OPTIONS)
    session = env.a_at("6.0")
    plain = session("placeOrder", catalogue_order({"Code": "OPT"}))
    assert plain["Items"][0]["Price"]["UnitNetPrice"] == 20.0
    assert plain["Items"][0]["PriceOptions"] == []
    five = session(
        "placeOrder", catalogue_order({"Code": "OPT", "PriceOptions": [{"Code": "USERS", "Options": ["five"]}]})
    )
    assert five["Items"][0]["Price"]["UnitNetPrice"] == 35.0
    assert five["Items"][0]["PriceOptions"] == [
        {
            "Code": "USERS",
            "Name": "USERS",
            "Required": True,
            "Options": [{"Name": "five", "Value": "five", "Surcharge": "0.00"}],
        }
    ]
    # As text, "GROUP=option", and as an option object naming its Value.
    ten = session("placeOrder", catalogue_order({"Code": "OPT", "Quantity": 3, "PriceOptions": ["USERS=ten"]}))
    assert (ten["Items"][0]["Price"]["UnitNetPrice"], ten["GrossPrice"]) == (60.0, 180.0)
    by_value = session(
        "placeOrder",
        catalogue_order({"Code": "OPT", "PriceOptions": [{"Code": "users", "Options": [{"Value": "ten"}]}]}),
    )
    assert by_value["Items"][0]["Price"]["UnitNetPrice"] == 60.0


def test_price_options_answer_as_option_codes_before_6_0(env: Env) -> None:
    add_product(env.a, "OPT3", PricingConfigurations=WITH_OPTIONS)
    order = env.a_at("3.0")("placeOrder", catalogue_order({"Code": "OPT3", "PriceOptions": ["USERS=five"]}))
    assert order["Items"][0]["PriceOptions"] == [
        {"Code": "USERS", "Name": "USERS", "Required": True, "Options": ["five"]}
    ]


def test_options_no_price_names_take_the_base_price_or_are_refused_without_one(env: Env) -> None:
    add_product(env.a, "OPTX", PricingConfigurations=WITH_OPTIONS)
    order = env.a("placeOrder", catalogue_order({"Code": "OPTX", "PriceOptions": ["USERS=hundred"]}))
    assert order["Items"][0]["Price"]["UnitNetPrice"] == 20.0  # the price that names no option
    only_named = [
        {
            **WITH_OPTIONS[0],
            "Prices": {**WITH_OPTIONS[0]["Prices"], "Regular": WITH_OPTIONS[0]["Prices"]["Regular"][1:]},
        }
    ]
    add_product(env.a, "OPTY", PricingConfigurations=only_named)
    error = error_of(env.a, "placeOrder", catalogue_order({"Code": "OPTY", "PriceOptions": ["USERS=hundred"]}))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Items[0].PriceOptions")
    assert env.rows("SELECT COUNT(*) FROM orders") == [(1,)]


def test_several_items_add_up(env: Env) -> None:
    add_product(env.a, "ONE")
    add_product(env.a, "TWO", PricingConfigurations=WITH_OPTIONS)
    order = env.a("placeOrder", catalogue_order({"Code": "ONE", "Quantity": 3}, {"Code": "TWO"}))
    assert [item["Price"]["NetPrice"] for item in order["Items"]] == [298.5, 20.0]
    assert (order["NetPrice"], order["GrossPrice"], order["NetDiscountedPrice"], order["GrossDiscountedPrice"]) == (
        318.5,
        318.5,
        318.5,
        318.5,
    )
    assert (order["Discount"], order["VAT"], order["AffiliateCommission"]) == (0.0, 0.0, 0.0)
    assert len({item["LineItemReference"] for item in order["Items"]}) == 2


def test_a_trial_item_costs_its_trial_price_and_its_subscription_is_a_trial(env: Env) -> None:
    add_product(env.a, "TRIAL")
    session = env.a_at("6.0")
    env.store.set_merchant_settings(env.a.merchant_id, {"orders": {"completion": "immediate"}})
    order = session("placeOrder", catalogue_order({"Code": "TRIAL", "Trial": {"Period": 30, "Price": 9.99}}))
    (item,) = order["Items"]
    assert item["Trial"] == {"Period": 30, "GrossPrice": 9.99, "VAT": 0.0, "NetPrice": 9.99}
    assert (item["Price"]["UnitNetPrice"], order["GrossPrice"]) == (9.99, 9.99)
    (entry,) = item["ProductDetails"]["Subscriptions"]
    assert (entry["Trial"], entry["ExpirationDate"][:10]) == (True, "2026-07-01")
    subscription = session("getSubscription", entry["SubscriptionReference"])
    assert (subscription["IsTrial"], subscription["ExpirationDate"]) == (True, "2026-07-01")
    # After the trial, the product's renewal price.
    assert (subscription["NextRenewalPrice"], subscription["NextRenewalPriceCurrency"]) == (49.0, "EUR")


def test_a_free_trial_and_a_trial_of_no_days(env: Env) -> None:
    add_product(env.a, "FREETRIAL")
    order = env.a("placeOrder", catalogue_order({"Code": "FREETRIAL", "Trial": {"Period": 7, "Price": 0}}))
    assert order["GrossPrice"] == 0.0
    error = error_of(env.a, "placeOrder", catalogue_order({"Code": "FREETRIAL", "Trial": {"Period": 0}}))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Items[0].Trial.Period")


def test_the_subscription_start_date_is_kept_and_starts_the_subscription(env: Env) -> None:
    add_product(env.a, "LATER")
    session = env.a_at("6.0")
    env.store.set_merchant_settings(env.a.merchant_id, {"orders": {"completion": "immediate"}})
    order = session("placeOrder", catalogue_order({"Code": "LATER", "SubscriptionStartDate": "2026-07-15 00:00:00"}))
    (item,) = order["Items"]
    assert item["SubscriptionStartDate"] == "2026-07-15"
    (entry,) = item["ProductDetails"]["Subscriptions"]
    assert (entry["SubscriptionStartDate"], entry["ExpirationDate"]) == ("2026-07-15 12:00:00", "2027-07-15 12:00:00")
    subscription = session("getSubscription", entry["SubscriptionReference"])
    assert (subscription["StartDate"], subscription["ExpirationDate"]) == ("2026-07-15", "2027-07-15")
    error = error_of(session, "placeOrder", catalogue_order({"Code": "LATER", "SubscriptionStartDate": "15/07/2026"}))
    assert (error.code, error.details["field"]) == ("INVALID_FIELD_VALUE", "Items[0].SubscriptionStartDate")


def test_the_product_catalogue_is_the_merchants_own(env: Env) -> None:
    add_product(env.b, "B-ONLY")
    error = error_of(env.a, "placeOrder", catalogue_order({"Code": "B-ONLY"}))
    assert (error.code, error.message) == ("ORDER_PRODUCT_CODE_INVALID", "Requested product [B-ONLY] was not found.")
    assert product_data("X")["ProductCode"] == "X"
