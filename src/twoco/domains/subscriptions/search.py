"""searchSubscriptions' filters, checked and turned into what the store filters on.

Filters on data twoco keeps are applied; the documented ones on data it does not keep (delivered
codes, renewals, notifications, modification dates, aggregated accounts, the "regularfromtrial"
type) are accepted and not applied, so a client that sends them is served rather than refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.search import check_texts, filter_date

NOT_APPLIED = (
    "DeliveredCode", "Aggregate", "RenewedAfter", "RenewedBefore", "NotificationAfter",
    "NotificationBefore", "ModifiedAfter", "ModifiedBefore",
)  # fmt: skip
SUBSCRIPTION_TYPES = {"trial": True, "regular": False, "regularfromtrial": None}  # Type -> IsTrial (None: any)
DATE_FILTERS = ("PurchasedAfter", "PurchasedBefore", "ExpireAfter", "ExpireBefore")


def subscription_filters(search_by: Mapping[str, Any]) -> dict[str, Any]:
    """searchSubscriptions' filters as the store applies them (see ``twoco.store.subscriptions``)."""
    check_texts(search_by)
    filters = {
        name: value
        for name, value in search_by.items()
        if value is not None and name not in NOT_APPLIED and name not in ("Pagination", "Type")
    }
    for name in DATE_FILTERS:
        if name in filters:
            filters[name] = filter_date(f"SearchBy.{name}", filters[name])
    if "CountryCodes" in filters:
        filters["CountryCodes"] = [code.lower() for code in filters["CountryCodes"] if code is not None]
    if "ProductCodes" in filters:
        filters["ProductCodes"] = [code for code in filters["ProductCodes"] if code is not None]
    kind = search_by.get("Type")
    if kind is not None:
        if kind.lower() not in SUBSCRIPTION_TYPES:
            raise ApiError(
                "INVALID_FIELD_VALUE", field="SearchBy.Type", reason="must be trial, regular or regularfromtrial"
            )
        filters["Trial"] = SUBSCRIPTION_TYPES[kind.lower()]
    # 0 and "" name no customer, as everywhere else.
    for name in ("AvangateCustomerReference", "ExternalCustomerReference"):
        if not filters.get(name):
            filters.pop(name, None)
    return filters
