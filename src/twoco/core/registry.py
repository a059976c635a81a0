"""How an API operation is defined, over every API version, and the registry that holds them.

Each operation is defined once, by its domain (``twoco.domains``): its name, its positional
parameters with their types, its result type, the handler that carries it out, its REST route,
and the versions that have it. Versions are data: an operation or a parameter says from which
version (``since``) and until which (``until``, the first version without it) it exists, and
types drop the fields of later versions (``schema.at_version``). The SOAP WSDLs, the SOAP and
JSON-RPC dispatchers, the REST routes and the OpenAPI documents are all derived from the
:class:`Registry` that ``twoco.domains`` builds from every domain's operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.schema import STRING, WireType, at_version, version_key

VERSIONS = ("3.0", "4.0", "5.0", "6.0")  # every version has SOAP, JSON-RPC and REST
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
    # A creation (``creates``) answers 201 Created with the new resource's Location on the
    # versions before this one, and 200 on the others (None: on every version), as each
    # resource's recorded outputs show (docs/protocols.md, "Creations").
    created_201_until: str | None = None
    # The field that names the new resource in its Location: the request body's, or the result's
    # when the body has none (a new order's RefNo); "": the result itself does.
    location: str = ""
    # The parameters the path does not fill are the JSON body's fields, by name in any case
    # (issueRefund's {"amount", "comment", "reason", "items"}), not the query's.
    body_fields: bool = False

    def name_of(self, param: str) -> str:
        return dict(self.names).get(param, param)

    @property
    def creates(self) -> bool:
        """A POST to a collection (``POST /customers/``) creates; a POST to a record
        (``POST /subscriptions/{SubscriptionReference}/``, enableSubscription) changes it."""
        return self.method == "POST" and "{" not in self.path

    def created_with_201(self, version: str) -> bool:
        until = self.created_201_until
        return self.creates and until is not None and version_key(version) < version_key(until)


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]  # after the sessionID, for operations that need a session
    result: WireType
    # The function that carries it out: handler(context, caller, *params); see twoco.core.service.
    handler: Callable[..., Any] = field(compare=False)
    needs_session: bool = True
    route: Route | None = None  # REST
    since: str = VERSIONS[0]
    until: str | None = None  # the first version without it
    # A result that differs by version: (since, type) pairs, latest last; ``result`` before the first.
    results: tuple[tuple[str, WireType], ...] = ()

    @property
    def wire_params(self) -> tuple[Param, ...]:
        """The positional parameters as SOAP and JSON-RPC callers send them."""
        return ((SESSION_ID,) if self.needs_session else ()) + self.params

    def at(self, version: str) -> Operation:
        """The operation as ``version`` has it: its parameters and types there."""
        result = self.result
        for since, later in self.results:
            if version_key(version) >= version_key(since):
                result = later
        params = tuple(
            replace(p, type=at_version(p.type, version)) for p in self.params if in_versions(version, p.since, p.until)
        )
        return replace(self, params=params, result=at_version(result, version), results=())


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how: handed to every service method but login, once the merchant is known."""

    version: str
    protocol: str
    merchant_id: int
    client: str = ""
    operation: str = ""  # the operation's name, for the change history (empty for direct reads: CLI, dashboard)
    exchange: Exchange = field(default_factory=Exchange, compare=False)  # the request it came in, to note on


@dataclass(frozen=True)
class LoginCaller:
    """Who is logging in: a caller before it has a merchant, handed to login alone."""

    version: str
    protocol: str
    client: str = ""
    operation: str = ""
    exchange: Exchange = field(default_factory=Exchange, compare=False)


SESSION_ID = Param("sessionID", STRING)


class Registry:
    """Every operation of every domain, as each version has it; names are case-sensitive, as 2Checkout's are."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        defined = tuple(operations)
        self._by_version = {
            version: {op.name: op.at(version) for op in defined if in_versions(version, op.since, op.until)}
            for version in VERSIONS
        }
        self.names = frozenset(name for operations in self._by_version.values() for name in operations)

    def operations_for(self, version: str) -> dict[str, Operation]:
        return self._by_version[version]

    def lookup(self, version: str, name: str) -> Operation:
        """The operation called ``name`` in ``version``, or UNKNOWN_OPERATION."""
        try:
            return self._by_version[version][name]
        except KeyError:
            raise ApiError("UNKNOWN_OPERATION", operation=name[:100]) from None


def check_count(op: Operation, count: int) -> None:
    """INVALID_PARAMETERS when a call sends more positional parameters than ``op`` takes."""
    params = op.wire_params
    if count > len(params):
        raise ApiError(
            "INVALID_PARAMETERS", operation=op.name, reason=f"takes at most {len(params)} parameters, got {count}"
        )


def check_required(op: Operation, args: Sequence[object]) -> list[object]:
    """Positional arguments already counted (``check_count``) padded with None for omitted optional
    ones, or INVALID_PARAMETERS for a required one that is None."""
    params = op.wire_params
    padded = list(args) + [None] * (len(params) - len(args))
    for param, value in zip(params, padded):
        if param.required and value is None:
            raise ApiError("INVALID_PARAMETERS", operation=op.name, reason=f"{param.name} is required")
    return padded
