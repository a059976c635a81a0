"""A request as the app reads it, and where its path leads, read once when it is made.

Routing, the choice between answering at once and answering on the store's terms, and the format
of a refusal the store forces afterwards all depend on the path: each reads the request's
:class:`Target`, so that they cannot disagree about what a path names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from twoco.core.registry import BARE_REST_VERSIONS, VERSIONS
from twoco.protocols.soap.wsdl import SCHEMA_PATH
from twoco.server.payment_pages import PATHS as PAYMENT_PATHS
from twoco.server.sso_pages import SsoPages

CONTROL_PREFIX = "/_twoco"  # the control plane's and the dashboard's (/_twoco/ itself is the dashboard)


class Kind(Enum):
    SOAP = "soap"  # /soap/X.0/: calls, and its WSDL
    RPC = "rpc"  # /rpc/X.0/
    REST = "rest"  # /rest/X.0/…
    BARE_REST = "bare-rest"  # /3.0/…: the legacy REST base
    CONTROL = "control"  # /_twoco/…
    SSO = "sso"  # the pages single sign-on links lead to
    PAYMENT = "payment"  # the pages a payment waiting for its shopper leads to (3-D Secure, PayPal)
    SCHEMA = "schema"  # the SOAP encoding schema the WSDLs import
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Target:
    """What a path names: its kind, the API version (of SOAP, JSON-RPC and REST), and the rest."""

    kind: Kind
    version: str = ""
    subpath: str = ""  # REST's path below its base; the control plane's below /_twoco/
    page: str = ""  # a sign-on page's kind (twoco.server.sso_pages: ACCOUNT, CART)
    journaled: bool = True  # the sandbox's own requests (below /_twoco/) stay out of its journal

    @property
    def base(self) -> str:
        """REST's base path, as a creation's Location repeats it."""
        return f"/{self.version}" if self.kind is Kind.BARE_REST else f"/rest/{self.version}"

    def needs_no_store(self, method: str) -> bool:
        """Whether the answer is made without the store: health, schemas, the WSDL, OpenAPI."""
        if self.kind is Kind.SCHEMA or (self.kind is Kind.CONTROL and self.subpath == "health"):
            return True
        if method not in ("GET", "HEAD"):
            return False
        return self.kind is Kind.SOAP or (self.kind in (Kind.REST, Kind.BARE_REST) and self.subpath == "openapi.json")


# The paths that name a target by themselves, each one's made once: a SOAP or JSON-RPC call's
# path costs a dictionary look-up.
_FIXED = {
    SCHEMA_PATH: Target(Kind.SCHEMA),
    **{f"/soap/{version}": Target(Kind.SOAP, version) for version in VERSIONS},
    **{f"/rpc/{version}": Target(Kind.RPC, version) for version in VERSIONS},
}


def target_of(raw_path: str) -> Target:
    """The target of a path as sent (percent-encoded; a trailing slash or none alike)."""
    path = raw_path.rstrip("/") or "/"
    fixed = _FIXED.get(path)
    if fixed is not None:
        return fixed
    protocol, _, rest = path[1:].partition("/")
    version, _, subpath = rest.partition("/")
    if protocol == "rest" and version in VERSIONS:
        return Target(Kind.REST, version, subpath)
    if protocol in BARE_REST_VERSIONS:
        return Target(Kind.BARE_REST, protocol, rest)
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        journaled = not raw_path.startswith(CONTROL_PREFIX + "/")  # (a bare /_twoco is journaled)
        return Target(Kind.CONTROL, subpath=path[len(CONTROL_PREFIX) + 1 :], journaled=journaled)
    if path in PAYMENT_PATHS:
        return Target(Kind.PAYMENT, subpath=path)
    page = SsoPages.kind_of(path)
    if page is not None:
        return Target(Kind.SSO, page=page)
    return Target(Kind.UNKNOWN)


@dataclass
class Request:
    method: str
    path: str  # as sent: percent-encoded
    query: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    client: str = ""
    scheme: str = "http"
    target: Target = field(init=False)  # where ``path`` leads

    def __post_init__(self) -> None:
        self.target = target_of(self.path)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.headers.get('host', 'localhost')}"
