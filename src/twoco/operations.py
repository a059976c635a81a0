"""The one registry of API operations.

Each operation is defined once per API version: its name, its positional parameters with
their types, its result type, the service method that carries it out, and (on 6.0) its
REST route. The SOAP WSDLs, the SOAP and JSON-RPC dispatchers, the REST routes and the
OpenAPI document are all derived from here: adding an operation is one entry below and one
service method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twoco.errors import ApiError
from twoco.model import BOOLEAN, CUSTOMER, CUSTOMER_V6, END_USER, INT, STRING, SUBSCRIPTION, Array, WireType

VERSIONS = ("4.0", "6.0")


@dataclass(frozen=True)
class Param:
    name: str
    type: WireType
    required: bool = True


@dataclass(frozen=True)
class Route:
    """A REST route. ``{Name}`` in the path fills the parameter of that name; a struct
    parameter comes from the JSON body; any other parameter from the query string.
    ``{CReference}`` names a customer by either reference (see ``twoco.protocols.rest``).
    ``names`` gives REST's own name of a parameter where it differs (``{name}`` in the path, or
    the query's), ``fixed`` the value of one REST does not send."""

    method: str
    path: str
    # Where REST's documented names differ from SOAP's: (parameter, name in the path or query).
    names: tuple[tuple[str, str], ...] = ()
    # Parameters REST does not send, with the value they take: (parameter, value).
    fixed: tuple[tuple[str, object], ...] = ()
    writes: bool = False  # a GET that stores something (an SSO link's token): not a read-only transaction

    def name_of(self, param: str) -> str:
        return dict(self.names).get(param, param)


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]  # after the sessionID, for operations that need a session
    result: WireType
    handler: str  # the name of the Service method that carries it out
    needs_session: bool = True
    route: Route | None = None  # REST (API 6.0 only)

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
    operation: str = ""  # the operation's name, for the change history (empty for direct reads: CLI, dashboard)


SESSION_ID = Param("sessionID", STRING)


def _define(version: str) -> tuple[Operation, ...]:
    v6 = version == "6.0"
    customer = CUSTOMER_V6 if v6 else CUSTOMER
    external = Param("ExternalCustomerReference", STRING, required=False)
    references = (Param("AvangateCustomerReference", INT, required=False), external)

    def rest(method: str, path: str, **mapping: object) -> Route | None:
        return Route(method, path, **mapping) if v6 else None  # type: ignore[arg-type]

    return (
        Operation(
            "login",
            # 6.0 makes algo required: 2Checkout retired MD5, the 4.0 default.
            (Param("merchantCode", STRING), Param("date", STRING), Param("hash", STRING), Param("algo", STRING, v6)),
            STRING,
            "login",
            needs_session=False,
        ),
        Operation("createCustomer", (Param("Customer", customer),), INT, "create_customer", route=rest("POST", "/customers/")),
        Operation(
            "getCustomerInformation",
            # 5.0 and 6.0 name the first reference CustomerReference and add IncludePaymentData.
            (Param("CustomerReference", INT, False), external, Param("IncludePaymentData", BOOLEAN, False))
            if v6
            else references,
            customer,
            "get_customer",
            route=rest("GET", "/customers/{CReference}/"),
        ),
        Operation(
            "updateCustomerInformation",
            (Param("Customer", customer), Param("UpdateEndUserSubscriptions", BOOLEAN, required=False)),
            BOOLEAN,
            "update_customer",
            route=rest("PUT", "/customers/{CReference}/"),
        ),
        Operation(
            "addSubscription",
            (Param("Subscription", SUBSCRIPTION),),
            STRING,
            "add_subscription",
            route=rest("POST", "/subscriptions/"),
        ),
        Operation(
            "getSubscription",
            (Param("SubscriptionReference", STRING),),
            SUBSCRIPTION,
            "get_subscription",
            route=rest("GET", "/subscriptions/{SubscriptionReference}/"),
        ),
        Operation(
            "getCustomerSubscriptions",
            references,
            Array(SUBSCRIPTION),
            "get_customer_subscriptions",
            route=rest("GET", "/subscriptions/"),
        ),
        Operation(
            "updateSubscriptionEndUser",
            (Param("SubscriptionReference", STRING), Param("EndUser", END_USER)),
            BOOLEAN,
            "update_subscription_end_user",
            route=rest("PUT", "/subscriptions/{SubscriptionReference}/end-user/"),
        ),
        Operation(
            "setSubscriptionCustomer",
            (Param("SubscriptionReference", STRING), *references),
            BOOLEAN,
            "set_subscription_customer",
            route=rest("PUT", "/subscriptions/{SubscriptionReference}/customer/"),
        ),
        *_single_sign_on(version, rest),
    )


# REST spells these with a capital (its query names match case-insensitively: this is for the OpenAPI document).
_REST_CASE = (("validityTime", "ValidityTime"), ("validationIp", "ValidationIp"), ("url", "Url"))


def _single_sign_on(version: str, rest: Callable[..., Route | None]) -> tuple[Operation, ...]:
    """Single sign-on links into myAccount and the cart (see ``twoco.sso``), where 2Checkout documents them:
    by subscription, by customer and in cart from 3.0 on (3.0's and 4.0's SSO sections number the
    three 01-03; ``languageCode`` on 6.0), the customer behind a cart token from 5.0 on (its 04)."""
    number = float(version)
    customer = (Param("idCustomer", STRING), Param("customerType", STRING))
    validity = (Param("validityTime", INT, False), Param("validationIp", STRING, False))
    language = (Param("languageCode", STRING, False),) if number >= 6 else ()

    def by_path(path: str, *names: tuple[str, str]) -> Route | None:
        """REST names the customer in the path, by either reference: customerType is then implied.
        A GET that writes: it stores the link's token."""
        rest_names = (("idCustomer", "CReference"), *_REST_CASE, *names)
        return rest("GET", path, names=rest_names, fixed=(("customerType", "AvangateCustomerReference"),), writes=True)
    operations: list[Operation] = []
    if number >= 3:
        operations += [
            Operation(
                "getSingleSignOnByCustomer",
                (*customer, Param("page", STRING, False), Param("request", STRING, False), *validity, *language),
                STRING,
                "single_sign_on_by_customer",
                route=by_path("/customers/{CReference}/account/{PageType}/", ("page", "PageType"), ("languageCode", "Lang")),
            ),
            Operation(
                "getSingleSignOnInCart",
                (*customer, Param("url", STRING, False), *validity),
                STRING,
                "single_sign_on_in_cart",
                route=by_path("/customers/{CReference}/cart/"),
            ),
            Operation(
                "getSingleSignOn",
                (
                    Param("subscriptionReference", STRING),
                    Param("email", STRING, False),
                    Param("validityTime", INT, False),
                    Param("accessPage", STRING, False),
                    Param("validationIp", STRING, False),
                    *language,
                ),
                STRING,
                "single_sign_on_by_subscription",
                route=rest(
                    "GET",
                    "/subscriptions/{SubscriptionReference}/signon/{PageType}/",
                    names=(
                        ("subscriptionReference", "SubscriptionReference"),
                        ("accessPage", "PageType"),
                        ("languageCode", "LanguageCode"),
                        ("email", "Email"),
                        *_REST_CASE,
                    ),
                    writes=True,
                ),
            ),
        ]
    if number >= 5:
        operations.append(
            Operation(
                "getCustomerInformationBySSOToken",
                (Param("singleSignOnToken", STRING),),
                CUSTOMER_V6 if number >= 6 else CUSTOMER,
                "customer_by_sso_token",
                route=rest("GET", "/customers/", names=(("singleSignOnToken", "ssotoken"),)),
            )
        )
    return tuple(operations)


_BY_VERSION = {version: {op.name: op for op in _define(version)} for version in VERSIONS}
OPERATION_NAMES = frozenset(name for operations in _BY_VERSION.values() for name in operations)


def operations_for(version: str) -> dict[str, Operation]:
    return _BY_VERSION[version]


def lookup(version: str, name: str) -> Operation:
    """The operation called ``name`` in ``version``; names are case-sensitive, as 2Checkout's are."""
    try:
        return _BY_VERSION[version][name]
    except KeyError:
        raise ApiError("UNKNOWN_OPERATION", operation=name[:100]) from None


def check_count(op: Operation, count: int) -> None:
    """INVALID_PARAMETERS when a call sends more positional parameters than ``op`` takes."""
    params = op.wire_params
    if count > len(params):
        raise ApiError(
            "INVALID_PARAMETERS", operation=op.name, reason=f"takes at most {len(params)} parameters, got {count}"
        )


def check_arity(op: Operation, args: Sequence[object]) -> list[object]:
    """Positional arguments padded with None for omitted optional ones, or INVALID_PARAMETERS."""
    check_count(op, len(args))
    params = op.wire_params
    padded = list(args) + [None] * (len(params) - len(args))
    for param, value in zip(params, padded):
        if param.required and value is None:
            raise ApiError("INVALID_PARAMETERS", operation=op.name, reason=f"{param.name} is required")
    return padded
