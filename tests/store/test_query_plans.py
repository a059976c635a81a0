"""The queries a call runs on every request seek by index (SQLite keeps no statistics, so its
planner can pick an index that walks every row of the merchant: the plans are checked here)."""

from __future__ import annotations

import random

import pytest

from tests.servers import POSTGRES_ONLY, new_store_url
from twoco.store import open_store
from twoco.store.bulk import populate


def test_a_customers_status_reads_only_its_own_subscriptions(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/plans.sqlite3")
    store.migrate()
    try:
        sql = f"EXPLAIN QUERY PLAN {store._customer_with_status} WHERE merchant_id = ? AND reference = ?"
        with store.transaction(write=False) as cursor:
            plan = [row[-1] for row in cursor.execute(sql, ("2026-12-01", "2026-12-01", 1, 1)).fetchall()]
        searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
        assert searches[0] == "SEARCH customers USING INTEGER PRIMARY KEY (rowid=?)", plan
        subscription_steps = searches[1:]
        assert len(subscription_steps) == 2, plan  # the active count and the trial count
        for step in subscription_steps:
            assert step == "SEARCH s USING INDEX subscriptions_by_customer (customer_reference=?)", plan
    finally:
        store.close()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_bulk_load_leaves_postgresql_statistics_of_its_rows(store_kind, tmp_path) -> None:
    """Without them, right after `twoco populate` of a million customers, the planner read each
    customer's status through the merchant's index: 34 ms a getCustomerInformation, not 0.2 ms."""
    store = open_store(new_store_url(store_kind, tmp_path))
    store.migrate()
    store.add_merchant("PLAN", "plan-secret", "2026-01-01T00:00:00+00:00")
    try:
        populate(store, store.merchant("PLAN").id, 500, 1, random.Random(1))
        with store.transaction(write=False) as cursor:
            analyzed = cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL ORDER BY relname"
            ).fetchall()
        assert {"customers", "subscriptions"} <= {name for (name,) in analyzed}
    finally:
        store.close()
