"""Reference generators.

Customer references are 9-digit integers and subscription references 10 upper-case hex
characters, the shapes 2Checkout's own examples show. They are random (not sequential) so
that a reference tells nothing about how many customers exist; a seeded generator makes
test runs repeatable.
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


def new_session_id() -> str:
    """128 random bits, hex: unguessable, and never derived from a seed."""
    return secrets.token_hex(16)


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)
