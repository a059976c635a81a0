"""The change history's queries (``twoco.core.history`` says what an entry holds)."""

from __future__ import annotations

import json
from typing import Any

from twoco.core.port import HistoryEntry
from twoco.store.base import SqlBase

HISTORY_INSERT = (
    "INSERT INTO change_history (merchant_id, customer_reference, subscription_reference, changed_at,"
    " protocol, operation, changes)"
)


def history_values(merchant_id: int, entry: HistoryEntry) -> tuple[Any, ...]:
    """A history row's values but its customer_reference, in ``HISTORY_INSERT``'s order."""
    return (
        merchant_id,
        entry.subscription_reference,
        entry.when,
        entry.protocol,
        entry.operation,
        json.dumps(entry.changes),
    )


class HistoryQueries(SqlBase):
    def add_history(self, merchant_id: int, customer_references: tuple[int, ...], entry: HistoryEntry) -> None:
        """One entry in the history of each customer named (a subscription's move: old and new owner)."""
        row = history_values(merchant_id, entry)
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(customer_references))
        self._run(
            f"{HISTORY_INSERT} VALUES {values}",
            tuple(value for reference in customer_references for value in (row[0], reference, *row[1:])),
        )

    def customer_history(
        self, merchant_id: int, customer_reference: int, latest: int | None = None
    ) -> list[dict[str, Any]]:
        """A customer's entries, oldest first, its subscriptions' EndUser changes included
        (only the ``latest`` ones, if given)."""
        cursor = self._run(
            "SELECT h.id, h.changed_at, m.code, h.protocol, h.operation, h.customer_reference,"
            " h.subscription_reference, h.changes FROM change_history h JOIN merchants m ON m.id = h.merchant_id"
            f" WHERE h.merchant_id = ? AND h.customer_reference = ? ORDER BY h.id DESC{' LIMIT ?' if latest else ''}",
            (merchant_id, customer_reference, *((latest,) if latest else ())),
            write=False,
        )
        names = ("id", "time", "merchant", "protocol", "operation", "customer", "subscription", "changes")
        entries = [dict(zip(names, row)) for row in reversed(cursor.fetchall())]
        for entry in entries:
            entry["changes"] = json.loads(entry["changes"])
        return entries

    def history_size(self, merchant_id: int, customer_reference: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM change_history WHERE merchant_id = ? AND customer_reference = ?",
            (merchant_id, customer_reference),
        )
        return int(row[0]) if row else 0
