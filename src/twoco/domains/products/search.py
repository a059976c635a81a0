"""searchProducts' filters, checked and turned into what the store filters on, and the page asked for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.search import check_texts
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
