"""``SqlStore``: every query twoco makes, written once for SQLite and PostgreSQL: the common part
(``base.py``) and each domain's queries (``customers.py``, ``products.py``, ``subscriptions.py``,
``orders.py``, ``notifications.py``, ``sso.py``), with
the change history's and the dashboard's. It is every domain's port (``twoco.domains.DomainStore``)
and the server's (``twoco.core.port.ServedStore``)."""

from __future__ import annotations

from twoco.store.base import SchemaTooNew, SqlBase
from twoco.store.dashboard import DashboardQueries
from twoco.store.history import HistoryQueries
from twoco.store.notifications import NotificationQueries
from twoco.store.orders import OrderQueries
from twoco.store.products import ProductQueries
from twoco.store.sso import SsoQueries
from twoco.store.subscriptions import SubscriptionQueries

__all__ = ["SchemaTooNew", "SqlStore"]


class SqlStore(
    NotificationQueries,
    OrderQueries,
    SubscriptionQueries,
    ProductQueries,
    SsoQueries,
    HistoryQueries,
    DashboardQueries,
    SqlBase,
):
    # Every table but merchants and schema_version; rows that point at others first.
    RESET_TABLES = (
        "notification_attempts", "notifications", "orders", "subscriptions", "customers", "sessions",
        "change_history", "sso_tokens", "products", "product_groups",
    )  # fmt: skip
