"""searchProducts: each filter, their combination, and the answer's shape by version: every match
(or the first Limit) as a bare array before 5.0, one page ``{Items, Pagination}`` from 5.0.

Unit tests of twoco.core.service without any server or wire format, on the environment of
tests/service_env.py: a Service over a fresh store with merchants A and B logged in, a clock
standing still at 2026-06-01 12:00:00 UTC and a seeded reference generator.
"""

from __future__ import annotations

import pytest

from tests.service_env import Env, Session, error_of


@pytest.fixture
def catalogue(env: Env) -> list[str]:
    """Four products of A's, in the order added, and one of B's that no search of A's finds."""
    env.a("addProductGroup", {"Name": "Office"})
    sent = [
        {"ProductCode": "WORD", "ProductName": "Word Processor", "GroupName": "Office"},
        {"ProductCode": "SHEET", "ProductName": "Spreadsheet", "GroupName": "Office", "Enabled": False},
        {"ProductCode": "SUITE", "ProductName": "Office Suite", "ProductType": "BUNDLE"},
        {"ProductCode": "GAME", "ProductName": "100% Game_", "Enabled": True},
    ]
    for product in sent:
        env.a("addProduct", product)
    env.b("addProduct", {"ProductCode": "B-WORD", "ProductName": "Word of B"})
    return [product["ProductCode"] for product in sent]  # type: ignore[misc]


def found(session: Session, search: dict | None) -> list[str]:
    answer = session("searchProducts", search)
    items = answer["Items"] if session.version >= "5.0" else answer
    return [product["ProductCode"] for product in items]


def test_every_product_in_the_order_added(env: Env, catalogue: list[str]) -> None:
    assert found(env.a, None) == catalogue and found(env.a, {}) == catalogue
    assert env.a("searchProducts", {"Codes": ["WORD"]}) == [env.a("getProductByCode", "WORD")]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ({"Name": "office"}, ["SUITE"]),  # a part of the name, in any case
        ({"Name": "PROCESS"}, ["WORD"]),
        ({"Name": "%"}, ["GAME"]),  # LIKE's wildcards are plain characters
        ({"Name": "_"}, ["GAME"]),
        ({"Name": "nothing like it"}, []),
        ({"Codes": ["SHEET", "GAME", "NONE"]}, ["SHEET", "GAME"]),
        ({"Codes": ["word"]}, []),  # codes are exact
        ({"Codes": ["B-WORD"]}, []),  # B's
        ({"Types": ["BUNDLE"]}, ["SUITE"]),
        ({"Types": ["regular"]}, ["WORD", "SHEET", "GAME"]),
        ({"Types": ["REGULAR", "BUNDLE"]}, ["WORD", "SHEET", "SUITE", "GAME"]),
        ({"Enabled": False}, ["SHEET"]),
        ({"Enabled": True}, ["WORD", "SUITE", "GAME"]),
        ({"GroupName": "office"}, ["WORD", "SHEET"]),
        ({"GroupName": "General"}, ["SUITE", "GAME"]),
        ({"GroupName": "Off"}, []),  # a group's whole name
        ({"GroupName": "Office", "Enabled": True, "Types": ["REGULAR"], "Name": "word"}, ["WORD"]),
        ({"Name": None, "Codes": None, "Types": None, "Enabled": None, "GroupName": None}, None),
    ],
)
def test_filters(env: Env, catalogue: list[str], search: dict, expected: list[str] | None) -> None:
    assert found(env.a, search) == (catalogue if expected is None else expected)


def test_an_unknown_type_is_refused(env: Env, catalogue: list[str]) -> None:
    error = error_of(env.a, "searchProducts", {"Types": ["REGULAR", "DIGITAL"]})
    assert (error.code, "Types" in error.message) == ("INVALID_FIELD_VALUE", True)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_before_5_0_a_bare_array_honouring_limit(env: Env, catalogue: list[str], version: str) -> None:
    a = env.a_at(version)
    assert a("searchProducts", {}) == [env.a("getProductByCode", code) for code in catalogue]
    assert found(a, {"Limit": 1}) == catalogue[:1]  # the REST 3.0 sample's Limit=1
    assert found(a, {"Limit": 2, "Page": 2}) == catalogue[2:]
    assert found(a, {"Limit": 1, "Enabled": True, "Types": ["REGULAR"]}) == ["WORD"]
    assert error_of(a, "searchProducts", {"Limit": 0}).code == "INVALID_FIELD_VALUE"


@pytest.mark.parametrize("version", ["5.0", "6.0"])
def test_from_5_0_one_page(env: Env, catalogue: list[str], version: str) -> None:
    a = env.a_at(version)
    first = a("searchProducts", None)
    assert [p["ProductCode"] for p in first["Items"]] == catalogue
    assert first["Pagination"] == {"Page": 1, "Limit": 10, "Count": 4}
    second = a("searchProducts", {"Pagination": {"Page": 2, "Limit": 3}})
    assert [p["ProductCode"] for p in second["Items"]] == catalogue[3:]
    assert second["Pagination"] == {"Page": 2, "Limit": 3, "Count": 4}
    top_level = a("searchProducts", {"Limit": 1, "Enabled": False})  # REST sends Limit and Page so
    assert [p["ProductCode"] for p in top_level["Items"]] == ["SHEET"]
    assert top_level["Pagination"] == {"Page": 1, "Limit": 1, "Count": 1}
    past = a("searchProducts", {"Pagination": {"Page": 9, "Limit": 3}})
    assert past == {"Items": [], "Pagination": {"Page": 9, "Limit": 3, "Count": 4}}
    for bad in ({"Limit": 0}, {"Page": 0}, {"Page": -1, "Limit": 5}):
        assert error_of(a, "searchProducts", {"Pagination": bad}).code == "INVALID_FIELD_VALUE", bad
