"""One request as everything below the HTTP server sees it, and what happened to it.

The server makes an :class:`Exchange` per request and hands it down: the protocol adapter notes
the operation, its error and the fields it ignored; the service notes the merchant (id and code) once known;
a sandbox's injected fault notes its delay. The access log, the request journal and the delay
before answering read it afterwards: results travel back in what the call was given, not in
module-level context variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Exchange:
    client: str = ""  # the client's address
    base_url: str = "http://localhost"  # scheme and host it called: single sign-on links point back at it
    protocol: str = "http"  # "soap/4.0", "jsonrpc/6.0", "rest/6.0", "sso"…, as the access log names them
    operation: str = ""
    error_code: str = ""
    ignored_fields: list[str] = field(default_factory=list)  # sent, not declared, so ignored (see UnknownFields)
    merchant_id: int | None = None  # the merchant it acts for, once known
    merchant_code: str = ""  # and its code, for the access log and the journal
    delay: float = 0.0  # seconds to wait before answering (an injected fault)
