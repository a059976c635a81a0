"""Merchant isolation in the catalogue: another merchant's products and groups look like missing
ones, and nothing of theirs changes; codes are unique per merchant. Over every protocol,
generated from the registry: tests/protocols/test_isolation.py.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

from tests.data import product_data
from tests.service_env import Env, error_of


def test_another_merchants_product_is_a_missing_one(env: Env) -> None:
    group = env.a("addProductGroup", {"Name": "A's group"})
    env.a("addProduct", product_data("A-ONLY", ProductGroupCode=group))
    before = env.a("getProductByCode", "A-ONLY")
    calls = [
        ("getProductByCode", ("A-ONLY",), ("NOWHERE",)),
        ("getProductById", (before["AvangateId"],), (1_000_000,)),
        ("updateProduct", ({"ProductCode": "A-ONLY", "ProductName": "B's"},), ({"ProductCode": "NOWHERE"},)),
        ("setProductStatus", ("A-ONLY", False, None, None), ("NOWHERE", False, None, None)),
        ("getPricingConfigurations", ("A-ONLY",), ("NOWHERE",)),
        ("addProduct", ({"ProductCode": "B-1", "ProductName": "B", "ProductGroupCode": group},),
         ({"ProductCode": "B-1", "ProductName": "B", "ProductGroupCode": "NOPE"},)),
        ("addProduct", ({"ProductCode": "B-1", "ProductName": "B", "GroupName": "A's group"},),
         ({"ProductCode": "B-1", "ProductName": "B", "GroupName": "Nowhere"},)),
    ]  # fmt: skip
    for operation, theirs, nonexistent in calls:
        foreign, missing = error_of(env.b, operation, *theirs), error_of(env.b, operation, *nonexistent)
        assert foreign.code == missing.code, operation
        assert foreign.code in ("PRODUCT_NOT_FOUND", "PRODUCT_GROUP_NOT_FOUND"), operation
    assert env.b("searchProducts", {"Codes": ["A-ONLY"]}) == [] and env.b("searchProducts", None) == []
    assert env.b("searchProducts", {"GroupName": "A's group"}) == []
    assert [g["Name"] for g in env.b("getProductGroups")] == ["General"]
    assert env.a("getProductByCode", "A-ONLY") == before


def test_each_merchant_has_its_own_codes(env: Env) -> None:
    env.a("addProduct", {"ProductCode": "SHARED", "ProductName": "A's"})
    assert env.b("addProduct", {"ProductCode": "SHARED", "ProductName": "B's"}) is True
    a_product, b_product = env.a("getProductByCode", "SHARED"), env.b("getProductByCode", "SHARED")
    assert (a_product["ProductName"], b_product["ProductName"]) == ("A's", "B's")
    assert a_product["AvangateId"] != b_product["AvangateId"]
    env.b("updateProduct", {"ProductCode": "SHARED", "ProductName": "B's, renamed"})
    env.b("setProductStatus", "SHARED", False, None, None)
    assert env.a("getProductByCode", "SHARED") == a_product
    assert error_of(env.b, "getProductById", a_product["AvangateId"]).code == "PRODUCT_NOT_FOUND"
