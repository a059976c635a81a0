"""searchCustomers' filters, checked and turned into what the store filters on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.search import check_texts

STATUSES = {"active": True, "inactive": False}  # searchCustomers' Status -> Enabled


def customer_filters(search_by: Mapping[str, Any]) -> dict[str, Any]:
    """searchCustomers' filters: Email case-insensitive, Phone and Language strict, CountryCode as
    stored (lower-case), Trial, and Status (ACTIVE or INACTIVE, any case) as Enabled."""
    check_texts(search_by)
    filters = {name: search_by.get(name) for name in ("Email", "Phone", "CountryCode", "Language", "Trial")}
    if filters["CountryCode"] is not None:
        filters["CountryCode"] = filters["CountryCode"].lower()
    status = search_by.get("Status")
    if status is not None:
        if status.lower() not in STATUSES:
            raise ApiError("INVALID_FIELD_VALUE", field="SearchBy.Status", reason="must be ACTIVE or INACTIVE")
        filters["Enabled"] = STATUSES[status.lower()]
    return filters
