"""Stores: where merchants, sessions, customers and subscriptions live.

``open_store(url)`` picks the implementation from the URL: ``sqlite:///PATH`` (the
default, embedded) or ``postgresql://…``.
"""

from __future__ import annotations

from twoco.store.sql import DuplicateKey, Merchant, SqlStore

DEFAULT_URL = "sqlite:///twoco.sqlite3"

__all__ = ["DEFAULT_URL", "DuplicateKey", "Merchant", "SqlStore", "open_store"]


class StoreURLError(ValueError):
    pass


def open_store(url: str) -> SqlStore:
    """Open (without migrating) the store the URL names."""
    if url.startswith("sqlite:///"):
        from twoco.store.sqlite import SqliteDialect

        path = url.removeprefix("sqlite:///")
        if not path:
            raise StoreURLError("sqlite URL needs a path: sqlite:///twoco.sqlite3")
        try:
            return SqlStore(SqliteDialect(url, path))
        except OSError as error:
            raise StoreURLError(f"cannot create {path!r}: {error.strerror} (an absolute path takes four slashes: sqlite:////tmp/x.sqlite3)") from None
    raise StoreURLError(f"unsupported store URL {url!r}: use sqlite:///PATH")
