"""The one policy for running a call again after the store said "busy": jittered pauses, doubling.

A call that met a row another call holds (STORE_BUSY) rolled back whole, and so did one the
database chose as a deadlock's victim; either may run again. Waiting callers come back apart
(the jitter) and less often as they keep waiting (the doubling, up to a cap).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

FIRST_PAUSE = 0.01  # seconds
LONGEST_PAUSE = 0.25


def pauses(first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> Iterator[float]:
    """Seconds to wait before each next run: each drawn from [p/2, p], p doubling up to ``longest``."""
    pause = first
    while True:
        yield random.uniform(pause / 2, pause)
        pause = min(pause * 2, longest)
