"""The catalogue's queries (``twoco.domains.products.port``).

A product is kept as one JSON document (every field ``validated_product`` completed), with the
fields searches filter on, and its code and id, in columns of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from twoco.domains.products.records import ProductFields, ProductGroupRecord, ProductRecord
from twoco.store.base import SqlBase, like_pattern

_PRODUCT_SELECT = "SELECT avangate_id, document FROM products"
_GROUP_SELECT = "SELECT name, code, template_name, description, enabled FROM product_groups"


CATALOGUE_COLUMNS = ("code", "name", "product_type", "enabled", "group_name", "document")
PRODUCT_INSERT = ("avangate_id", "merchant_id", *CATALOGUE_COLUMNS)  # a new row's columns: its keys, then those


def catalogue_values(product: ProductFields) -> tuple[object, ...]:
    """The product's values of CATALOGUE_COLUMNS, in that order."""
    return (
        product["ProductCode"],
        product["ProductName"],
        product["ProductType"],
        product["Enabled"],
        product["GroupName"],
        json.dumps(product, separators=(",", ":")),
    )


class ProductQueries(SqlBase):
    def insert_product(self, merchant_id: int, avangate_id: int, product: ProductFields) -> None:
        self._insert(
            f"INSERT INTO products ({', '.join(PRODUCT_INSERT)}) VALUES ({', '.join('?' * len(PRODUCT_INSERT))})",
            (avangate_id, merchant_id, *catalogue_values(product)),
        )

    def product(self, merchant_id: int, code: str, lock: bool = False) -> ProductRecord | None:
        row = self._one(f"{_PRODUCT_SELECT} WHERE merchant_id = ? AND code = ?{self._lock(lock)}", (merchant_id, code))
        return _product_record(row) if row else None

    def product_by_id(self, merchant_id: int, avangate_id: int) -> ProductRecord | None:
        row = self._one(f"{_PRODUCT_SELECT} WHERE merchant_id = ? AND avangate_id = ?", (merchant_id, avangate_id))
        return _product_record(row) if row else None

    def has_products(self, merchant_id: int) -> bool:
        return self._one("SELECT 1 FROM products WHERE merchant_id = ? LIMIT 1", (merchant_id,)) is not None

    def replace_product(self, merchant_id: int, avangate_id: int, product: ProductFields) -> None:
        self._run(
            f"UPDATE products SET {', '.join(f'{column} = ?' for column in CATALOGUE_COLUMNS)}"
            " WHERE merchant_id = ? AND avangate_id = ?",
            (*catalogue_values(product), merchant_id, avangate_id),
        )

    def search_products(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[ProductRecord], int]:
        """One page of the merchant's products matching ``filters`` (``product_filters``), in the
        order they were added, and how many match in all."""
        conditions: list[str] = ["merchant_id = ?"]
        params: list[object] = [merchant_id]
        if filters.get("Name") is not None:
            conditions.append("lower(name) LIKE lower(?) ESCAPE '\\'")
            params.append(like_pattern(filters["Name"]))
        for name, column in (("Codes", "code"), ("Types", "product_type")):
            values = filters.get(name)
            if values:
                conditions.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if filters.get("Enabled") is not None:
            conditions.append("enabled" if filters["Enabled"] else "NOT enabled")
        if filters.get("GroupName") is not None:
            conditions.append("lower(group_name) = lower(?)")
            params.append(filters["GroupName"])
        where = " WHERE " + " AND ".join(conditions)
        count = self._one(f"SELECT COUNT(*) FROM products{where}", tuple(params))
        page = "" if limit is None else " LIMIT ? OFFSET ?"
        cursor = self._run(
            f"{_PRODUCT_SELECT}{where} ORDER BY id{page}",
            (*params, *(() if limit is None else (limit, offset))),
            write=False,
        )
        return [_product_record(row) for row in cursor.fetchall()], int(count[0]) if count else 0

    def product_currencies(self, merchant_id: int) -> list[str]:
        """Every currency the merchant's products are priced in."""
        cursor = self._run("SELECT document FROM products WHERE merchant_id = ?", (merchant_id,), write=False)
        currencies: set[str] = set()
        for (document,) in cursor.fetchall():
            for configuration in json.loads(document)["PricingConfigurations"]:
                currencies.add(configuration["DefaultCurrency"])
                prices = configuration["Prices"]
                currencies.update(price["Currency"] for price in prices["Regular"] + prices["Renewal"])
        return sorted(currencies)

    def insert_product_group(self, merchant_id: int, group: ProductGroupRecord) -> None:
        self._insert(
            "INSERT INTO product_groups (merchant_id, code, name, template_name, description, enabled)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (merchant_id, group["Code"], group["Name"], group["TemplateName"], group["Description"], group["Enabled"]),
        )

    def product_group(self, merchant_id: int, code: str) -> ProductGroupRecord | None:
        row = self._one(f"{_GROUP_SELECT} WHERE merchant_id = ? AND code = ?", (merchant_id, code))
        return _group_record(row) if row else None

    def product_groups(self, merchant_id: int) -> list[ProductGroupRecord]:
        cursor = self._run(f"{_GROUP_SELECT} WHERE merchant_id = ? ORDER BY name, code", (merchant_id,), write=False)
        return [_group_record(row) for row in cursor.fetchall()]


def _product_record(row: tuple[Any, ...]) -> ProductRecord:
    return cast(ProductRecord, {"AvangateId": row[0], **json.loads(row[1])})


def _group_record(row: tuple[Any, ...]) -> ProductGroupRecord:
    name, code, template_name, description, enabled = row
    return ProductGroupRecord(
        Name=name, Code=code, TemplateName=template_name, Description=description, Enabled=bool(enabled)
    )
