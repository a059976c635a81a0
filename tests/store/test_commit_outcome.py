"""A write whose COMMIT got no answer says so: STORE_UNCONFIRMED, never STORE_UNAVAILABLE.

Measured under load before this: after ``pg_ctl restart -m immediate``, an update answered
STORE_UNAVAILABLE ("the request changed nothing") had in fact been committed. Here the database
connection is lost exactly at COMMIT, for real: a deferred constraint trigger terminates its own
backend when the transaction commits. The same loss before COMMIT changed nothing, and says so.
"""

from __future__ import annotations

import pytest

from tests.servers import POSTGRES_ONLY, new_store_url
from twoco.core.outage import StoreUnavailable, StoreUnconfirmed
from twoco.store import open_store

_BOMB = (
    "CREATE TABLE commit_bomb (id INTEGER)",
    "CREATE FUNCTION end_own_backend() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON commit_bomb DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION end_own_backend()",
)


@pytest.fixture
def store(tmp_path, store_kind):
    opened = open_store(new_store_url(store_kind, tmp_path))
    opened.migrate()
    for statement in _BOMB:
        opened.dialect.autocommit_cursor().execute(statement)
    yield opened
    opened.close()


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_connection_lost_at_commit_is_unconfirmed(store) -> None:
    with pytest.raises(StoreUnconfirmed) as unconfirmed:
        with store.transaction() as cursor:
            cursor.execute("INSERT INTO commit_bomb VALUES (1)")
    assert unconfirmed.value.code == "STORE_UNCONFIRMED"
    assert "COMMIT" in unconfirmed.value.detail
    assert store.health.state == "down"
    store.add_merchant("AFTER", "after-secret-key")  # the next call reconnects
    assert store.merchant("AFTER") is not None


@pytest.mark.parametrize("store_kind", POSTGRES_ONLY)
def test_a_connection_lost_before_commit_changed_nothing(store) -> None:
    with pytest.raises(StoreUnavailable) as unavailable:
        with store.transaction() as cursor:
            cursor.execute("INSERT INTO merchants (code, secret_key, created_at) VALUES ('GONE', 'k', 'now')")
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert unavailable.value.code == "STORE_UNAVAILABLE"
    assert store.merchant("GONE") is None
