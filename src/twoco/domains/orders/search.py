"""searchOrders' filters, as the store filters on them (``OrderStore.search_orders``).

As documented for ``GET orders/``: ``StartDate`` and ``EndDate`` (days, ``Y-m-d``) bound the order
date and overwrite ``Newer``; ``Newer`` (a Unix timestamp, as 2Checkout's PHP SDK sends it, or a
date) gives the orders placed since; with neither, the last 7 days, on the sandbox clock.
``IncludeTestOrders`` is YES (test orders too, the default here: a sandbox's orders are
mostly test orders; 2Checkout documents none), NO or ONLY. ``PartnerOrders`` changes nothing:
twoco has no partners.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.search import check_texts, filter_date
from twoco.core.validation import ascii_integer
from twoco.domains.orders.lifecycle import timestamp

DEFAULT_WINDOW = timedelta(days=7)
INCLUDE_TEST_ORDERS = {"YES": None, "NO": False, "ONLY": True}


def order_filters(search_by: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The store's filters: From and Until (order dates, ``YYYY-MM-DD HH:MM:SS``), Status,
    ApproveStatus, ExternalRefNo, Test (None: either)."""
    texts = {name: value for name, value in search_by.items() if name != "Pagination"}
    check_texts(texts)
    filters: dict[str, Any] = {}
    start, end = search_by.get("StartDate") or None, search_by.get("EndDate") or None
    if start is not None:
        filters["From"] = filter_date("SearchBy.StartDate", start) + " 00:00:00"
    elif search_by.get("Newer"):
        filters["From"] = _newer(str(search_by["Newer"]))
    elif end is None:
        filters["From"] = timestamp(now - DEFAULT_WINDOW)
    if end is not None:
        day = date.fromisoformat(filter_date("SearchBy.EndDate", end))
        filters["Until"] = (day + timedelta(days=1)).isoformat() + " 00:00:00"
    for name in ("Status", "ApproveStatus", "ExternalRefNo"):
        if search_by.get(name):
            filters[name] = search_by[name].upper() if name != "ExternalRefNo" else search_by[name]
    include = (search_by.get("IncludeTestOrders") or "YES").upper()
    if include not in INCLUDE_TEST_ORDERS:
        raise ApiError("INVALID_FIELD_VALUE", field="SearchBy.IncludeTestOrders", reason="must be YES, NO or ONLY")
    filters["Test"] = INCLUDE_TEST_ORDERS[include]
    return filters


def _newer(text: str) -> str:
    seconds = ascii_integer(text.strip(), 12)
    if seconds is not None:
        return timestamp(datetime.fromtimestamp(seconds, UTC))
    return filter_date("SearchBy.Newer", text) + " 00:00:00"
