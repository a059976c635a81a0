"""The store's common part: transactions and lone statements over a dialect, the schema and its
migrations, merchants and sessions. Each domain's queries are in a module of their own
(``customers.py``, ``subscriptions.py`` …), mixed into ``SqlStore`` (``sql.py``).

Records go in and come out as dicts keyed by the API's field names, typed by the domain that owns
them (``twoco.domains.customers.records`` …); the column names live in the store's modules only.
A dialect (``sqlite.py``, ``postgres.py``) supplies connections, transactions and the few places
where the two databases differ.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from twoco.core import green
from twoco.core.clock import iso_timestamp
from twoco.core.outage import StoreBusy, StoreHealth
from twoco.core.port import DuplicateKey, Durability, Merchant
from twoco.store.migrations import MIGRATIONS

IN_CHUNK = 500  # references per IN (...) list, well under every database's parameter limit
SESSION_MEMORY = 86400  # seconds an expired session is still told apart from an unknown one


class SchemaTooNew(Exception):
    """The store was upgraded by a newer twoco; this one must not touch it."""


class Dialect(Protocol):
    """What differs between databases: connections, transactions, locks, errors."""

    url: str
    lock_clause: str  # appended to a SELECT of rows the transaction is about to change
    autoincrement_key: str  # an auto-numbered INTEGER PRIMARY KEY
    planner_hint: str  # before a column a filter should not seek through an index with (customer search)
    row_version: str | None  # an expression of a row's version, changed by every UPDATE of it; None if none
    table_exists: str  # a query with a row if the table its one parameter names exists
    # A query of one row, true when the transaction now holds the turn its parameter (a text)
    # names, until it ends, false at once when another transaction holds it; None where writers
    # take turns at the whole store already (SQLite).
    take_turn: str | None

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Any]: ...  # yields a DB-API cursor

    @contextmanager
    def savepoint(self) -> Iterator[None]: ...  # a statement that may fail without ending the transaction

    def current_cursor(self) -> Any | None:
        """The open transaction's cursor on this thread, or None outside a transaction."""

    def autocommit_cursor(self) -> Any:
        """A cursor whose statements each commit on their own (for lone reads)."""

    def lock_migrations(self, cursor: Any) -> None: ...

    def refresh_statistics(self, tables: tuple[str, ...]) -> None:
        """Let the planner know the tables' rows anew, after a bulk load."""

    def bulk_insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
        """Insert many rows at once, inside the current transaction."""

    def is_unique_violation(self, error: Exception) -> bool | None:
        """None when ``error`` is no unique violation; else whether it hit an external reference."""

    @contextmanager
    def guarded(self, write: bool) -> Iterator[None]: ...  # driver errors of an outage become API errors

    def check_writable(self) -> None: ...  # StoreUnavailable when a write must not start (a replaced file)

    def deferred_durability(self) -> AbstractContextManager[Durability]: ...

    gives_up_calls: bool  # see ServedStore.gives_up_calls

    def end_call(self, call: green.LoopCall) -> bool:
        """Let go of what a call on the loop held (its connection); whether it had begun using the store."""

    health: StoreHealth

    def close(self) -> None: ...


def like_pattern(text: str) -> str:
    """``text`` anywhere, as a LIKE pattern with ``\\`` escaping LIKE's wildcards."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def columns(pairs: str) -> dict[str, str]:
    """``"Field:column Field2:column2"`` as {field: column}."""
    return dict(pair.split(":") for pair in pairs.split())


class SqlBase:
    # The tables a reset empties, in an order that deletes rows before those they point at.
    RESET_TABLES: tuple[str, ...] = ()  # set by SqlStore, which knows every table

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    @property
    def url(self) -> str:
        return self.dialect.url

    def close(self) -> None:
        self.dialect.close()

    def transaction(self, write: bool = True) -> AbstractContextManager[Any]:
        """One transaction, yielding a cursor; nested calls join the outer one. Rolled back on any exception."""
        return self.dialect.transaction(write)

    def deferred_durability(self) -> AbstractContextManager[Durability]:
        """Writes within return once committed, not yet durable; what they wait for is in the
        :class:`Durability` yielded (SQLite's group commit: see ``twoco.store.wal_sync``)."""
        return self.dialect.deferred_durability()

    def savepoint(self) -> AbstractContextManager[None]:
        """Part of the current transaction that an exception rolls back alone, row locks it took included."""
        return self.dialect.savepoint()

    def _run(self, sql: str, params: tuple[Any, ...] = (), write: bool = True) -> Any:
        cursor = self.dialect.current_cursor()
        if cursor is not None:  # inside a transaction already: the common, hot case
            cursor.execute(sql, params)
            return cursor
        with self.dialect.transaction(write) as cursor:
            cursor.execute(sql, params)
            return cursor

    def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One row; outside a transaction a single SELECT needs none of its own."""
        row: tuple[Any, ...] | None
        cursor = self.dialect.current_cursor()
        if cursor is not None:
            row = cursor.execute(sql, params).fetchone()
            return row
        with self.dialect.guarded(write=False):
            row = self.dialect.autocommit_cursor().execute(sql, params).fetchone()
            return row

    def _rows_among(self, select: str, params: tuple[Any, ...], column: str, values: list[Any]) -> list[Any]:
        """The rows of ``select`` (ending in a WHERE) whose ``column`` is one of ``values``, asked
        IN_CHUNK values at a time."""
        rows = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            sql = f"{select} AND {column} IN ({', '.join('?' * len(chunk))})"
            rows.extend(self._run(sql, (*params, *chunk), write=False).fetchall())
        return rows

    def _write_alone(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One statement that commits on its own, in one round trip: no BEGIN, no COMMIT. Its row, if any."""
        with self.dialect.guarded(write=True):
            self.dialect.check_writable()
            row: tuple[Any, ...] | None = self.dialect.autocommit_cursor().execute(sql, params).fetchone()
            return row

    def _insert(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            with self.transaction(), self.dialect.savepoint():
                self._run(sql, params)
        except Exception as error:
            external = self.dialect.is_unique_violation(error)
            if external is None:
                raise
            raise DuplicateKey(external) from error

    def _lock(self, lock: bool) -> str:
        return self.dialect.lock_clause if lock else ""

    @property
    def row_locks(self) -> bool:
        """Whether writers lock rows (PostgreSQL); without, one writer holds the whole store (SQLite)."""
        return bool(self.dialect.lock_clause)

    def _take_turn(self, name: str) -> bool:
        """Whether this transaction has the turn of ``name`` (held to its end): False when another
        transaction, of this process or another, has it now. Always True on SQLite, whose writers
        take turns at the whole store."""
        if self.dialect.take_turn is None:
            return True
        row = self._one(self.dialect.take_turn, (name,))
        return bool(row and row[0])

    @property
    def row_versions(self) -> bool:
        """Whether rows carry a version (PostgreSQL's xmin) that a change can be made conditional
        on: a customer is then read and changed in two round trips, with no transaction holding
        its row's lock across them (see :meth:`update_customer_unless_changed`)."""
        return self.dialect.row_version is not None

    def pause(self, seconds: float) -> None:
        """Wait before a call runs again, holding up no other call (on the loop: see ``twoco.core.green``)."""
        green.sleep(seconds)

    def in_transaction(self) -> bool:
        return self.dialect.current_cursor() is not None

    @staticmethod
    def is_conflict(error: Exception) -> bool:
        """Whether the database gave up ``error``'s transaction over a conflict (a deadlock) and
        running it again may succeed."""
        return isinstance(error, StoreBusy) and error.conflict

    @property
    def health(self) -> StoreHealth:
        return self.dialect.health

    @property
    def gives_up_calls(self) -> bool:
        return self.dialect.gives_up_calls

    def end_call(self, call: green.LoopCall) -> bool:
        return self.dialect.end_call(call)

    def probe(self) -> None:
        """Ask the store something, so that its health is current (StoreUnavailable if it is out)."""
        with self.dialect.guarded(write=False):
            self.dialect.check_writable()  # a replaced SQLite file, noticed even with no write
            self.dialect.autocommit_cursor().execute("SELECT 1").fetchone()

    # --- schema ---------------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema's version; 0 for a store without one. It creates nothing (``serve --no-upgrade``)."""
        with self.transaction(write=False) as cursor:
            cursor.execute(self.dialect.table_exists, ("schema_version",))
            if cursor.fetchone() is None:
                return 0
            cursor.execute("SELECT version FROM schema_version")
            row = cursor.fetchone()
            return row[0] if row else 0

    def migrate(self) -> int:
        """Apply the migrations this store lacks, in one transaction; returns the new version."""
        with self.transaction() as cursor:
            self.dialect.lock_migrations(cursor)
            cursor.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = self.schema_version()
            if current > len(MIGRATIONS):
                raise SchemaTooNew(
                    f"the store's schema is at version {current}, newer than this twoco knows ({len(MIGRATIONS)}):"
                    " upgrade twoco"
                )
            for statements in MIGRATIONS[current:]:
                for statement in statements:
                    cursor.execute(statement.replace("AUTOINCREMENT_KEY", self.dialect.autoincrement_key))
            cursor.execute("DELETE FROM schema_version")
            cursor.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
            return len(MIGRATIONS)

    # --- merchants ------------------------------------------------------------------

    def add_merchant(self, code: str, secret_key: str, created_at: str | None = None) -> None:
        """A new merchant; ``created_at`` (ISO 8601) defaults to now, by the computer's clock."""
        created_at = created_at or iso_timestamp(time.time())
        self._insert(
            "INSERT INTO merchants (code, secret_key, created_at) VALUES (?, ?, ?)", (code, secret_key, created_at)
        )

    def merchant(self, code: str) -> Merchant | None:
        row = self._one("SELECT id, code, secret_key, created_at FROM merchants WHERE code = ?", (code,))
        return Merchant(*row) if row else None

    def rotate_secret_key(self, code: str, secret_key: str, end_sessions: bool) -> int | None:
        """Give a merchant a new secret key (and end its sessions); the number of sessions ended,
        None if no such merchant."""
        with self.transaction() as cursor:
            cursor.execute("UPDATE merchants SET secret_key = ? WHERE code = ?", (secret_key, code))
            if cursor.rowcount != 1:
                return None
            if not end_sessions:
                return 0
            cursor.execute(
                "DELETE FROM sessions WHERE merchant_id = (SELECT id FROM merchants WHERE code = ?)", (code,)
            )
            ended: int = cursor.rowcount
            return ended

    def merchant_code(self, merchant_id: int) -> str | None:
        row = self._one("SELECT code FROM merchants WHERE id = ?", (merchant_id,))
        return row[0] if row else None

    def merchants(self) -> list[Merchant]:
        rows = self._run("SELECT id, code, secret_key, created_at FROM merchants ORDER BY code", write=False)
        return [Merchant(*row) for row in rows.fetchall()]

    def reset(self, merchant_id: int | None) -> dict[str, int]:
        """Delete the rows of every table in ``RESET_TABLES`` of one merchant (None: of all): all but
        the merchants. Returns how many of each went."""
        where, params = ("WHERE merchant_id = ?", (merchant_id,)) if merchant_id is not None else ("", ())
        deleted = {}
        with self.transaction() as cursor:
            if self.row_locks:
                # PostgreSQL: no write commits between two DELETEs (a customer and its new
                # subscription between those of subscriptions and customers would break the key).
                cursor.execute(f"LOCK TABLE {', '.join(self.RESET_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
            for table in self.RESET_TABLES:
                cursor.execute(f"DELETE FROM {table} {where}", params)
                deleted[table] = cursor.rowcount
        return deleted

    # --- sessions -------------------------------------------------------------------

    def add_session(self, token_hash: str, merchant_id: int, version: str, expires_at: float, now: float) -> None:
        with self.transaction() as cursor:
            # Sessions a day past expiry are swept as new ones arrive, so the table stays small.
            cursor.execute("DELETE FROM sessions WHERE expires_at < ?", (now - SESSION_MEMORY,))
            cursor.execute(
                "INSERT INTO sessions (token_hash, merchant_id, api_version, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash, merchant_id, version, expires_at),
            )

    def session(self, token_hash: str) -> tuple[int, str, float, str] | None:
        """(merchant id, API version, expiry time, merchant code) of a session, or None."""
        row = self._one(
            "SELECT s.merchant_id, s.api_version, s.expires_at, m.code FROM sessions s"
            " JOIN merchants m ON m.id = s.merchant_id WHERE s.token_hash = ?",
            (token_hash,),
        )
        return (row[0], row[1], row[2], row[3]) if row else None
