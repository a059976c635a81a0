"""What single sign-on asks of a store (``twoco.store.sso`` answers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from twoco.domains.subscriptions.port import SubscriptionStore


class SsoStore(SubscriptionStore, Protocol):
    def add_sso_token(self, token_hash: str, merchant_id: int, token: Mapping[str, Any], now: float) -> None: ...

    def sso_token(self, token_hash: str) -> dict[str, Any] | None: ...

    def spend_sso_token(self, token_hash: str, now: float) -> bool: ...
