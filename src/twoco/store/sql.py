"""The store: every query twoco makes, written once for SQLite and PostgreSQL.

Records go in and come out as dicts keyed by the API's field names; the column names
live only here. A dialect (``sqlite.py``, ``postgres.py``) supplies connections,
transactions and the few places where the two databases differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

from twoco.core.schema import END_USER_FIELDS, SUBSCRIPTION_FLAGS
from twoco.core.validation import internal_reference
from twoco.store import green
from twoco.store.connections import Durability
from twoco.store.interface import ROW_VERSION, STATUS, DuplicateKey, HistoryEntry, Merchant
from twoco.store.migrations import MIGRATIONS
from twoco.store.outage import StoreBusy, StoreHealth

_R = TypeVar("_R")
_IN_CHUNK = 500  # references per IN (...) list, well under every database's parameter limit
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

    async def run_on_loop(self, function: Callable[..., _R], *args: Any, limit: float) -> _R:
        """``function(*args)``, a call the server runs on its event loop; given up after ``limit`` seconds."""

    health: StoreHealth

    def close(self) -> None: ...


def _columns(pairs: str) -> dict[str, str]:
    return dict(pair.split(":") for pair in pairs.split())


CUSTOMER_COLUMNS = _columns(
    "AvangateCustomerReference:reference ExternalCustomerReference:external_reference FirstName:first_name "
    "LastName:last_name Company:company FiscalCode:fiscal_code Address1:address1 Address2:address2 City:city "
    "State:state Zip:zip CountryCode:country_code Phone:phone Fax:fax Email:email Language:language"
)
CREDIT_COLUMNS = _columns("Limit:credit_limit Remaining:credit_remaining Currency:credit_currency")
END_USER_COLUMNS = {name: "end_user_" + CUSTOMER_COLUMNS[name] for name in END_USER_FIELDS}
PRODUCT_COLUMNS = _columns(
    "ProductCode:product_code ProductId:product_id ProductName:product_name ProductVersion:product_version "
    "ProductQuantity:product_quantity PriceOptionCodes:price_option_codes"
)
SUBSCRIPTION_COLUMNS = _columns(
    "SubscriptionReference:reference StartDate:start_date ExpirationDate:expiration_date "
    "RecurringEnabled:recurring_enabled SubscriptionEnabled:subscription_enabled SKU:sku "
    "ReceiveNotifications:receive_notifications Lifetime:lifetime PartnerCode:partner_code "
    "TestSubscription:test_subscription IsTrial:is_trial ExternalSubscriptionReference:external_reference "
    "ActivationDate:activation_date DeliveryInfo:delivery_info NextRenewalPrice:next_renewal_price "
    "NextRenewalPriceCurrency:next_renewal_price_currency SubscriptionValue:subscription_value "
    "SubscriptionValueCurrency:subscription_value_currency "
    "CustomPriceBillingCyclesLeft:custom_price_billing_cycles_left"
)
_JSON_FIELDS = {"DeliveryInfo"}  # objects kept as JSON text

_CUSTOMER_SELECT = "SELECT " + ", ".join([*CUSTOMER_COLUMNS.values(), *CREDIT_COLUMNS.values()]) + " FROM customers"
# A customer's status (see customer_status) as two more columns of its SELECT: one query, not two.
# The customer's own subscriptions, found by their customer_reference index: the hint keeps
# SQLite's planner (no statistics) from walking every subscription of the merchant instead.
_ACTIVE_SUBSCRIPTIONS = (
    "FROM subscriptions s WHERE {hint}s.merchant_id = customers.merchant_id"
    " AND s.customer_reference = customers.reference"
    " AND s.subscription_enabled AND (s.lifetime OR s.expiration_date >= ?)"
)
_STATUS_COLUMNS = (  # named, for the customer search that filters on them
    f", (SELECT COUNT(*) {_ACTIVE_SUBSCRIPTIONS}) AS active,"
    f" (SELECT COALESCE(SUM(CASE WHEN s.is_trial THEN 1 ELSE 0 END), 0) {_ACTIVE_SUBSCRIPTIONS}) AS trials"
)

SSO_TOKEN_FIELDS = ("customer_reference", "kind", "target", "request", "language", "validation_ip", "expires_at")
_SUBSCRIPTION_SELECT = (
    "SELECT "
    + ", ".join(
        "s." + column
        for column in [*SUBSCRIPTION_COLUMNS.values(), *PRODUCT_COLUMNS.values(), *END_USER_COLUMNS.values()]
    )
    + ", c.reference, c.external_reference FROM subscriptions s JOIN customers c ON c.reference = s.customer_reference"
)


class SqlStore:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._customer_with_status = _CUSTOMER_SELECT.replace(
            " FROM customers", _STATUS_COLUMNS.replace("{hint}", dialect.planner_hint) + " FROM customers"
        )
        # Read only where rows have versions (PostgreSQL's xmin): see update_customer_unless_changed.
        version = dialect.row_version
        self._customer_with_version = (
            _CUSTOMER_SELECT.replace(" FROM customers", f", {version} FROM customers") if version else ""
        )

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

    def add_merchant(self, code: str, secret_key: str, created_at: str) -> None:
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
        """Delete the customers, subscriptions, sessions, change history and SSO tokens of one merchant (None: of all).

        Returns how many of each went."""
        where, params = ("WHERE merchant_id = ?", (merchant_id,)) if merchant_id is not None else ("", ())
        deleted = {}
        with self.transaction() as cursor:
            # subscriptions point at customers
            for table in ("subscriptions", "customers", "sessions", "change_history", "sso_tokens"):
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

    def session(self, token_hash: str) -> tuple[int, str, float] | None:
        """(merchant id, API version, expiry time) of a session, or None."""
        row = self._one("SELECT merchant_id, api_version, expires_at FROM sessions WHERE token_hash = ?", (token_hash,))
        return (row[0], row[1], row[2]) if row else None

    # --- single sign-on tokens (twoco.core.sso) ----------------------------------------------

    def add_sso_token(self, token_hash: str, merchant_id: int, token: Mapping[str, Any], now: float) -> None:
        with self.transaction() as cursor:
            # Tokens a day past expiry are swept as new ones arrive, as sessions are.
            cursor.execute("DELETE FROM sso_tokens WHERE expires_at < ?", (now - SESSION_MEMORY,))
            columns = ("token_hash", "merchant_id", *SSO_TOKEN_FIELDS)
            cursor.execute(
                f"INSERT INTO sso_tokens ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                (token_hash, merchant_id, *(token[name] for name in SSO_TOKEN_FIELDS)),
            )

    def sso_token(self, token_hash: str) -> dict[str, Any] | None:
        """A token by digest: merchant_id and the ``SSO_TOKEN_FIELDS``, with used_at; None if unknown."""
        row = self._one(
            f"SELECT merchant_id, {', '.join(SSO_TOKEN_FIELDS)}, used_at FROM sso_tokens WHERE token_hash = ?",
            (token_hash,),
        )
        return dict(zip(("merchant_id", *SSO_TOKEN_FIELDS, "used_at"), row)) if row else None

    def spend_sso_token(self, token_hash: str, now: float) -> bool:
        """Mark a token used; False when it already was. One UPDATE with the condition in it, so of
        two requests racing for one token exactly one sees its row change (SQLite and PostgreSQL alike)."""
        with self.transaction() as cursor:
            cursor.execute(
                "UPDATE sso_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", (now, token_hash)
            )
            spent: bool = cursor.rowcount == 1
            return spent

    # --- customers ------------------------------------------------------------------

    def insert_customer(self, merchant_id: int, customer: Mapping[str, Any]) -> None:
        values = {"merchant_id": merchant_id, **_customer_columns(customer)}
        self._insert(
            f"INSERT INTO customers ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )

    def customer(
        self,
        merchant_id: int,
        reference: int,
        lock: bool = False,
        status_on: str | None = None,
        versioned: bool = False,
    ) -> dict[str, Any] | None:
        """A customer by internal reference; ``lock`` holds its row until the transaction ends.

        With ``status_on`` (a date), the record also holds ``customer_status`` on that date under ``STATUS``;
        ``versioned``, the row's version under ``ROW_VERSION`` (for :meth:`update_customer_unless_changed`).
        """
        return self._customer("reference", reference, merchant_id, lock, status_on, versioned)

    def customer_by_external(
        self, merchant_id: int, external: str, lock: bool = False, status_on: str | None = None, versioned: bool = False
    ) -> dict[str, Any] | None:
        return self._customer("external_reference", external, merchant_id, lock, status_on, versioned)

    def _customer(
        self, column: str, value: object, merchant_id: int, lock: bool, status_on: str | None, versioned: bool
    ) -> dict[str, object] | None:
        params: tuple[object, ...] = (merchant_id, value)
        if status_on is not None:
            sql, params = self._customer_with_status, (status_on, status_on, *params)
        elif versioned:
            sql = self._customer_with_version
        else:
            sql = _CUSTOMER_SELECT
        row = self._one(f"{sql} WHERE merchant_id = ? AND {column} = ?{self._lock(lock)}", params)
        if row is None:
            return None
        if status_on is not None:
            record = _customer_record(row[:-2])
            record[STATUS] = (int(row[-2]), int(row[-1]))
        elif versioned:
            record = _customer_record(row[:-1])
            record[ROW_VERSION] = row[-1]
        else:
            record = _customer_record(row)
        return record

    def _lock(self, lock: bool) -> str:
        return self.dialect.lock_clause if lock else ""

    @property
    def row_locks(self) -> bool:
        """Whether writers lock rows (PostgreSQL); without, one writer holds the whole store (SQLite)."""
        return bool(self.dialect.lock_clause)

    @property
    def row_versions(self) -> bool:
        """Whether rows carry a version (PostgreSQL's xmin) that a change can be made conditional
        on: a customer is then read and changed in two round trips, with no transaction holding
        its row's lock across them (see :meth:`update_customer_unless_changed`)."""
        return self.dialect.row_version is not None

    def pause(self, seconds: float) -> None:
        """Wait before a call runs again, holding up no other call (on the loop: see ``twoco.store.green``)."""
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

    def probe(self) -> None:
        """Ask the store something, so that its health is current (StoreUnavailable if it is out)."""
        with self.dialect.guarded(write=False):
            self.dialect.check_writable()  # a replaced SQLite file, noticed even with no write
            self.dialect.autocommit_cursor().execute("SELECT 1").fetchone()

    def update_customer(self, merchant_id: int, reference: int, changes: Mapping[str, Any]) -> None:
        update = _customer_update(merchant_id, reference, changes)
        if update is not None:
            with self._duplicate_external():
                self._run(*update)

    def update_customer_unless_changed(
        self, merchant_id: int, reference: int, version: str, changes: Mapping[str, Any], entry: HistoryEntry | None
    ) -> bool:
        """Change a customer read ``versioned``, and note ``entry`` in its history, in one statement
        that commits on its own; unless the row has changed since its ``version`` was read: then
        nothing is written and the answer is False. (PostgreSQL only: SQLite has no row versions.)"""
        update = _customer_update(merchant_id, reference, changes)
        if update is None:
            return True
        sql = f"{update[0]} AND {self.dialect.row_version} = ? RETURNING reference"
        params = (*update[1], version)
        if entry is not None:  # the history row goes in with the change, in the same statement
            sql = f"WITH changed AS ({sql}) {_HISTORY_INSERT} SELECT ?, reference, ?, ?, ?, ?, ? FROM changed"
            sql += " RETURNING customer_reference"
            params += _history_values(merchant_id, entry)
        with self._duplicate_external():
            return self._write_alone(sql, params) is not None

    @contextmanager
    def _duplicate_external(self) -> Iterator[None]:
        """A change of customers that breaks the external references' uniqueness raises DuplicateKey."""
        try:
            yield
        except Exception as error:
            if self.dialect.is_unique_violation(error) is None:
                raise
            raise DuplicateKey(external=True) from error

    def customer_status(self, merchant_id: int, reference: int, today: str) -> tuple[int, int]:
        """How many of a customer's subscriptions are active, and how many of those are trials."""
        row = self._one(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN is_trial THEN 1 ELSE 0 END), 0) FROM subscriptions"
            " WHERE merchant_id = ? AND customer_reference = ? AND subscription_enabled"
            " AND (lifetime OR expiration_date >= ?)",
            (merchant_id, reference, today),
        )
        assert row is not None  # for mypy: an aggregate SELECT answers one row
        return int(row[0]), int(row[1])

    # --- subscriptions --------------------------------------------------------------

    def insert_subscription(self, merchant_id: int, customer_reference: int, subscription: Mapping[str, Any]) -> None:
        values: dict[str, object] = {"merchant_id": merchant_id, "customer_reference": customer_reference}
        for name, column in SUBSCRIPTION_COLUMNS.items():
            value = subscription.get(name)
            values[column] = json.dumps(value) if name in _JSON_FIELDS and value is not None else value
        for name, column in PRODUCT_COLUMNS.items():
            values[column] = subscription["Product"].get(name)
        values["price_option_codes"] = json.dumps(values["price_option_codes"])
        for name, column in END_USER_COLUMNS.items():
            values[column] = subscription["EndUser"].get(name)
        self._insert(
            f"INSERT INTO subscriptions ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )

    def subscription(self, merchant_id: int, reference: str, lock: bool = False) -> dict[str, object] | None:
        """A subscription by reference; ``lock`` holds its row (its row alone) until the transaction ends."""
        if lock and self.row_locks:
            # Locked by itself, not in the joined read: a FOR UPDATE on the join would lock the
            # owner's customer row too, and PostgreSQL, having waited for a row that moved
            # meanwhile, re-checks the join against the new owner and answers no row at all.
            locking = f"SELECT 1 FROM subscriptions WHERE merchant_id = ? AND reference = ?{self._lock(lock)}"
            if self._one(locking, (merchant_id, reference)) is None:
                return None
        row = self._one(f"{_SUBSCRIPTION_SELECT} WHERE s.merchant_id = ? AND s.reference = ?", (merchant_id, reference))
        return _subscription_record(row) if row else None

    def customer_subscriptions(self, merchant_id: int, customer_reference: int) -> list[dict[str, object]]:
        cursor = self._run(
            f"{_SUBSCRIPTION_SELECT} WHERE s.merchant_id = ? AND s.customer_reference = ?"
            " ORDER BY s.start_date, s.reference",
            (merchant_id, customer_reference),
            write=False,
        )
        return [_subscription_record(row) for row in cursor.fetchall()]

    def set_end_user(self, merchant_id: int, end_user: Mapping[str, object], **where: object) -> None:
        """Overwrite the EndUser of the subscriptions matching ``where`` (one set-based UPDATE).

        ``where`` is ``reference=...`` for one subscription or ``customer_reference=...`` for all
        of a customer's.
        """
        ((column, value),) = where.items()
        if column not in ("reference", "customer_reference"):  # it becomes SQL: never anything else
            raise ValueError(f"set_end_user: where is reference= or customer_reference=, not {column}=")
        assignments = ", ".join(f"{END_USER_COLUMNS[name]} = ?" for name in END_USER_FIELDS)
        self._run(
            f"UPDATE subscriptions SET {assignments} WHERE merchant_id = ? AND {column} = ?",
            (*(end_user.get(name) for name in END_USER_FIELDS), merchant_id, value),
        )

    def product_code(self, merchant_id: int, product_id: int) -> str | None:
        """The ProductCode an earlier import gave the product with this ProductId, if any."""
        row = self._one(
            "SELECT product_code FROM subscriptions WHERE merchant_id = ? AND product_id = ?"
            " AND product_code IS NOT NULL AND product_code <> '' LIMIT 1",
            (merchant_id, product_id),
        )
        return row[0] if row else None

    def move_subscription(self, merchant_id: int, reference: str, customer_reference: int) -> None:
        self._run(
            "UPDATE subscriptions SET customer_reference = ? WHERE merchant_id = ? AND reference = ?",
            (customer_reference, merchant_id, reference),
        )

    def subscriptions_by_reference(self, merchant_id: int, references: list[str]) -> dict[str, dict[str, object]]:
        """The merchant's subscriptions among ``references``, by reference (absent ones left out)."""
        found: dict[str, dict[str, object]] = {}
        for start in range(0, len(references), _IN_CHUNK):
            chunk = references[start : start + _IN_CHUNK]
            cursor = self._run(
                f"{_SUBSCRIPTION_SELECT} WHERE s.merchant_id = ? AND s.reference IN ({', '.join('?' * len(chunk))})",
                (merchant_id, *chunk),
                write=False,
            )
            for row in cursor.fetchall():
                record = _subscription_record(row)
                found[str(record["SubscriptionReference"])] = record
        return found

    def update_subscription(self, merchant_id: int, reference: str, changes: Mapping[str, Any]) -> None:
        """Set the given Subscription fields (top-level scalars: ExpirationDate, SubscriptionEnabled, …)."""
        if changes:
            assignments = ", ".join(f"{SUBSCRIPTION_COLUMNS[name]} = ?" for name in changes)
            self._run(
                f"UPDATE subscriptions SET {assignments} WHERE merchant_id = ? AND reference = ?",
                (*changes.values(), merchant_id, reference),
            )

    def search_subscriptions(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[dict[str, object]], int]:
        """One page of the merchant's subscriptions matching ``filters`` (see ``_subscription_filter``),
        by StartDate then reference, and how many match in all."""
        where, params = _subscription_filter(filters)
        condition = f" WHERE s.merchant_id = ?{where}"
        count = self._one(
            "SELECT COUNT(*) FROM subscriptions s JOIN customers c ON c.reference = s.customer_reference" + condition,
            (merchant_id, *params),
        )
        page = "" if limit is None else " LIMIT ? OFFSET ?"
        cursor = self._run(
            f"{_SUBSCRIPTION_SELECT}{condition} ORDER BY s.start_date, s.reference{page}",
            (merchant_id, *params, *(() if limit is None else (limit, offset))),
            write=False,
        )
        return [_subscription_record(row) for row in cursor.fetchall()], int(count[0]) if count else 0

    def find_customers(
        self, merchant_id: int, filters: Mapping[str, Any], today: str, limit: int, offset: int = 0
    ) -> tuple[list[dict[str, object]], int]:
        """One page of the merchant's customers matching ``filters`` (Email, Phone, CountryCode,
        Language, Trial, Status), by reference, with their status on ``today``; and how many match."""
        conditions, params = [], []
        for name, column in (("Phone", "phone"), ("CountryCode", "country_code"), ("Language", "language")):
            if filters.get(name) is not None:
                conditions.append(f"{column} = ?")
                params.append(filters[name])
        if filters.get("Email") is not None:
            conditions.append("lower(email) = lower(?)")
            params.append(filters["Email"])
        inner = self._customer_with_status
        inner += " WHERE merchant_id = ?" + "".join(f" AND {condition}" for condition in conditions)
        outer = []
        if filters.get("Enabled") is not None:
            outer.append("active > 0" if filters["Enabled"] else "active = 0")
        if filters.get("Trial") is not None:
            outer.append(
                "(active > 0 AND trials = active)" if filters["Trial"] else "NOT (active > 0 AND trials = active)"
            )
        where = (" WHERE " + " AND ".join(outer)) if outer else ""
        selected = f"FROM ({inner}) AS found{where}"
        all_params = (today, today, merchant_id, *params)
        count = self._one(f"SELECT COUNT(*) {selected}", all_params)
        cursor = self._run(
            f"SELECT * {selected} ORDER BY reference LIMIT ? OFFSET ?", (*all_params, limit, offset), write=False
        )
        records = []
        for row in cursor.fetchall():
            record = _customer_record(row[:-2])
            record[STATUS] = (int(row[-2]), int(row[-1]))
            records.append(record)
        return records, int(count[0]) if count else 0

    # --- change history (see twoco.core.history) ------------------------------------------

    def add_history(self, merchant_id: int, customer_references: tuple[int, ...], entry: HistoryEntry) -> None:
        """One entry in the history of each customer named (a subscription's move: old and new owner)."""
        row = _history_values(merchant_id, entry)
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(customer_references))
        self._run(
            f"{_HISTORY_INSERT} VALUES {values}",
            tuple(value for reference in customer_references for value in (row[0], reference, *row[1:])),
        )

    def end_user_push_summary(
        self, merchant_id: int, customer_reference: int, end_user: Mapping[str, object], previous: Mapping[str, object]
    ) -> dict[str, tuple[int, int]]:
        """What pushing ``end_user`` to a customer's subscriptions changes, in one set-based SELECT.

        Per EndUser field: on how many subscriptions it differs from ``end_user``, and how many
        of those hold the ``previous`` value (the customer's before the update).
        """
        sums = ", ".join(
            f"COALESCE(SUM(CASE WHEN {column} IS DISTINCT FROM ? THEN 1 ELSE 0 END), 0),"
            f" COALESCE(SUM(CASE WHEN {column} IS DISTINCT FROM ? AND {column} IS NOT DISTINCT FROM ?"
            " THEN 1 ELSE 0 END), 0)"
            for column in END_USER_COLUMNS.values()
        )
        params = [
            value for name in END_USER_COLUMNS for value in (end_user.get(name), end_user.get(name), previous.get(name))
        ]
        row = self._one(
            f"SELECT {sums} FROM subscriptions WHERE merchant_id = ? AND customer_reference = ?",
            (*params, merchant_id, customer_reference),
        )
        assert row is not None  # for mypy: an aggregate SELECT answers one row
        return {name: (int(row[2 * i]), int(row[2 * i + 1])) for i, name in enumerate(END_USER_COLUMNS)}

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

    # --- the dashboard (twoco.sandbox.dashboard) ---------------------------------------------

    def history_size(self, merchant_id: int, customer_reference: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM change_history WHERE merchant_id = ? AND customer_reference = ?",
            (merchant_id, customer_reference),
        )
        return int(row[0]) if row else 0

    def _lower(self, text: str) -> str:
        """``text`` lowered as the database lowers it (SQLite: ASCII letters only), to match its indexes."""
        row = self._one("SELECT lower(?)", (text,))
        assert row is not None  # for mypy: a SELECT without FROM answers one row
        return str(row[0])

    def merchant_overview(self) -> list[tuple[str, str, int]]:
        """(code, created, number of customers) of every merchant; never a secret key."""
        cursor = self._run(
            "SELECT m.code, m.created_at, (SELECT COUNT(*) FROM customers c WHERE c.merchant_id = m.id)"
            " FROM merchants m ORDER BY m.code",
            write=False,
        )
        return [(code, created, int(count)) for code, created, count in cursor.fetchall()]

    def search_customers(self, text: str, merchant_id: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` customers ``text`` names, best matches first, each found through an index:
        either reference exactly, then a case-insensitive prefix of the email, the last name, the
        first name, or "first last". Empty text lists customers by reference.
        """
        select = (
            "SELECT m.code, c.reference, c.external_reference, c.first_name, c.last_name, c.email, c.country_code"
            " FROM customers c JOIN merchants m ON m.id = c.merchant_id WHERE "
        )
        merchant = f" AND {self.dialect.planner_hint}c.merchant_id = ?"
        only = (merchant, (merchant_id,)) if merchant_id is not None else ("", ())
        searches: list[tuple[str, tuple[Any, ...]]] = []
        if not text:
            searches.append(("1 = 1", ()))
        reference = internal_reference(text)
        if reference is not None:
            searches.append(("c.reference = ?", (reference,)))
        if text:
            searches.append(("c.external_reference = ?", (text,)))
            lowered = self._lower(text)
            for column in ("email", "last_name", "first_name"):
                searches.append(_prefix(f"c.{column}", lowered))
            first, _, last = lowered.partition(" ")
            if first and last.strip():  # walks the last-name prefix, filtering on the first name
                condition, params = _prefix("c.last_name", last.strip())
                searches.append(
                    (f"{condition} AND {self.dialect.planner_hint}lower(c.first_name) = ?", (*params, first))
                )
        found: dict[tuple[str, int], dict[str, Any]] = {}
        names = ("merchant", "reference", "external", "first_name", "last_name", "email", "country_code")
        for condition, params in searches:
            order = condition.split(" ", 1)[0] if condition.startswith("lower(") else "c.reference"
            cursor = self._run(
                f"{select}{condition}{only[0]} ORDER BY {order}, c.reference LIMIT ?",
                (*params, *only[1], limit),
                write=False,
            )
            for row in cursor.fetchall():
                found.setdefault((row[0], row[1]), dict(zip(names, row)))
            if len(found) >= limit:
                break
        return list(found.values())[:limit]


def _like_pattern(text: str) -> str:
    """``text`` anywhere, as a LIKE pattern with ``\\`` escaping LIKE's wildcards."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _subscription_filter(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """SQL conditions (each after an AND) for searchSubscriptions' filters, already checked by the
    service: keys are SearchBy's field names, plus ``Trial`` (the Type filter) and ``ExactMatchEmail``."""
    conditions: list[str] = []
    params: list[Any] = []

    def add(condition: str, *values: Any) -> None:
        conditions.append(condition)
        params.extend(values)

    email = filters.get("CustomerEmail")
    if email is not None:
        if filters.get("ExactMatchEmail"):
            add("lower(c.email) = lower(?)", email)
        else:  # "partial hits on the customer email address"
            add("lower(c.email) LIKE lower(?) ESCAPE '\\'", _like_pattern(email))
    for name, column in (
        ("AvangateCustomerReference", "c.reference"), ("ExternalCustomerReference", "c.external_reference"),
        ("PartnerCode", "s.partner_code"),
    ):  # fmt: skip
        if filters.get(name) is not None:
            add(f"{column} = ?", filters[name])
    for name, column in (
        ("SubscriptionEnabled", "s.subscription_enabled"), ("RecurringEnabled", "s.recurring_enabled"),
        ("LifetimeSubscription", "s.lifetime"), ("TestSubscription", "s.test_subscription"), ("Trial", "s.is_trial"),
    ):  # fmt: skip
        if filters.get(name) is not None:
            add(column if filters[name] else f"NOT {column}")
    for name, column in (("ProductCodes", "s.product_code"), ("CountryCodes", "s.end_user_country_code")):
        values = filters.get(name)
        if values:
            add(f"{column} IN ({', '.join('?' * len(values))})", *values)
    for name, column, operator in (
        ("PurchasedAfter", "s.start_date", ">="), ("PurchasedBefore", "s.start_date", "<="),
        ("ExpireAfter", "s.expiration_date", ">="), ("ExpireBefore", "s.expiration_date", "<="),
    ):  # fmt: skip
        if filters.get(name) is not None:
            add(f"{column} {operator} ?", filters[name])
    return "".join(f" AND {condition}" for condition in conditions), params


def _prefix(column: str, lowered: str) -> tuple[str, tuple[Any, ...]]:
    """``lower(column)`` starts with ``lowered`` (lowered by the database), as a range the index on
    lower(column) answers in order: from the prefix to the prefix with its last character
    incremented. Exact in code-point order (SQLite, PostgreSQL's C collations); a linguistic
    collation may add the odd string that sorts inside the range without starting with it.
    """
    if ord(lowered[-1]) >= 0x10FFFF:
        return f"lower({column}) >= ? AND substr(lower({column}), 1, ?) = ?", (lowered, len(lowered), lowered)
    return f"lower({column}) >= ? AND lower({column}) < ?", (lowered, lowered[:-1] + chr(ord(lowered[-1]) + 1))


_HISTORY_INSERT = (
    "INSERT INTO change_history (merchant_id, customer_reference, subscription_reference, changed_at,"
    " protocol, operation, changes)"
)


def _history_values(merchant_id: int, entry: HistoryEntry) -> tuple[Any, ...]:
    """A history row's values but its customer_reference, in ``_HISTORY_INSERT``'s order."""
    return (
        merchant_id,
        entry.subscription_reference,
        entry.when,
        entry.protocol,
        entry.operation,
        json.dumps(entry.changes),
    )


def _customer_update(
    merchant_id: int, reference: int, changes: Mapping[str, Any]
) -> tuple[str, tuple[Any, ...]] | None:
    """The UPDATE of a customer's changed fields and its parameters; None when nothing changes."""
    columns = _customer_columns(changes)
    if not columns:
        return None
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return (
        f"UPDATE customers SET {assignments} WHERE merchant_id = ? AND reference = ?",
        (*columns.values(), merchant_id, reference),
    )


def _customer_columns(customer: Mapping[str, Any]) -> dict[str, object]:
    """Column values for the given Customer fields; Credit spreads over three columns."""
    columns = {CUSTOMER_COLUMNS[name]: value for name, value in customer.items() if name != "Credit"}
    if "Credit" in customer:
        credit = customer["Credit"] or {}
        columns.update({column: credit.get(name) for name, column in CREDIT_COLUMNS.items()})
    return columns


def _customer_record(row: tuple[Any, ...]) -> dict[str, object]:
    record: dict[str, object] = dict(zip(CUSTOMER_COLUMNS, row))
    credit = dict(zip(CREDIT_COLUMNS, row[len(CUSTOMER_COLUMNS) :]))
    record["Credit"] = credit if any(value is not None for value in credit.values()) else None
    return record


def _subscription_record(row: tuple[Any, ...]) -> dict[str, object]:
    values = iter(row)
    record: dict[str, object] = {}
    for name in SUBSCRIPTION_COLUMNS:
        value = next(values)
        if name in SUBSCRIPTION_FLAGS:
            value = bool(value)
        elif name in _JSON_FIELDS and value is not None:
            value = json.loads(value)
        record[name] = value
    product = {name: next(values) for name in PRODUCT_COLUMNS}
    product["PriceOptionCodes"] = json.loads(product["PriceOptionCodes"] or "null")
    record["Product"] = product
    record["EndUser"] = {name: next(values) for name in END_USER_COLUMNS}
    record["AvangateCustomerReference"], record["ExternalCustomerReference"] = values
    return record
