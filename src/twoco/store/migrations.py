"""Versioned schema migrations, in SQL both SQLite and PostgreSQL accept.

Append a new entry to change the schema; never edit one that has shipped. The store
records the number of migrations applied in ``schema_version``. ``AUTOINCREMENT_KEY`` is
replaced by each database's spelling of an auto-numbered primary key.
"""

from __future__ import annotations

_END_USER_COLUMNS = ",\n".join(
    f"    end_user_{name} TEXT"
    f"{' NOT NULL' if name in ('first_name', 'last_name', 'email', 'city', 'country_code') else ''}"
    for name in (
        "first_name", "last_name", "email", "company", "phone", "fax",
        "address1", "address2", "zip", "city", "state", "country_code", "language",
    )
)  # fmt: skip

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: merchants, sessions, customers, subscriptions.
    (
        """
        CREATE TABLE merchants (
            id AUTOINCREMENT_KEY,
            code TEXT NOT NULL UNIQUE,
            secret_key TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        # Only a hash of each session ID is stored: a copy of the database opens no session.
        """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            expires_at DOUBLE PRECISION NOT NULL
        )
        """,
        """
        CREATE TABLE customers (
            reference INTEGER PRIMARY KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            external_reference TEXT,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            company TEXT,
            fiscal_code TEXT,
            address1 TEXT NOT NULL,
            address2 TEXT,
            city TEXT NOT NULL,
            state TEXT,
            zip TEXT NOT NULL,
            country_code TEXT NOT NULL,
            phone TEXT,
            fax TEXT,
            email TEXT NOT NULL,
            language TEXT,
            CONSTRAINT customers_external_reference_key UNIQUE (merchant_id, external_reference)
        )
        """,
        f"""
        CREATE TABLE subscriptions (
            reference TEXT PRIMARY KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            customer_reference INTEGER NOT NULL REFERENCES customers (reference),
            external_reference TEXT,
            start_date TEXT NOT NULL,
            expiration_date TEXT NOT NULL,
            recurring_enabled BOOLEAN NOT NULL,
            subscription_enabled BOOLEAN NOT NULL,
            receive_notifications BOOLEAN NOT NULL,
            lifetime BOOLEAN NOT NULL,
            test_subscription BOOLEAN NOT NULL,
            is_trial BOOLEAN NOT NULL,
            sku TEXT,
            partner_code TEXT,
            product_code TEXT,
            product_id INTEGER,
            product_name TEXT,
            product_version TEXT,
            product_quantity INTEGER NOT NULL,
            price_option_codes TEXT,
{_END_USER_COLUMNS},
            CONSTRAINT subscriptions_external_reference_key UNIQUE (merchant_id, external_reference)
        )
        """,
        "CREATE INDEX subscriptions_by_customer ON subscriptions (customer_reference)",
        "CREATE INDEX sessions_by_expiry ON sessions (expires_at)",
    ),
    # 2: API 6.0's Customer.Credit.
    (
        "ALTER TABLE customers ADD COLUMN credit_limit DOUBLE PRECISION",
        "ALTER TABLE customers ADD COLUMN credit_remaining DOUBLE PRECISION",
        "ALTER TABLE customers ADD COLUMN credit_currency TEXT",
    ),
    # 3: a session belongs to the API version it logged in on.
    ("ALTER TABLE sessions ADD COLUMN api_version TEXT NOT NULL DEFAULT '4.0'",),
    # 4: the change history, and indexes for the dashboard's customer search.
    (
        # One row per call and customer (or subscription); ``changes`` is a JSON list of
        # {"field", "old", "new"} (see twoco.core.history). No foreign key to customers: a
        # subscription's move is recorded under both owners, and entries outlive nothing else.
        """
        CREATE TABLE change_history (
            id AUTOINCREMENT_KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            customer_reference INTEGER NOT NULL,
            subscription_reference TEXT,
            changed_at TEXT NOT NULL,
            protocol TEXT NOT NULL,
            operation TEXT NOT NULL,
            changes TEXT NOT NULL
        )
        """,
        "CREATE INDEX change_history_by_customer ON change_history (merchant_id, customer_reference, id)",
        # Case-insensitive prefix search, across merchants (a sandbox has few): each index is walked
        # in order from the prefix, so a page of results costs the same on a million customers.
        "CREATE INDEX customers_by_email ON customers (lower(email), reference)",
        "CREATE INDEX customers_by_last_name ON customers (lower(last_name), reference)",
        "CREATE INDEX customers_by_first_name ON customers (lower(first_name), reference)",
        "CREATE INDEX customers_by_external_reference ON customers (external_reference)",
    ),
    # 5: the Subscription fields 2Checkout documents beyond the first build's (DeliveryInfo as JSON).
    (
        "ALTER TABLE subscriptions ADD COLUMN activation_date TEXT",
        "ALTER TABLE subscriptions ADD COLUMN delivery_info TEXT",
        "ALTER TABLE subscriptions ADD COLUMN next_renewal_price DOUBLE PRECISION",
        "ALTER TABLE subscriptions ADD COLUMN next_renewal_price_currency TEXT",
        "ALTER TABLE subscriptions ADD COLUMN subscription_value DOUBLE PRECISION",
        "ALTER TABLE subscriptions ADD COLUMN subscription_value_currency TEXT",
        "ALTER TABLE subscriptions ADD COLUMN custom_price_billing_cycles_left INTEGER",
        # Imports that name a product by id only take the code an earlier import gave it.
        "CREATE INDEX subscriptions_by_product_id ON subscriptions (merchant_id, product_id)",
    ),
    # 6: single sign-on tokens (twoco.domains.sso), stored by digest like sessions. ``kind`` is
    # 'account' (a myAccount page) or 'cart'; ``target`` the page or the cart path and query;
    # ``used_at`` is set once, by the one request that spends the token.
    (
        """
        CREATE TABLE sso_tokens (
            token_hash TEXT PRIMARY KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            customer_reference INTEGER NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            request TEXT,
            language TEXT,
            validation_ip TEXT,
            expires_at DOUBLE PRECISION NOT NULL,
            used_at DOUBLE PRECISION
        )
        """,
        "CREATE INDEX sso_tokens_by_expiry ON sso_tokens (expires_at)",
    ),
    # 7: the catalogue (twoco.domains.products). A product is a JSON ``document``; the columns
    # beside it are its keys and what searchProducts filters on. ``id`` keeps the order products
    # were added in (AvangateIds are random).
    (
        """
        CREATE TABLE products (
            id AUTOINCREMENT_KEY,
            avangate_id INTEGER NOT NULL UNIQUE,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            product_type TEXT NOT NULL,
            enabled BOOLEAN NOT NULL,
            group_name TEXT NOT NULL,
            document TEXT NOT NULL,
            CONSTRAINT products_code_key UNIQUE (merchant_id, code)
        )
        """,
        """
        CREATE TABLE product_groups (
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            template_name TEXT,
            description TEXT,
            enabled BOOLEAN NOT NULL,
            PRIMARY KEY (merchant_id, code)
        )
        """,
    ),
    # 8: orders (twoco.domains.orders), and each merchant's sandbox settings (JSON: how its test
    # orders complete). An order is a JSON ``document``, as placeOrder answered it; ``history``
    # its status changes; the columns beside them what searchOrders filters on and what falls
    # due: ``due_at`` is when an order waiting to complete on the sandbox clock completes;
    # ``payment_token`` names it in the links of the sandbox's 3-D Secure and PayPal pages.
    (
        "ALTER TABLE merchants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
        """
        CREATE TABLE orders (
            id AUTOINCREMENT_KEY,
            ref_no INTEGER NOT NULL UNIQUE,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            external_reference TEXT,
            status TEXT NOT NULL,
            approve_status TEXT NOT NULL,
            test_order BOOLEAN NOT NULL,
            order_date TEXT NOT NULL,
            customer_reference INTEGER,
            due_at DOUBLE PRECISION,
            payment_token TEXT UNIQUE,
            document TEXT NOT NULL,
            history TEXT NOT NULL
        )
        """,
        "CREATE INDEX orders_by_date ON orders (merchant_id, order_date, id)",
        "CREATE INDEX orders_by_due_date ON orders (due_at)",
        "CREATE INDEX orders_by_customer ON orders (merchant_id, customer_reference, order_date)",
        # The order that made (later: renewed) a subscription: 6.0's LatestSubscriptionOrder.
        "ALTER TABLE subscriptions ADD COLUMN latest_order INTEGER",
    ),
    # 9: the notifications' outbox (twoco.domains.notifications): each IPN and LCN, written in the
    # transaction of the change that causes it, with its fields as sent (JSON) and its next attempt
    # (``due_at``, sandbox clock; NULL once it is no longer pending); ``lease_until`` (real time)
    # while a process delivers it. Each attempt is kept with its answer and verdict.
    (
        """
        CREATE TABLE notifications (
            id AUTOINCREMENT_KEY,
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            kind TEXT NOT NULL,
            reference TEXT NOT NULL,
            event TEXT NOT NULL,
            test BOOLEAN NOT NULL,
            made_at DOUBLE PRECISION NOT NULL,
            url TEXT,
            algorithms TEXT NOT NULL,
            fields TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            due_at DOUBLE PRECISION,
            ladder_at DOUBLE PRECISION NOT NULL,
            ladder_base INTEGER NOT NULL,
            lease_until DOUBLE PRECISION
        )
        """,
        """
        CREATE TABLE notification_attempts (
            merchant_id INTEGER NOT NULL REFERENCES merchants (id),
            notification_id INTEGER NOT NULL REFERENCES notifications (id),
            number INTEGER NOT NULL,
            made_at DOUBLE PRECISION NOT NULL,
            url TEXT NOT NULL,
            status INTEGER,
            answer TEXT NOT NULL,
            delivered BOOLEAN NOT NULL,
            reason TEXT NOT NULL,
            seconds DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (notification_id, number)
        )
        """,
        "CREATE INDEX notifications_by_due_date ON notifications (due_at)",
        "CREATE INDEX notifications_by_url ON notifications (url, lease_until)",
        "CREATE INDEX notifications_by_merchant ON notifications (merchant_id, id)",
        "CREATE INDEX notifications_by_reference ON notifications (reference, id)",
    ),
)
