"""A notification as the outbox keeps it, and each attempt to deliver it."""

from __future__ import annotations

from dataclasses import dataclass, field

from twoco.domains.notifications.signatures import Fields

IPN, LCN = "IPN", "LCN"
KINDS = (IPN, LCN)
# A notification's states: waiting for its next attempt; answered with a valid read receipt;
# given up after the last attempt of the schedule; never sent, its merchant having no URL for it.
PENDING, DELIVERED, FAILED, UNSENT = "pending", "delivered", "failed", "unsent"
STATES = (PENDING, DELIVERED, FAILED, UNSENT)


def state_text(state: str) -> str:
    """A state as a person reads it: "not sent: no URL" for one never sent."""
    return "not sent: no URL" if state == UNSENT else state


@dataclass
class Notification:
    id: int
    merchant_id: int
    kind: str  # IPN or LCN
    reference: str  # the order's RefNo (IPN) or the subscription's reference (LCN)
    event: str  # the IPN's ORDERSTATUS, the LCN's DISPATCH_REASON
    test: bool
    made_at: float  # when the change that caused it was made, on the sandbox clock
    url: str | None  # where it goes; None: its merchant had no URL for its kind
    algorithms: list[str]  # those it is signed with
    fields: Fields  # as sent, signatures included
    state: str = PENDING
    attempts: int = 0  # made so far
    due_at: float | None = None  # its next attempt, on the sandbox clock
    # Its attempts fall due counted from ``ladder_at`` (its making, or its last resend), the
    # ``ladder_base`` attempts made before then aside.
    ladder_at: float = 0.0
    ladder_base: int = 0
    merchant_code: str = ""
    history: list[Attempt] = field(default_factory=list)  # filled by the inbox's reads only


@dataclass(frozen=True)
class Attempt:
    number: int  # 1 for the first
    at: float  # when it was made, on the sandbox clock
    url: str
    status: int | None  # the answer's HTTP status; None without one
    answer: str  # its first bytes, as text
    delivered: bool
    reason: str  # the verdict's: which receipt counted, or why it did not
    seconds: float  # how long it took
