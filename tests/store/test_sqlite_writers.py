"""SQLite writers in several processes (or threads) queue on the lock file beside the database.

Real SQLite files and real flock locks; each test holds the writers' lock one way and watches a
write from a second connection wait for it, then go through (or, past the busy timeout, fail
as SQLite itself would, having written nothing).
"""

from __future__ import annotations

import fcntl
import os
import threading

import pytest

from twoco.core.outage import StoreBusy
from twoco.store import open_store
from twoco.store import sqlite as sqlite_store


def _store(tmp_path, lock_timeout: float = 10.0):
    store = open_store(f"sqlite:///{tmp_path}/writers.sqlite3", lock_timeout=lock_timeout)
    store.migrate()
    return store


def _merchant_codes(store) -> list[str]:
    return sorted(merchant.code for merchant in store.merchants())


def test_a_writer_waits_for_the_one_holding_the_lock_then_writes(tmp_path) -> None:
    store = _store(tmp_path)
    holding, release = threading.Event(), threading.Event()
    events: list[str] = []

    def first_writer() -> None:
        with store.transaction():
            store.add_merchant("FIRST", "key-1", "2026-01-01T00:00:00+00:00")
            holding.set()
            release.wait(10)
            events.append("first commits")

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert holding.wait(10)

    def second_writer() -> None:
        store.add_merchant("SECOND", "key-2", "2026-01-01T00:00:00+00:00")
        events.append("second wrote")

    second = threading.Thread(target=second_writer)
    second.start()
    second.join(0.3)
    assert second.is_alive() and events == []  # it waits: the first writer holds the lock
    release.set()
    thread.join(10)
    second.join(10)
    assert events == ["first commits", "second wrote"]
    assert _merchant_codes(store) == ["FIRST", "SECOND"]
    store.close()


def test_a_writer_gives_up_after_the_lock_timeout_and_writes_nothing(tmp_path) -> None:
    store = _store(tmp_path, lock_timeout=0.2)
    # Another process's writer, as the lock sees it: a different open file holding it.
    other = os.open(f"{tmp_path}/writers.sqlite3{sqlite_store.LOCK_SUFFIX}", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreBusy) as busy:
            store.add_merchant("LATE", "key", "2026-01-01T00:00:00+00:00")
        assert busy.value.detail == "another writer held the database for 0.2 seconds"
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    assert _merchant_codes(store) == []
    store.add_merchant("LATE", "key", "2026-01-01T00:00:00+00:00")  # the lock is free again
    assert _merchant_codes(store) == ["LATE"]
    store.close()


def test_readers_do_not_wait_for_the_writers_lock(tmp_path) -> None:
    store = _store(tmp_path)
    store.add_merchant("READ", "key", "2026-01-01T00:00:00+00:00")
    other = os.open(f"{tmp_path}/writers.sqlite3{sqlite_store.LOCK_SUFFIX}", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        assert store.merchant("READ") is not None
        with store.transaction(write=False):
            assert _merchant_codes(store) == ["READ"]
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    store.close()
