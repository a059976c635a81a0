"""searchProducts' filters, checked and turned into what the store filters on, and the page asked for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.search import Page, check_texts, page_of
from twoco.domains.products.rules import PRODUCT_TYPES, one_of


def product_filters(search_by: Mapping[str, Any]) -> dict[str, Any]:
    """Name matches a part of the name in any case; Codes the codes given; Types REGULAR or
    BUNDLE (none: both); Enabled the status; GroupName its group's name in any case."""
    check_texts({name: value for name, value in search_by.items() if name in ("Name", "Codes", "GroupName")})
    types = [one_of("SearchBy.Types", kind, PRODUCT_TYPES) for kind in search_by.get("Types") or [] if kind]
    return {
        "Name": search_by.get("Name") or None,
        "Codes": [code for code in search_by.get("Codes") or [] if code] or None,
        "Types": types or None,
        "Enabled": search_by.get("Enabled"),
        "GroupName": search_by.get("GroupName") or None,
    }


def product_page(search_by: Mapping[str, Any], version: str) -> Page | None:
    """The page asked for. From 5.0 as every search pages (Pagination, or Limit and Page at the top
    as REST sends them); before, every match, or the first Limit of them when a Limit is given
    (the REST 3.0 sample asks for Limit=1 and counts one product)."""
    pagination = {**(search_by.get("Pagination") or {})}
    for name in ("Page", "Limit"):
        if pagination.get(name) is None and search_by.get(name) is not None:
            pagination[name] = search_by[name]
    page = page_of({"Pagination": pagination}, version)
    if page is None and pagination.get("Limit") is not None:
        return page_of({"Pagination": pagination}, "5.0")
    return page
