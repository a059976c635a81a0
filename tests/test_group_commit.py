"""SQLite's group commit (twoco.store.wal_sync) on a real store file: every write commit is
fsynced before anyone may acknowledge it, either at once or, for a caller that defers it,
by the fsync it awaits. The end-to-end guarantee (kill -9) is in tests/test_scale.py."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from twoco.store import SqlStore, open_store
from twoco.store.wal_sync import deferred_sync


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path}/group.sqlite3")
    store.migrate()
    yield store
    store.close()


def add_merchant(store: SqlStore, code: str) -> None:
    store.add_merchant(code, "secret", "2026-01-01T00:00:00+00:00")


def test_a_commit_outside_a_deferral_is_synced_before_it_returns(store: SqlStore) -> None:
    wal = store.dialect.wal_sync
    assert wal is not None
    before = wal.written
    add_merchant(store, "FIRST")
    assert wal.written == before + 1
    assert wal.synced == wal.written
    assert os.path.exists(wal.path)  # the file it fsyncs is SQLite's write-ahead log


def test_a_deferred_commit_is_synced_by_the_fsync_it_awaits(store: SqlStore) -> None:
    wal = store.dialect.wal_sync
    assert wal is not None
    with deferred_sync() as pending:
        add_merchant(store, "FIRST")
        add_merchant(store, "SECOND")
    assert pending.through == wal.written
    assert wal.synced < pending.through  # not yet durable: the caller must not answer yet
    asyncio.run(store.durable(pending))
    assert wal.synced >= pending.through


def test_one_fsync_covers_the_commits_written_before_it(store: SqlStore) -> None:
    wal = store.dialect.wal_sync
    assert wal is not None
    requests = []
    for code in ("ONE", "TWO", "THREE"):
        with deferred_sync() as pending:
            add_merchant(store, code)
        requests.append(pending)

    async def answer_all() -> None:
        await asyncio.gather(*(store.durable(pending) for pending in requests))

    asyncio.run(answer_all())
    assert wal.synced >= max(pending.through for pending in requests)


def test_a_write_transaction_that_changes_nothing_needs_no_fsync(store: SqlStore) -> None:
    wal = store.dialect.wal_sync
    assert wal is not None
    before = wal.written
    with deferred_sync() as pending, store.transaction():
        store.merchant("NOBODY")
    assert wal.written == before
    assert pending.through == 0
