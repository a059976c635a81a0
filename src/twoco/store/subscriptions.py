"""The subscription domain's queries (``twoco.domains.subscriptions.port``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twoco.domains.customers.records import EndUserRecord, end_user_record
from twoco.domains.subscriptions.records import NewSubscription, ProductRecord, SubscriptionRecord
from twoco.store.base import columns, like_pattern
from twoco.store.customers import END_USER_COLUMNS, CustomerQueries

PRODUCT_COLUMNS = columns(
    "ProductCode:product_code ProductId:product_id ProductName:product_name ProductVersion:product_version "
    "ProductQuantity:product_quantity PriceOptionCodes:price_option_codes"
)
SUBSCRIPTION_COLUMNS = columns(
    "SubscriptionReference:reference StartDate:start_date ExpirationDate:expiration_date "
    "RecurringEnabled:recurring_enabled SubscriptionEnabled:subscription_enabled SKU:sku "
    "ReceiveNotifications:receive_notifications Lifetime:lifetime PartnerCode:partner_code "
    "TestSubscription:test_subscription IsTrial:is_trial ExternalSubscriptionReference:external_reference "
    "ActivationDate:activation_date DeliveryInfo:delivery_info NextRenewalPrice:next_renewal_price "
    "NextRenewalPriceCurrency:next_renewal_price_currency SubscriptionValue:subscription_value "
    "SubscriptionValueCurrency:subscription_value_currency "
    "CustomPriceBillingCyclesLeft:custom_price_billing_cycles_left"
)
_JSON_FIELDS = {"DeliveryInfo"}  # objects kept as JSON text (and read back in _subscription_record)

_SUBSCRIPTION_SELECT = (
    "SELECT "
    + ", ".join(
        "s." + column
        for column in [*SUBSCRIPTION_COLUMNS.values(), *PRODUCT_COLUMNS.values(), *END_USER_COLUMNS.values()]
    )
    + ", o.ref_no, o.status, c.reference, c.external_reference FROM subscriptions s"
    " JOIN customers c ON c.reference = s.customer_reference"
    " LEFT JOIN orders o ON o.ref_no = s.latest_order"
)


class SubscriptionQueries(CustomerQueries):
    def insert_subscription(self, merchant_id: int, customer_reference: int, subscription: NewSubscription) -> None:
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

    def subscription(self, merchant_id: int, reference: str, lock: bool = False) -> SubscriptionRecord | None:
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

    def customer_subscriptions(self, merchant_id: int, customer_reference: int) -> list[SubscriptionRecord]:
        cursor = self._run(
            f"{_SUBSCRIPTION_SELECT} WHERE s.merchant_id = ? AND s.customer_reference = ?"
            " ORDER BY s.start_date, s.reference",
            (merchant_id, customer_reference),
            write=False,
        )
        return [_subscription_record(row) for row in cursor.fetchall()]

    def set_latest_order(self, merchant_id: int, reference: str, ref_no: int) -> None:
        """Name the order that made (or renewed) the subscription."""
        self._run(
            "UPDATE subscriptions SET latest_order = ? WHERE merchant_id = ? AND reference = ?",
            (ref_no, merchant_id, reference),
        )

    def set_end_user(self, merchant_id: int, reference: str, end_user: EndUserRecord) -> None:
        """Overwrite a subscription's EndUser."""
        self._overwrite_end_users(merchant_id, "reference", reference, end_user)

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

    def subscriptions_by_reference(self, merchant_id: int, references: list[str]) -> dict[str, SubscriptionRecord]:
        """The merchant's subscriptions among ``references``, by reference (absent ones left out)."""
        found: dict[str, SubscriptionRecord] = {}
        for row in self._rows_among(
            f"{_SUBSCRIPTION_SELECT} WHERE s.merchant_id = ?", (merchant_id,), "s.reference", references
        ):
            record = _subscription_record(row)
            found[str(record["SubscriptionReference"])] = record
        return found

    def update_subscription(self, merchant_id: int, reference: str, changes: Mapping[str, object]) -> None:
        """Set the given Subscription fields (top-level scalars: ExpirationDate, SubscriptionEnabled, …)."""
        if changes:
            assignments = ", ".join(f"{SUBSCRIPTION_COLUMNS[name]} = ?" for name in changes)
            self._run(
                f"UPDATE subscriptions SET {assignments} WHERE merchant_id = ? AND reference = ?",
                (*changes.values(), merchant_id, reference),
            )

    def search_subscriptions(
        self, merchant_id: int, filters: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> tuple[list[SubscriptionRecord], int]:
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
            add("lower(c.email) LIKE lower(?) ESCAPE '\\'", like_pattern(email))
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


def _subscription_record(row: tuple[Any, ...]) -> SubscriptionRecord:
    """A subscription from its row: ``SUBSCRIPTION_COLUMNS``, ``PRODUCT_COLUMNS``, ``END_USER_COLUMNS``
    its latest order's RefNo and status, and its owner's two references (values as the database
    gives them, so Any), in that order."""
    field = dict(zip(SUBSCRIPTION_COLUMNS, row))
    column = dict(zip(PRODUCT_COLUMNS, row[len(SUBSCRIPTION_COLUMNS) :]))
    person = dict(zip(END_USER_COLUMNS, row[len(SUBSCRIPTION_COLUMNS) + len(PRODUCT_COLUMNS) :]))
    delivery_info = field["DeliveryInfo"]
    product: ProductRecord = {
        "ProductCode": column["ProductCode"],
        "ProductId": column["ProductId"],
        "ProductName": column["ProductName"],
        "ProductVersion": column["ProductVersion"],
        "ProductQuantity": column["ProductQuantity"],
        "PriceOptionCodes": json.loads(column["PriceOptionCodes"] or "null"),
    }
    return {
        "SubscriptionReference": field["SubscriptionReference"],
        "StartDate": field["StartDate"],
        "ExpirationDate": field["ExpirationDate"],
        "RecurringEnabled": bool(field["RecurringEnabled"]),
        "SubscriptionEnabled": bool(field["SubscriptionEnabled"]),
        "SKU": field["SKU"],
        "ReceiveNotifications": bool(field["ReceiveNotifications"]),
        "Lifetime": bool(field["Lifetime"]),
        "PartnerCode": field["PartnerCode"],
        "TestSubscription": bool(field["TestSubscription"]),
        "IsTrial": bool(field["IsTrial"]),
        "ExternalSubscriptionReference": field["ExternalSubscriptionReference"],
        "ActivationDate": field["ActivationDate"],
        "DeliveryInfo": None if delivery_info is None else json.loads(delivery_info),
        "NextRenewalPrice": field["NextRenewalPrice"],
        "NextRenewalPriceCurrency": field["NextRenewalPriceCurrency"],
        "SubscriptionValue": field["SubscriptionValue"],
        "SubscriptionValueCurrency": field["SubscriptionValueCurrency"],
        "CustomPriceBillingCyclesLeft": field["CustomPriceBillingCyclesLeft"],
        "Product": product,
        "EndUser": end_user_record(person),
        "AvangateCustomerReference": row[-2],
        "ExternalCustomerReference": row[-1],
        "LatestSubscriptionOrder": None if row[-4] is None else {"RefNo": str(row[-4]), "Status": row[-3]},
    }
