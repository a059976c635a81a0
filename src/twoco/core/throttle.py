"""Failed-login throttling, in memory, per server process.

A failed login is a hash that did not match (or a merchant code that does not exist): a
guess at a secret key. Failures are counted in a sliding window per client address and per
(merchant code, client address) pair. Once an address has too many, every login from it is
refused until the oldest of them leaves the window; once a pair has, logins for that merchant
code from that address are. There is deliberately no limit per merchant code alone: one attacker could then
lock a merchant out from everywhere, while a key of 40 random characters cannot be guessed
at any rate a few addresses can sustain.

Nothing is written to the store on the failure path; the counts live in this process and go
with it (``serve --workers N`` has N sets of counts).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from twoco.core.clock import Clock

_MAX_TRACKED = 100_000  # keys remembered at most; beyond that the oldest are forgotten
_MAX_CODE = 64  # merchant codes are at most 64 characters; longer ones are not codes anyway


@dataclass(frozen=True)
class ThrottleLimits:
    per_merchant: int = 10  # failures per (merchant code, address) within the window
    per_address: int = 20  # failures per address, whatever the merchant code, within the window
    window: int = 60  # seconds

    @classmethod
    def parse(cls, text: str) -> ThrottleLimits | None:
        """``"10/20"`` (per merchant code and address / per address, each per minute), or ``"off"``."""
        if text.strip().lower() == "off":
            return None
        merchant, _, address = text.partition("/")
        limits = cls(int(merchant), int(address))
        if limits.per_merchant < 1 or limits.per_address < 1:
            raise ValueError("limits must be 1 or more")
        return limits


class LoginThrottle:
    def __init__(self, clock: Clock, limits: ThrottleLimits | None = ThrottleLimits()) -> None:
        self.clock = clock
        self.limits = limits
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def window(self) -> int:
        return self.limits.window if self.limits else 0

    def retry_after(self, merchant_code: str, address: str) -> tuple[int, str] | None:
        """(seconds until a login may be tried again, what is throttled), or None if not throttled."""
        if self.limits is None or not self._failures:  # the hot path: no failed login to count
            return None
        with self._lock:
            now = self.clock.now()
            pair = ("pair", merchant_code[:_MAX_CODE], address)
            for key, limit, scope in (
                (("address", address), self.limits.per_address, "this address"),
                (pair, self.limits.per_merchant, "this merchant code from this address"),
            ):
                failures = self._recent(key, now, keep=False)
                if len(failures) >= limit:
                    # Free again once the oldest of the last ``limit`` failures has left the window.
                    return max(1, math.ceil(failures[-limit] + self.limits.window - now)), scope
        return None

    def failed(self, merchant_code: str, address: str) -> None:
        if self.limits is None:
            return
        with self._lock:
            now = self.clock.now()
            for key in (("address", address), ("pair", merchant_code[:_MAX_CODE], address)):
                self._recent(key, now).append(now)
                self._failures[key] = self._failures.pop(key)  # most recently failed last
            while len(self._failures) > _MAX_TRACKED:
                del self._failures[next(iter(self._failures))]

    def forget(self, merchant_code: str | None = None) -> None:
        """Drop the counts (only those of one merchant code's pairs, if given): a sandbox reset starts afresh."""
        with self._lock:
            if merchant_code is None:
                self._failures.clear()
                return
            for key in [key for key in self._failures if key[0] == "pair" and key[1] == merchant_code[:_MAX_CODE]]:
                del self._failures[key]

    def _recent(self, key: tuple[str, ...], now: float, keep: bool = True) -> deque[float]:
        """The key's failures inside the window; the rest (and, if the clock moved back, later ones) are dropped.

        A key without recent failures is forgotten unless ``keep``: a check remembers nothing.
        """
        window = self.window
        failures = deque(t for t in self._failures.get(key, ()) if now - window < t <= now)
        if failures or keep:
            self._failures[key] = failures
        else:
            self._failures.pop(key, None)
        return failures
