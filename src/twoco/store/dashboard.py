"""The dashboard's queries (``twoco.sandbox.dashboard``): merchants at a glance, customers by text,
which product codes a catalogue holds, a merchant's or a customer's orders."""

from __future__ import annotations

import json
from typing import Any

from twoco.core.validation import internal_reference
from twoco.store.base import SqlBase


class DashboardQueries(SqlBase):
    def _lower(self, text: str) -> str:
        """``text`` lowered as the database lowers it (SQLite: ASCII letters only), to match its indexes."""
        row = self._one("SELECT lower(?)", (text,))
        assert row is not None  # for mypy: a SELECT without FROM answers one row
        return str(row[0])

    def merchant_overview(self) -> list[tuple[str, str, int, int, int]]:
        """(code, created, number of customers, of products, of orders) of every merchant; never a secret key."""
        cursor = self._run(
            "SELECT m.code, m.created_at, (SELECT COUNT(*) FROM customers c WHERE c.merchant_id = m.id),"
            " (SELECT COUNT(*) FROM products p WHERE p.merchant_id = m.id),"
            " (SELECT COUNT(*) FROM orders o WHERE o.merchant_id = m.id)"
            " FROM merchants m ORDER BY m.code",
            write=False,
        )
        return [
            (code, created, int(customers), int(products), int(orders))
            for code, created, customers, products, orders in cursor.fetchall()
        ]

    def dashboard_orders(
        self,
        merchant_id: int,
        status: str | None = None,
        test: bool | None = None,
        customer: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """A page of the merchant's orders, newest first, of every date (searchOrders' own query keeps
        to a window of dates): by status, test flag and completed customer when given (None: any).
        Each as a row of the orders table (ref_no, order_date, status, approve_status, test,
        customer_reference) with what the list shows of its document: the gross total, the
        currency, the customer it names before it completes (``named``: reference, external)."""
        conditions = ["merchant_id = ?"]
        params: list[object] = [merchant_id]
        for column, value in (("status", status), ("test_order", test), ("customer_reference", customer)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        # Walks orders_by_date (merchant_id, order_date, id) backwards, filtering as it goes; a
        # customer's orders, orders_by_customer (merchant_id, customer_reference, order_date).
        cursor = self._run(
            "SELECT ref_no, order_date, status, approve_status, test_order, customer_reference, document"
            f" FROM orders WHERE {' AND '.join(conditions)} ORDER BY order_date DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
            write=False,
        )
        found = []
        for ref_no, date, status_, approve, test_order, customer_reference, document in cursor.fetchall():
            fields = json.loads(document)
            named = fields.get("_customer") or {}
            found.append(
                {
                    "ref_no": ref_no,
                    "order_date": date,
                    "status": status_,
                    "approve_status": approve,
                    "test": bool(test_order),
                    "customer_reference": customer_reference,
                    "gross_price": fields["GrossPrice"],
                    "currency": str(fields["Currency"]).upper(),
                    "named": (named.get("reference"), named.get("external")),
                }
            )
        return found

    def catalogued(self, merchant_id: int, codes: list[str]) -> set[str]:
        """Those of ``codes`` that are product codes of the merchant's catalogue."""
        rows = self._rows_among("SELECT code FROM products WHERE merchant_id = ?", (merchant_id,), "code", codes)
        return {code for (code,) in rows}

    def search_customers(self, text: str, merchant_id: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` customers ``text`` names, best matches first, each found through an index:
        either reference exactly, then a case-insensitive prefix of the email, the last name, the
        first name, or "first last". Empty text lists customers by reference.
        """
        select = (
            "SELECT m.code, c.reference, c.external_reference, c.first_name, c.last_name, c.email, c.country_code"
            " FROM customers c JOIN merchants m ON m.id = c.merchant_id WHERE "
        )
        merchant = f" AND {self.dialect.planner_hint}c.merchant_id = ?"
        only = (merchant, (merchant_id,)) if merchant_id is not None else ("", ())
        searches: list[tuple[str, tuple[Any, ...]]] = []
        if not text:
            searches.append(("1 = 1", ()))
        reference = internal_reference(text)
        if reference is not None:
            searches.append(("c.reference = ?", (reference,)))
        if text:
            searches.append(("c.external_reference = ?", (text,)))
            lowered = self._lower(text)
            for column in ("email", "last_name", "first_name"):
                searches.append(_prefix(f"c.{column}", lowered))
            first, _, last = lowered.partition(" ")
            if first and last.strip():  # walks the last-name prefix, filtering on the first name
                condition, params = _prefix("c.last_name", last.strip())
                searches.append(
                    (f"{condition} AND {self.dialect.planner_hint}lower(c.first_name) = ?", (*params, first))
                )
        found: dict[tuple[str, int], dict[str, Any]] = {}
        names = ("merchant", "reference", "external", "first_name", "last_name", "email", "country_code")
        for condition, params in searches:
            order = condition.split(" ", 1)[0] if condition.startswith("lower(") else "c.reference"
            cursor = self._run(
                f"{select}{condition}{only[0]} ORDER BY {order}, c.reference LIMIT ?",
                (*params, *only[1], limit),
                write=False,
            )
            for row in cursor.fetchall():
                found.setdefault((row[0], row[1]), dict(zip(names, row)))
            if len(found) >= limit:
                break
        return list(found.values())[:limit]


def _prefix(column: str, lowered: str) -> tuple[str, tuple[Any, ...]]:
    """``lower(column)`` starts with ``lowered`` (lowered by the database), as a range the index on
    lower(column) answers in order: from the prefix to the prefix with its last character
    incremented. Exact in code-point order (SQLite, PostgreSQL's C collations); a linguistic
    collation may add the odd string that sorts inside the range without starting with it.
    """
    if ord(lowered[-1]) >= 0x10FFFF:
        return f"lower({column}) >= ? AND substr(lower({column}), 1, ?) = ?", (lowered, len(lowered), lowered)
    return f"lower({column}) >= ? AND lower({column}) < ?", (lowered, lowered[:-1] + chr(ord(lowered[-1]) + 1))
