"""Stores: where merchants, sessions, customers and subscriptions live.

``open_store(url)`` picks the dialect from the URL: ``sqlite:///PATH`` (the default,
embedded) or ``postgresql://…`` (psycopg 3); the queries are the same for both.
"""

from __future__ import annotations

from twoco.core.port import DuplicateKey, Merchant
from twoco.store.sql import SchemaTooNew, SqlStore

DEFAULT_URL = "sqlite:///twoco.sqlite3"
STATEMENT_TIMEOUT = 15.0  # seconds a PostgreSQL statement may run (serve --store-timeout)
LOCK_TIMEOUT = 10.0  # seconds a write waits for a lock another holds, then STORE_BUSY
# A server's PostgreSQL call waits briefly for a row lock, since it holds a connection meanwhile,
# then rolls back and is retried later (twoco.server.app). (A SQLite call waits for its turn on
# the event loop, holding nothing: for the whole of serve --lock-wait.)
SERVER_ROW_LOCK_TIMEOUT = 0.2

__all__ = [
    "DEFAULT_URL",
    "LOCK_TIMEOUT",
    "SERVER_ROW_LOCK_TIMEOUT",
    "STATEMENT_TIMEOUT",
    "DuplicateKey",
    "Merchant",
    "SchemaTooNew",
    "SqlStore",
    "StoreURLError",
    "open_store",
    "store_kind",
]


class StoreURLError(ValueError):
    pass


def store_kind(url: str) -> str:
    """ "sqlite" or "postgresql": the database a store URL names (StoreURLError if neither)."""
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    raise StoreURLError(f"unsupported store URL {url[:60]!r}: use sqlite:///PATH or postgresql://…")


def open_store(url: str, statement_timeout: float = STATEMENT_TIMEOUT, lock_timeout: float = LOCK_TIMEOUT) -> SqlStore:
    """Open (without migrating) the store the URL names; ``statement_timeout`` (seconds) bounds
    PostgreSQL's statements, ``lock_timeout`` a write's wait for a lock another write holds."""
    if store_kind(url) == "sqlite":
        from twoco.store.sqlite import SqliteDialect

        path = url.removeprefix("sqlite:///")
        if not path:
            raise StoreURLError("sqlite URL needs a path: sqlite:///twoco.sqlite3")
        try:
            return SqlStore(SqliteDialect(url, path, lock_timeout))
        except OSError as error:
            raise StoreURLError(
                f"cannot create {path!r}: {error.strerror} (an absolute path takes four slashes: sqlite:////tmp/x.sqlite3)"
            ) from None
    from twoco.store.postgres import PostgresDialect

    try:
        return SqlStore(PostgresDialect(url, statement_timeout, lock_timeout))
    except Exception as error:  # psycopg.OperationalError and friends: say why, briefly
        raise StoreURLError(f"cannot connect to PostgreSQL: {str(error).strip().splitlines()[0]}") from None
