"""The queries a call runs on every request seek by index (SQLite keeps no statistics, so its
planner can pick an index that walks every row of the merchant: the plans are checked here)."""

from __future__ import annotations

from twoco.store import open_store


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
