"""The one registry of API operations.

Each operation is defined once: its name, its positional parameters with their types, its
result type, the API versions that have it, and the service method that carries it out.
The SOAP WSDL, the SOAP dispatcher (and later JSON-RPC and REST) are all derived from here:
adding an operation is one entry below and one service method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twoco.errors import ApiError
from twoco.model import BOOLEAN, CUSTOMER, END_USER, INT, STRING, SUBSCRIPTION, Array, WireType

VERSIONS = ("4.0",)


@dataclass(frozen=True)
class Param:
    name: str
    type: WireType
    required: bool = True


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]  # after the sessionID, for operations that need a session
    result: WireType
    handler: str  # the name of the Service method that carries it out
    needs_session: bool = True
    versions: tuple[str, ...] = VERSIONS

    @property
    def wire_params(self) -> tuple[Param, ...]:
        """The positional parameters as SOAP and JSON-RPC callers send them."""
        return ((SESSION_ID,) if self.needs_session else ()) + self.params


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how: handed to every service method."""

    version: str
    protocol: str
    merchant_id: int | None = None  # None only while logging in
    client: str = ""


SESSION_ID = Param("sessionID", STRING)
CUSTOMER_REFERENCES = (
    Param("AvangateCustomerReference", INT, required=False),
    Param("ExternalCustomerReference", STRING, required=False),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "login",
        (Param("merchantCode", STRING), Param("date", STRING), Param("hash", STRING), Param("algo", STRING, False)),
        STRING,
        "login",
        needs_session=False,
    ),
    Operation("createCustomer", (Param("Customer", CUSTOMER),), INT, "create_customer"),
    Operation("getCustomerInformation", CUSTOMER_REFERENCES, CUSTOMER, "get_customer"),
    Operation(
        "updateCustomerInformation",
        (Param("Customer", CUSTOMER), Param("UpdateEndUserSubscriptions", BOOLEAN, required=False)),
        BOOLEAN,
        "update_customer",
    ),
    Operation("addSubscription", (Param("Subscription", SUBSCRIPTION),), STRING, "add_subscription"),
    Operation("getSubscription", (Param("SubscriptionReference", STRING),), SUBSCRIPTION, "get_subscription"),
    Operation("getCustomerSubscriptions", CUSTOMER_REFERENCES, Array(SUBSCRIPTION), "get_customer_subscriptions"),
    Operation(
        "updateSubscriptionEndUser",
        (Param("SubscriptionReference", STRING), Param("EndUser", END_USER)),
        BOOLEAN,
        "update_subscription_end_user",
    ),
    Operation(
        "setSubscriptionCustomer",
        (Param("SubscriptionReference", STRING), *CUSTOMER_REFERENCES),
        BOOLEAN,
        "set_subscription_customer",
    ),
)


def operations_for(version: str) -> dict[str, Operation]:
    return {op.name: op for op in OPERATIONS if version in op.versions}


_BY_VERSION = {version: operations_for(version) for version in VERSIONS}


def lookup(version: str, name: str) -> Operation:
    """The operation called ``name`` in ``version``; names are case-sensitive, as 2Checkout's are."""
    try:
        return _BY_VERSION[version][name]
    except KeyError:
        raise ApiError("UNKNOWN_OPERATION", operation=name[:100]) from None


def check_arity(op: Operation, args: Sequence[object]) -> list[object]:
    """Positional arguments padded with None for omitted optional ones, or INVALID_PARAMETERS."""
    params = op.wire_params
    if len(args) > len(params):
        raise ApiError(
            "INVALID_PARAMETERS", operation=op.name, reason=f"takes at most {len(params)} parameters, got {len(args)}"
        )
    padded = list(args) + [None] * (len(params) - len(args))
    for param, value in zip(params, padded):
        if param.required and value is None:
            raise ApiError("INVALID_PARAMETERS", operation=op.name, reason=f"{param.name} is required")
    return padded
