"""What every search method shares: pagination, and the checks of filter texts and dates.

searchSubscriptions (from API 4.0) and searchCustomers (6.0) take a ``SearchBy`` object; each
domain turns its filters into what its store filters on (``twoco.domains.*.search``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.schema import PAGINATED_SINCE, version_key
from twoco.core.validation import check_text, parse_date, text_limit

# "The default pagination behavior is to display page 1 with 10 results. The maximum number of
# items displayed on a single page is 200."
DEFAULT_PAGE, DEFAULT_LIMIT, MAX_LIMIT = 1, 10, 200

_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")


@dataclass(frozen=True)
class Page:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def answer(self, items: list[Any], count: int) -> dict[str, object]:
        """The paginated answer: the page's Items and Pagination{Page, Limit, Count (all matches)}."""
        return {"Items": items, "Pagination": {"Page": self.page, "Limit": self.limit, "Count": count}}


def page_of(search_by: Mapping[str, Any], version: str) -> Page | None:
    """The page asked for, with 2Checkout's defaults; None before API 5.0, which answers every match.

    A Limit over 200 is served as 200 (the documented maximum); a Page or Limit under 1 means
    nothing and is INVALID_FIELD_VALUE.
    """
    if version_key(version) < version_key(PAGINATED_SINCE):
        return None
    pagination = search_by.get("Pagination") or {}
    page = pagination.get("Page")
    limit = pagination.get("Limit")
    page = DEFAULT_PAGE if page is None else page
    limit = DEFAULT_LIMIT if limit is None else limit
    if page < 1:
        raise ApiError("INVALID_FIELD_VALUE", field="SearchBy.Pagination.Page", reason="must be 1 or more")
    if limit < 1:
        raise ApiError("INVALID_FIELD_VALUE", field="SearchBy.Pagination.Limit", reason="must be 1 or more")
    return Page(page, min(limit, MAX_LIMIT))


def check_texts(search_by: Mapping[str, Any]) -> None:
    """Filter texts follow the rules of the texts they are compared with (no control characters, the
    same length limits): no stored value could match one that breaks them, and a store could not
    even compare some."""
    for name, value in search_by.items():
        for text in value if isinstance(value, list) else [value]:
            check_text(f"SearchBy.{name}", text, text_limit(name))


def filter_date(field: str, value: str) -> str:
    """A date filter's day: ``YYYY-MM-DD``, or a date and time (the time is not compared)."""
    found = _DATE_TIME.fullmatch(value)
    day = found.group(1) if found else value
    parse_date(field, day)  # raises unless a date, which _DATE_TIME matches
    return day


def requested_page(search_by: Mapping[str, Any], version: str) -> Page | None:
    """The page a search asks for (searchProducts', searchOrders'). From 5.0 as every search pages
    (Pagination, or Limit and Page at the top as REST sends them); before, every match, or the
    first Limit of them when a Limit is given (the REST 3.0 product sample asks for Limit=1 and
    counts one product)."""
    pagination = {**(search_by.get("Pagination") or {})}
    for name in ("Page", "Limit"):
        if pagination.get(name) is None and search_by.get(name) is not None:
            pagination[name] = search_by[name]
    page = page_of({"Pagination": pagination}, version)
    if page is None and pagination.get("Limit") is not None:
        return page_of({"Pagination": pagination}, "5.0")
    return page
