"""The customer domain's queries (``twoco.domains.customers.port``): customers, their status, and
the push of their data to their subscriptions' end users."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any, Literal

from twoco.core.port import ROW_VERSION, STATUS, DuplicateKey, HistoryEntry
from twoco.domains.customers.records import CreditRecord, CustomerRecord, EndUserRecord, NewCustomer
from twoco.domains.customers.schema import END_USER_FIELDS
from twoco.store.base import SqlBase, columns
from twoco.store.history import HISTORY_INSERT, history_values

CUSTOMER_COLUMNS = columns(
    "AvangateCustomerReference:reference ExternalCustomerReference:external_reference FirstName:first_name "
    "LastName:last_name Company:company FiscalCode:fiscal_code Address1:address1 Address2:address2 City:city "
    "State:state Zip:zip CountryCode:country_code Phone:phone Fax:fax Email:email Language:language"
)
CREDIT_COLUMNS = columns("Limit:credit_limit Remaining:credit_remaining Currency:credit_currency")
END_USER_COLUMNS = {name: "end_user_" + CUSTOMER_COLUMNS[name] for name in END_USER_FIELDS}
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


class CustomerQueries(SqlBase):
    @cached_property
    def _customer_with_status(self) -> str:
        return _CUSTOMER_SELECT.replace(
            " FROM customers", _STATUS_COLUMNS.replace("{hint}", self.dialect.planner_hint) + " FROM customers"
        )

    @cached_property
    def _customer_with_version(self) -> str:
        """Read only where rows have versions (PostgreSQL's xmin): see update_customer_unless_changed."""
        version = self.dialect.row_version
        return _CUSTOMER_SELECT.replace(" FROM customers", f", {version} FROM customers") if version else ""

    def insert_customer(self, merchant_id: int, customer: NewCustomer) -> None:
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
    ) -> CustomerRecord | None:
        """A customer by internal reference; ``lock`` holds its row until the transaction ends.

        With ``status_on`` (a date), the record also holds ``customer_status`` on that date under ``STATUS``;
        ``versioned``, the row's version under ``ROW_VERSION`` (for :meth:`update_customer_unless_changed`).
        """
        return self._customer("reference", reference, merchant_id, lock, status_on, versioned)

    def customer_by_external(
        self, merchant_id: int, external: str, lock: bool = False, status_on: str | None = None, versioned: bool = False
    ) -> CustomerRecord | None:
        return self._customer("external_reference", external, merchant_id, lock, status_on, versioned)

    def _customer(
        self, column: str, value: object, merchant_id: int, lock: bool, status_on: str | None, versioned: bool
    ) -> CustomerRecord | None:
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
            sql = f"WITH changed AS ({sql}) {HISTORY_INSERT} SELECT ?, reference, ?, ?, ?, ?, ? FROM changed"
            sql += " RETURNING customer_reference"
            params += history_values(merchant_id, entry)
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

    def find_customers(
        self, merchant_id: int, filters: Mapping[str, Any], today: str, limit: int, offset: int = 0
    ) -> tuple[list[CustomerRecord], int]:
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

    def end_user_push_summary(
        self, merchant_id: int, customer_reference: int, end_user: EndUserRecord, previous: EndUserRecord
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

    def end_user_push_targets(self, merchant_id: int, customer_reference: int, end_user: EndUserRecord) -> list[str]:
        """The references of a customer's subscriptions whose EndUser pushing ``end_user`` changes."""
        differs = " OR ".join(f"{column} IS DISTINCT FROM ?" for column in END_USER_COLUMNS.values())
        cursor = self._run(
            f"SELECT reference FROM subscriptions WHERE merchant_id = ? AND customer_reference = ? AND ({differs})"
            " ORDER BY reference",
            (merchant_id, customer_reference, *(end_user.get(name) for name in END_USER_COLUMNS)),
            write=False,
        )
        return [row[0] for row in cursor.fetchall()]

    def push_end_user(self, merchant_id: int, customer_reference: int, end_user: EndUserRecord) -> None:
        """Overwrite the EndUser of every subscription of a customer (one set-based UPDATE)."""
        self._overwrite_end_users(merchant_id, "customer_reference", customer_reference, end_user)

    def _overwrite_end_users(
        self,
        merchant_id: int,
        column: Literal["customer_reference", "reference"],
        value: object,
        end_user: EndUserRecord,
    ) -> None:
        """Overwrite the EndUser of the merchant's subscriptions whose ``column`` is ``value``."""
        assignments = ", ".join(f"{END_USER_COLUMNS[name]} = ?" for name in END_USER_FIELDS)
        self._run(
            f"UPDATE subscriptions SET {assignments} WHERE merchant_id = ? AND {column} = ?",
            (*(end_user.get(name) for name in END_USER_FIELDS), merchant_id, value),
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


def _customer_record(row: tuple[Any, ...]) -> CustomerRecord:
    """A customer from its row: ``CUSTOMER_COLUMNS``, then ``CREDIT_COLUMNS`` (values as the
    database gives them, so Any), in their order; no Credit when its three columns are NULL."""
    field = dict(zip(CUSTOMER_COLUMNS, row))
    column = dict(zip(CREDIT_COLUMNS, row[len(CUSTOMER_COLUMNS) :]))
    credit: CreditRecord = {"Limit": column["Limit"], "Remaining": column["Remaining"], "Currency": column["Currency"]}
    return {
        "AvangateCustomerReference": field["AvangateCustomerReference"],
        "ExternalCustomerReference": field["ExternalCustomerReference"],
        "FirstName": field["FirstName"],
        "LastName": field["LastName"],
        "Company": field["Company"],
        "FiscalCode": field["FiscalCode"],
        "Address1": field["Address1"],
        "Address2": field["Address2"],
        "City": field["City"],
        "State": field["State"],
        "Zip": field["Zip"],
        "CountryCode": field["CountryCode"],
        "Phone": field["Phone"],
        "Fax": field["Fax"],
        "Email": field["Email"],
        "Language": field["Language"],
        "Credit": credit if any(value is not None for value in credit.values()) else None,
    }
