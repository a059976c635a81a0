"""Reference generators.

Customer references are 9-digit integers, subscription references (and pricing configuration
codes) 10 upper-case hex characters, product ids 7-digit integers, orders' RefNos 9-digit
integers: the shapes 2Checkout's own examples show. They are random (not sequential) so that a
reference tells nothing about how many customers exist; a seeded generator makes test runs
repeatable.
"""

from __future__ import annotations

import random
import secrets


class ReferenceGenerator:
    def __init__(self, seed: int | None = None) -> None:
        self.restart(seed)

    def restart(self, seed: int | None) -> None:
        """Start over: from ``seed`` the references repeat; without one they are unpredictable."""
        self._random: random.Random = secrets.SystemRandom() if seed is None else random.Random(seed)

    def customer_reference(self) -> int:
        return self._random.randint(100_000_000, 999_999_999)

    def subscription_reference(self) -> str:
        return f"{self._random.getrandbits(40):010X}"

    def order_reference(self) -> int:
        """An order's RefNo: 9 digits, as 2Checkout's latest ("193612999")."""
        return self._random.randint(100_000_000, 999_999_999)

    def message_id(self) -> str:
        """An IPN's MESSAGE_ID: 12 digits, as 2Checkout's ("254498854202")."""
        return str(self._random.randint(100_000_000_000, 999_999_999_999))

    def product_id(self) -> int:
        """A product's AvangateId: 7 digits, as 2Checkout's ("4590126")."""
        return self._random.randint(1_000_000, 9_999_999)


def new_session_id() -> str:
    """128 random bits, hex: unguessable, and never derived from a seed."""
    return secrets.token_hex(16)


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)
