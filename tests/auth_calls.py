"""One login per protocol, with exactly the (code, date, hash) a test chooses: for attacks on login."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.clients import Fault, SudsClient
from twoco.core.auth import DATE_FORMAT, login_hash

PROTOCOLS = tuple(
    f"{kind}-{version}" for kind in ("soap", "jsonrpc", "rest") for version in ("3.0", "4.0", "5.0", "6.0")
)
REST_AUTHENTICATED = "authenticated"  # REST has no session: what login() returns when the header was accepted


def algo_of(protocol: str) -> str:
    return "sha256" if protocol.endswith(("5.0", "6.0")) else "md5"


def date_at(offset: float = 0) -> str:
    """A login date ``offset`` seconds from now."""
    return datetime.fromtimestamp(datetime.now(UTC).timestamp() + offset, UTC).strftime(DATE_FORMAT)


def credentials(protocol: str, code: str, secret: str, offset: float = 0) -> tuple[str, str, str, str]:
    date = date_at(offset)
    algo = algo_of(protocol)
    return code, date, login_hash(secret, code, date, algo), algo


def login(
    base_url: str, protocol: str, code: str, date: str, digest: str, algo: str, local_address: str | None = None
) -> str:
    """A session ID (REST: ``REST_AUTHENTICATED``), or :class:`Fault` with the code the server answered.

    REST folds authentication failures into AUTHENTICATION_ERROR; the underlying message is kept.
    """
    kind, version = protocol.split("-")
    if kind == "soap":
        args = (code, date, digest) if algo == "md5" else (code, date, digest, algo)
        return SudsClient(base_url, version).call("login", *args)  # type: ignore[return-value]
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    with httpx.Client(base_url=base_url, timeout=30, transport=transport) as http:
        if kind == "jsonrpc":
            body = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": [code, date, digest, algo]}
            answer = http.post(f"/rpc/{version}/", json=body).json()
            if "error" in answer:
                raise Fault(answer["error"]["data"]["error_code"], answer["error"]["message"])
            return answer["result"]
        header = f'code="{code}" date="{date}" hash="{digest}" algo="{algo}"'
        answer = http.get(f"/rest/{version}/customers/1/", headers={"X-Avangate-Authentication": header})
        if answer.status_code == 404:  # past authentication: no such customer
            return REST_AUTHENTICATED
        payload = answer.json()
        fault = Fault(
            payload["error_code"], payload["message"] + (f": {payload['reason']}" if "reason" in payload else "")
        )
        fault.status = answer.status_code  # type: ignore[attr-defined]
        fault.headers = answer.headers  # type: ignore[attr-defined]
        raise fault


def fault_of(*args: object, **kwargs: object) -> Fault:
    try:
        result = login(*args, **kwargs)  # type: ignore[arg-type]
    except Fault as fault:
        return fault
    raise AssertionError(f"login succeeded: {result!r}")
