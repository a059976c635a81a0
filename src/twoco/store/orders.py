"""The order domain's queries (``twoco.domains.orders.port``), and the merchants' sandbox settings.

An order is kept as one JSON document (the Order as answered) with its status history, and
beside them, in columns, what searchOrders filters on and what falls due.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twoco.domains.orders.records import StoredOrder
from twoco.store.base import SqlBase

_COLUMNS = (
    "ref_no", "status", "approve_status", "test_order", "order_date", "external_reference",
    "customer_reference", "due_at", "payment_token", "document", "history",
)  # fmt: skip
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM orders"


def _values(order: StoredOrder) -> tuple[object, ...]:
    return (
        order.ref_no,
        order.status,
        order.approve_status,
        order.test,
        order.order_date,
        order.external_reference,
        order.customer_reference,
        order.due_at,
        order.payment_token,
        json.dumps(order.document, separators=(",", ":")),
        json.dumps(order.history, separators=(",", ":")),
    )


def _order(row: tuple[Any, ...]) -> StoredOrder:
    ref_no, status, approve, test, date, external, customer, due_at, token, document, history = row
    return StoredOrder(
        ref_no, status, approve, bool(test), date, external, json.loads(document), json.loads(history),
        customer, due_at, token,
    )  # fmt: skip


class OrderQueries(SqlBase):
    def insert_order(self, merchant_id: int, order: StoredOrder) -> None:
        names = ("merchant_id", *_COLUMNS)
        self._insert(
            f"INSERT INTO orders ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            (merchant_id, *_values(order)),
        )

    def order(self, merchant_id: int, ref_no: int, lock: bool = False) -> StoredOrder | None:
        row = self._one(f"{_SELECT} WHERE merchant_id = ? AND ref_no = ?{self._lock(lock)}", (merchant_id, ref_no))
        return _order(row) if row else None

    def order_by_token(self, token: str, lock: bool = False) -> tuple[int, StoredOrder] | None:
        """(merchant id, order) of the order a 3-D Secure or PayPal page's link names."""
        row = self._one(
            f"SELECT merchant_id, {', '.join(_COLUMNS)} FROM orders WHERE payment_token = ?{self._lock(lock)}",
            (token,),
        )
        return (row[0], _order(row[1:])) if row else None

    def save_order(self, merchant_id: int, order: StoredOrder) -> None:
        """Write an order's every column anew (its RefNo names it)."""
        changed = _COLUMNS[1:]
        self._run(
            f"UPDATE orders SET {', '.join(f'{column} = ?' for column in changed)}"
            " WHERE merchant_id = ? AND ref_no = ?",
            (*_values(order)[1:], merchant_id, order.ref_no),
        )

    def due_orders(self, merchant_id: int | None, now: float, limit: int) -> list[tuple[int, int]]:
        """(merchant id, RefNo) of the orders due by ``now`` (of one merchant, or all), soonest first."""
        mine = "" if merchant_id is None else " AND merchant_id = ?"
        cursor = self._run(
            f"SELECT merchant_id, ref_no FROM orders WHERE due_at <= ?{mine} ORDER BY due_at, id LIMIT ?",
            (now, *(() if merchant_id is None else (merchant_id,)), limit),
            write=False,
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]

    def search_orders(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[StoredOrder], int]:
        """One page of the merchant's orders matching ``filters`` (``order_filters``), newest
        first, and how many match in all."""
        conditions = ["merchant_id = ?"]
        params: list[object] = [merchant_id]
        for name, column, operator in (
            ("From", "order_date", ">="),
            ("Until", "order_date", "<"),
            ("Status", "status", "="),
            ("ApproveStatus", "approve_status", "="),
            ("ExternalRefNo", "external_reference", "="),
            ("Test", "test_order", "="),
        ):
            if filters.get(name) is not None:
                conditions.append(f"{column} {operator} ?")
                params.append(filters[name])
        where = " WHERE " + " AND ".join(conditions)
        count = self._one(f"SELECT COUNT(*) FROM orders{where}", tuple(params))
        page = "" if limit is None else " LIMIT ? OFFSET ?"
        cursor = self._run(
            f"{_SELECT}{where} ORDER BY order_date DESC, id DESC{page}",
            (*params, *(() if limit is None else (limit, offset))),
            write=False,
        )
        return [_order(row) for row in cursor.fetchall()], int(count[0]) if count else 0

    def merchant_settings(self, merchant_id: int) -> dict[str, Any]:
        row = self._one("SELECT settings FROM merchants WHERE id = ?", (merchant_id,))
        return dict(json.loads(row[0])) if row else {}

    def set_merchant_settings(self, merchant_id: int, settings: Mapping[str, Any]) -> None:
        self._run("UPDATE merchants SET settings = ? WHERE id = ?", (json.dumps(dict(settings)), merchant_id))
