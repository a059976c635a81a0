"""Injected faults: make the next N calls of an operation fail, or answer late, on purpose.

Sandboxes use them to test how an integration copes with 2Checkout's errors and slowness
(``POST /_twoco/faults``). Rules live in memory, per server process, and are consumed in
the order they were added: each matching call uses up one.
"""

from __future__ import annotations

import string
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from twoco.core.context import S
from twoco.core.errors import CATALOGUE, ApiError
from twoco.core.registry import Caller, LoginCaller, Operation
from twoco.core.service import Service

MAX_DELAY = 60.0  # seconds; a longer wait is a client's timeout test gone wrong
MAX_COUNT = 1_000_000


@dataclass
class FaultRule:
    operation: str
    remaining: int
    error: str | None = None  # a catalogue code; None: answer normally (after the delay)
    message: str | None = None  # the fault's message; default: the catalogue's, with "[injected]" details
    delay: float = 0.0  # seconds to wait before answering

    def to_error(self) -> ApiError | None:
        if self.error is None:
            return None
        template = CATALOGUE[self.error].message
        message = self.message or string.Formatter().vformat(template, (), defaultdict(lambda: "[injected]"))
        return ApiError.with_message(self.error, message)


class Faults:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def take(self, operation: str) -> FaultRule | None:
        """The first rule for ``operation``, used up by this call; None when there is none."""
        if not self._rules:  # the hot path: nothing injected
            return None
        with self._lock:
            for rule in self._rules:
                if rule.operation == operation:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def active(self) -> list[dict[str, object]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._rules)
            self._rules.clear()
            return cleared


class FaultInjectingService(Service[S]):
    """The service of a sandbox (control plane on): each call first uses up the fault injected for
    its operation, if any; a reset of every merchant clears the faults too."""

    faults: Faults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.faults = Faults()

    def invoke(self, operation: Operation, args: Sequence[object], caller: Caller | LoginCaller) -> Any:
        fault = self.faults.take(operation.name)
        if fault is not None:
            caller.exchange.delay = max(caller.exchange.delay, fault.delay)
            error = fault.to_error()
            if error is not None:
                raise error
        return super().invoke(operation, args, caller)

    def forget(self, merchant_code: str | None = None) -> None:
        super().forget(merchant_code)
        if merchant_code is None:
            self.faults.clear()
