"""The one registry of API operations, over every API version.

Each operation is defined once: its name, its positional parameters with their types, its
result type, the service method that carries it out, its REST route, and the versions that
have it. Versions are data: an operation or a parameter says from which version (``since``)
and until which (``until``, the first version without it) it exists, and types drop the
fields of later versions (``model.at_version``). The SOAP WSDLs, the SOAP and JSON-RPC
dispatchers, the REST routes and the OpenAPI documents are all derived from here: adding an
operation is one entry below and one service method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from twoco.core.errors import ApiError
from twoco.core.schema import (
    BOOLEAN,
    CUSTOMER_SEARCH,
    CUSTOMER_SEARCH_RESULT,
    CUSTOMER_V6,
    END_USER,
    INT,
    PAGINATED_SINCE,
    STRING,
    SUBSCRIPTION,
    SUBSCRIPTION_SEARCH,
    SUBSCRIPTION_SEARCH_RESULT,
    Array,
    WireType,
    at_version,
    version_key,
)

VERSIONS = ("3.0", "4.0", "5.0", "6.0")
REST_VERSIONS = VERSIONS
# avangate/PHP-REST-API-Client and the official REST samples call https://api.avangate.com/3.0/…:
# the legacy REST 3.0 is served at /3.0/ too, beside /rest/3.0/.
BARE_REST_VERSIONS = ("3.0",)
MD5_RETIRED_SINCE = "6.0"  # 2Checkout retired MD5 for API 6.0 (MD5_RETIRED); earlier versions sign with it


def in_versions(version: str, since: str, until: str | None) -> bool:
    """Whether ``version`` is in [since, until)."""
    key = version_key(version)
    return key >= version_key(since) and (until is None or key < version_key(until))


@dataclass(frozen=True)
class Param:
    name: str
    type: WireType
    required: bool = True
    since: str = VERSIONS[0]
    until: str | None = None  # the first version without it


@dataclass(frozen=True)
class Route:
    """A REST route. ``{Name}`` in the path fills the parameter of that name, or the field of that
    name in the struct parameter; a struct parameter comes from the JSON body (of a GET: from
    the query string, one query parameter per field); any other parameter from the query string.
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

    @property
    def creates(self) -> bool:
        """A POST to a collection (``POST /customers/``) creates; a POST to a record
        (``POST /subscriptions/{SubscriptionReference}/``, enableSubscription) changes it."""
        return self.method == "POST" and "{" not in self.path


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]  # after the sessionID, for operations that need a session
    result: WireType
    handler: str  # the name of the Service method that carries it out
    needs_session: bool = True
    route: Route | None = None  # REST (on REST_VERSIONS only)
    since: str = VERSIONS[0]
    until: str | None = None  # the first version without it
    # A result that differs by version: (since, type) pairs, latest last; ``result`` before the first.
    results: tuple[tuple[str, WireType], ...] = ()

    @property
    def wire_params(self) -> tuple[Param, ...]:
        """The positional parameters as SOAP and JSON-RPC callers send them."""
        return ((SESSION_ID,) if self.needs_session else ()) + self.params

    def at(self, version: str) -> Operation:
        """The operation as ``version`` has it: its parameters and types there, its route if REST exists."""
        result = self.result
        for since, later in self.results:
            if version_key(version) >= version_key(since):
                result = later
        params = tuple(
            replace(p, type=at_version(p.type, version)) for p in self.params if in_versions(version, p.since, p.until)
        )
        route = self.route if version in REST_VERSIONS else None
        return replace(self, params=params, result=at_version(result, version), route=route, results=())


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how: handed to every service method."""

    version: str
    protocol: str
    merchant_id: int | None = None  # None only while logging in
    client: str = ""
    operation: str = ""  # the operation's name, for the change history (empty for direct reads: CLI, dashboard)


SESSION_ID = Param("sessionID", STRING)

_EXTERNAL = Param("ExternalCustomerReference", STRING, required=False)
_REFERENCES = (Param("AvangateCustomerReference", INT, required=False), _EXTERNAL)
_SUBSCRIPTION_REFERENCE = Param("SubscriptionReference", STRING)
_A_SUBSCRIPTION = "/subscriptions/{SubscriptionReference}/"  # REST: one subscription

# Sources for each version difference are in docs/protocols.md ("Versions").
REGISTRY: tuple[Operation, ...] = (
    Operation(
        "login",
        (
            Param("merchantCode", STRING),
            Param("date", STRING),
            Param("hash", STRING),
            # Optional before 6.0 (absent means MD5, as 3.0 and 4.0 samples sign); 6.0 requires it.
            Param("algo", STRING, required=False, until="6.0"),
            Param("algo", STRING, since="6.0"),
        ),
        STRING,
        "login",
        needs_session=False,
    ),
    Operation(
        "createCustomer", (Param("Customer", CUSTOMER_V6),), INT, "create_customer", route=Route("POST", "/customers/")
    ),
    Operation(
        "getCustomerInformation",
        (
            # 5.0 and 6.0 name the first reference CustomerReference; 6.0 adds IncludePaymentData.
            Param("AvangateCustomerReference", INT, required=False, until="5.0"),
            Param("CustomerReference", INT, required=False, since="5.0"),
            _EXTERNAL,
            Param("IncludePaymentData", BOOLEAN, required=False, since="6.0"),
        ),
        CUSTOMER_V6,
        "get_customer",
        route=Route("GET", "/customers/{CReference}/"),
    ),
    Operation(
        "updateCustomerInformation",
        (Param("Customer", CUSTOMER_V6), Param("UpdateEndUserSubscriptions", BOOLEAN, required=False)),
        BOOLEAN,
        "update_customer",
        route=Route("PUT", "/customers/{CReference}/"),
    ),
    Operation(
        "searchCustomers",
        (Param("SearchBy", CUSTOMER_SEARCH, required=False),),
        CUSTOMER_SEARCH_RESULT,
        "search_customers",
        since="6.0",
    ),
    Operation(
        "addSubscription",
        # 5.0 and 6.0: "To add test subscriptions, set the Test parameter to 1."
        (Param("Subscription", SUBSCRIPTION), Param("Test", INT, required=False, since="5.0")),
        STRING,
        "add_subscription",
        route=Route("POST", "/subscriptions/"),
    ),
    Operation(
        "getSubscription",
        (_SUBSCRIPTION_REFERENCE,),
        SUBSCRIPTION,
        "get_subscription",
        route=Route("GET", _A_SUBSCRIPTION),
    ),
    Operation(
        "getSubscriptions",
        (Param("SubscriptionReference", Array(STRING)), Param("Aggregate", BOOLEAN, required=False)),
        Array(SUBSCRIPTION),
        "get_subscriptions",
    ),
    Operation(
        "searchSubscriptions",
        (Param("SearchBy", SUBSCRIPTION_SEARCH, required=False),),
        Array(SUBSCRIPTION),
        "search_subscriptions",
        route=Route("GET", "/subscriptions/"),
        since="4.0",
        results=((PAGINATED_SINCE, SUBSCRIPTION_SEARCH_RESULT),),
    ),
    Operation(
        "getCustomerSubscriptions",
        _REFERENCES,
        Array(SUBSCRIPTION),
        "get_customer_subscriptions",
        route=Route("GET", "/customers/{CReference}/subscriptions/"),
    ),
    Operation(
        "updateSubscription",
        (Param("Subscription", SUBSCRIPTION),),
        BOOLEAN,
        "update_subscription",
        route=Route("PUT", _A_SUBSCRIPTION),
        since="5.0",
    ),
    # Disable / enable: the Node SDK's testSubscriptions.js sends DELETE and POST to the subscription.
    Operation(
        "cancelSubscription",
        (
            _SUBSCRIPTION_REFERENCE,
            # Documented on 6.0 only (the 3.0, 4.0 and 5.0 pages list SubscriptionReference alone).
            Param("ChurnReasons", Array(STRING), required=False, since="6.0"),
            Param("ChurnReasonOther", STRING, required=False, since="6.0"),
        ),
        BOOLEAN,
        "cancel_subscription",
        route=Route("DELETE", _A_SUBSCRIPTION),
    ),
    Operation(
        "enableSubscription",
        (_SUBSCRIPTION_REFERENCE,),
        BOOLEAN,
        "enable_subscription",
        route=Route("POST", _A_SUBSCRIPTION),
    ),
    Operation(
        "updateSubscriptionEndUser",
        (_SUBSCRIPTION_REFERENCE, Param("EndUser", END_USER)),
        BOOLEAN,
        "update_subscription_end_user",
        route=Route("PUT", f"{_A_SUBSCRIPTION}end-user/"),
    ),
    Operation(
        "setSubscriptionCustomer",
        (_SUBSCRIPTION_REFERENCE, *_REFERENCES),
        BOOLEAN,
        "set_subscription_customer",
        route=Route("PUT", f"{_A_SUBSCRIPTION}customer/"),
    ),
)


# --- single sign-on (see twoco.core.sso): links into myAccount and the cart, where 2Checkout documents
# them: by subscription, by customer and in cart from 3.0 on (3.0's and 4.0's SSO sections number
# the three 01-03; languageCode on 6.0), the customer behind a cart token from 5.0 on (its 04).

# REST spells these with a capital (its query names match case-insensitively: this is for the OpenAPI document).
_REST_CASE = (("validityTime", "ValidityTime"), ("validationIp", "ValidationIp"), ("url", "Url"))
_SSO_CUSTOMER = (Param("idCustomer", STRING), Param("customerType", STRING))
_SSO_VALIDITY = (Param("validityTime", INT, False), Param("validationIp", STRING, False))
_SSO_LANGUAGE = Param("languageCode", STRING, False, since="6.0")


def _sso_by_path(path: str, *names: tuple[str, str]) -> Route:
    """REST names the customer in the path, by either reference: customerType is then implied.
    A GET that writes: it stores the link's token."""
    rest_names = (("idCustomer", "CReference"), *_REST_CASE, *names)
    return Route("GET", path, names=rest_names, fixed=(("customerType", "AvangateCustomerReference"),), writes=True)


SINGLE_SIGN_ON: tuple[Operation, ...] = (
    Operation(
        "getSingleSignOnByCustomer",
        (*_SSO_CUSTOMER, Param("page", STRING, False), Param("request", STRING, False), *_SSO_VALIDITY, _SSO_LANGUAGE),
        STRING,
        "single_sign_on_by_customer",
        route=_sso_by_path(
            "/customers/{CReference}/account/{PageType}/", ("page", "PageType"), ("languageCode", "Lang")
        ),
    ),
    Operation(
        "getSingleSignOnInCart",
        (*_SSO_CUSTOMER, Param("url", STRING, False), *_SSO_VALIDITY),
        STRING,
        "single_sign_on_in_cart",
        route=_sso_by_path("/customers/{CReference}/cart/"),
    ),
    Operation(
        "getSingleSignOn",
        (
            Param("subscriptionReference", STRING),
            Param("email", STRING, False),
            Param("validityTime", INT, False),
            Param("accessPage", STRING, False),
            Param("validationIp", STRING, False),
            _SSO_LANGUAGE,
        ),
        STRING,
        "single_sign_on_by_subscription",
        route=Route(
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
    Operation(
        "getCustomerInformationBySSOToken",
        (Param("singleSignOnToken", STRING),),
        CUSTOMER_V6,
        "customer_by_sso_token",
        route=Route("GET", "/customers/", names=(("singleSignOnToken", "ssotoken"),)),
        since="5.0",
    ),
)


def _define(version: str) -> tuple[Operation, ...]:
    return tuple(op.at(version) for op in REGISTRY + SINGLE_SIGN_ON if in_versions(version, op.since, op.until))


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
