"""When 2Checkout sends a notification again (reference §4, "IPN/LCN POST failure recovery"):
at once; if that fails, twice within the next five minutes; then four times at fifteen-minute
intervals; then every hour until two days after the first. Counted from the notification's
making on the sandbox clock, so that moving the clock makes the retries fall due.

Where the docs say "within five minutes" twoco tries at 2.5 and 5 minutes: 53 attempts in all.
"""

from __future__ import annotations

_MINUTE = 60.0
_GIVE_UP_AFTER = 2 * 24 * 3600.0  # two days after the first attempt


def _offsets() -> tuple[float, ...]:
    offsets = [0.0, 2.5 * _MINUTE, 5 * _MINUTE]
    offsets += [offsets[-1] + 15 * _MINUTE * step for step in range(1, 5)]
    while offsets[-1] + 60 * _MINUTE <= _GIVE_UP_AFTER:
        offsets.append(offsets[-1] + 60 * _MINUTE)
    return tuple(offsets)


# Seconds after the notification's making at which each attempt falls due.
OFFSETS = _offsets()
ATTEMPTS = len(OFFSETS)


def next_due(made_at: float, attempts_made: int) -> float | None:
    """When the attempt after ``attempts_made`` failed ones falls due; None once they are all made."""
    return made_at + OFFSETS[attempts_made] if attempts_made < ATTEMPTS else None
