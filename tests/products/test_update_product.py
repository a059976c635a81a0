"""updateProduct and setProductStatus: fields sent replace, fields left out (or nil) keep theirs;
pricing configurations keep their codes and their PricingSchema; groups by code or by name.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from tests.data import product_data
from tests.service_env import Env, error_of


def test_fields_left_out_or_nil_keep_their_values(env: Env) -> None:
    env.a("addProduct", product_data("UP", Enabled=True, LongDescription="Long"))
    before = env.a("getProductByCode", "UP")
    change = {"ProductCode": "UP", "ProductName": "Renamed", "LongDescription": None, "Enabled": False}
    assert env.a("updateProduct", change) is True
    after = env.a("getProductByCode", "UP")
    assert after == {**before, "ProductName": "Renamed", "Enabled": False}  # LongDescription: nil keeps it
    assert env.a("getProductById", before["AvangateId"]) == after


def test_the_read_product_sent_back(env: Env) -> None:
    """The documented pattern: read, change, send the whole product back."""
    env.a("addProduct", product_data("ROUND"))
    product = env.a("getProductByCode", "ROUND")
    product["ShortDescription"] = "Changed"
    product["AvangateId"] = 1234567  # not something an update changes
    assert env.a("updateProduct", product) is True
    after = env.a("getProductByCode", "ROUND")
    assert after["AvangateId"] != 1234567
    assert after == {**product, "AvangateId": after["AvangateId"]}


def test_pricing_configurations_keep_their_codes(env: Env) -> None:
    env.a("addProduct", product_data("CODES"))
    (configuration,) = env.a("getProductByCode", "CODES")["PricingConfigurations"]
    env.a("updateProduct", {"ProductCode": "CODES", "ProductVersion": "2.0"})
    assert env.a("getPricingConfigurations", "CODES") == [configuration]  # not sent: kept whole
    changed = {**configuration, "Name": "Renamed", "PriceType": "gross"}
    added = {"Name": "Second", "Code": "MADE-UP", "Prices": {"Regular": [{"Amount": 2.0, "Currency": "EUR"}]}}
    env.a("updateProduct", {"ProductCode": "CODES", "PricingConfigurations": [changed, added]})
    first, second = env.a("getPricingConfigurations", "CODES")
    assert first == {**configuration, "Name": "Renamed", "PriceType": "GROSS"}  # its code kept
    assert second["Code"] not in ("MADE-UP", configuration["Code"]) and len(second["Code"]) == 10  # a new one: new code


def test_a_pricing_schema_cannot_change(env: Env) -> None:
    env.a("addProduct", product_data("SCHEMA"))
    before = env.a("getProductByCode", "SCHEMA")
    configuration = {**before["PricingConfigurations"][0], "PricingSchema": "DYNAMIC"}
    error = error_of(env.a, "updateProduct", {"ProductCode": "SCHEMA", "PricingConfigurations": [configuration]})
    assert error.code == "INVALID_FIELD_VALUE" and "PricingConfigurations[0].PricingSchema" in error.message
    assert env.a("getProductByCode", "SCHEMA") == before
    same = {**configuration, "PricingSchema": "flat"}  # the same schema, in any case: accepted
    assert env.a("updateProduct", {"ProductCode": "SCHEMA", "PricingConfigurations": [same]}) is True


def test_invalid_updates_change_nothing(env: Env) -> None:
    env.a("addProduct", product_data("SAFE"))
    before = env.a("getProductByCode", "SAFE")
    faults = [
        ({"ProductCode": "SAFE", "ProductType": "SERVICE"}, "INVALID_FIELD_VALUE"),
        ({"ProductCode": "SAFE", "ProductName": "  "}, "MISSING_REQUIRED_FIELD"),
        ({"ProductCode": "SAFE", "GroupName": "Nowhere"}, "PRODUCT_GROUP_NOT_FOUND"),
        ({"ProductCode": "SAFE", "ProductGroupCode": "NOPE"}, "PRODUCT_GROUP_NOT_FOUND"),
        ({"ProductCode": "SAFE", "Prices": [{"Amount": 1.0, "Currency": "EURO"}]}, "INVALID_FIELD_VALUE"),
        ({"ProductName": "No code"}, "MISSING_REQUIRED_FIELD"),
        ({"ProductCode": "MISSING", "ProductName": "X"}, "PRODUCT_NOT_FOUND"),
    ]
    for change, code in faults:
        assert error_of(env.a, "updateProduct", change).code == code, change
    assert env.a("getProductByCode", "SAFE") == before


def test_moving_between_groups(env: Env) -> None:
    tools = env.a("addProductGroup", {"Name": "Tools"})
    games = env.a("addProductGroup", {"Name": "Games", "Code": "GAMES-1"})
    env.a("addProduct", {"ProductCode": "MOVE", "ProductName": "Mover", "ProductGroupCode": tools})

    def group() -> str:
        return env.a("getProductByCode", "MOVE")["GroupName"]

    env.a("updateProduct", {"ProductCode": "MOVE", "ProductVersion": "2"})
    assert group() == "Tools"  # no group named: kept
    env.a("updateProduct", {"ProductCode": "MOVE", "GroupName": "Games"})  # by name, from a group by code
    assert group() == "Games"
    env.a("updateProduct", {"ProductCode": "MOVE", "ProductGroupCode": tools})
    assert group() == "Tools"
    env.a("updateProduct", {"ProductCode": "MOVE", "GroupName": "General"})
    assert group() == "General"
    env.a("updateProduct", {"ProductCode": "MOVE", "ProductGroupCode": games, "GroupName": "Tools"})  # the code wins
    assert group() == "Games"
    assert [p["ProductCode"] for p in env.a("searchProducts", {"GroupName": "games"})] == ["MOVE"]


def test_set_product_status(env: Env) -> None:
    env.a("addProduct", product_data("STATUS"))
    before = env.a("getProductByCode", "STATUS")
    assert env.a("setProductStatus", "STATUS", False, None, None) is True
    assert env.a("getProductByCode", "STATUS") == {**before, "Enabled": False}
    assert env.a("setProductStatus", "STATUS", False, None, None) is True  # already disabled: true
    assert [p["ProductCode"] for p in env.a("searchProducts", {"Enabled": False})] == ["STATUS"]
    # The review fields are accepted and not kept.
    assert env.a("setProductStatus", "STATUS", True, "https://review.example/STATUS", "Please review") is True
    assert env.a("getProductByCode", "STATUS") == before
