"""The domains: each keeps its wire objects, rules, store port and operations in a package of its
own, and the core holds only what all of them share (docs/architecture.md, "Adding a domain").

This module puts them together: :data:`REGISTRY`, every operation of every domain, from which
the protocols, the WSDLs, the OpenAPI documents and the client are derived; and
:class:`DomainStore`, the store every domain's port asks for, which ``SqlStore`` is.
"""

from __future__ import annotations

from typing import Protocol

from twoco.core.registry import Registry
from twoco.core.sessions import LOGIN
from twoco.domains import customers, notifications, orders, products, sso, subscriptions
from twoco.domains.notifications.port import NotificationStore
from twoco.domains.sso.port import SsoStore

# In dependency order: a domain may use those before it (tests/test_layers.py holds it to that).
DOMAINS = (customers, products, subscriptions, sso, orders, notifications)

REGISTRY = Registry((LOGIN, *(operation for domain in DOMAINS for operation in domain.OPERATIONS)))
# What hears the domains' changes, in their transactions (twoco.core.events): the notifications' outbox.
LISTENERS = notifications.LISTENERS


class DomainStore(SsoStore, NotificationStore, Protocol):
    """Every domain's port at once."""
