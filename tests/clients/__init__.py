"""Real SOAP clients, behind one small interface, for tests that talk to a running server.

``client.call(operation, *args)`` returns the result as plain Python (dicts, lists,
scalars) or raises :class:`Fault`. In arguments, a dict key set to None is sent as nil
and an absent key is not sent at all.
"""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import suds
import suds.client
import suds.sudsobject
import suds.transport

from tests.servers import transport_for
from twoco.core.auth import login_hash
from twoco.core.schema import Array, Struct, WireType
from twoco.domains import REGISTRY

PHP_CALL = Path(__file__).with_name("soap_call.php")


class Fault(Exception):
    def __init__(self, error_code: str, message: str, faultcode: str = "") -> None:
        super().__init__(f"{error_code}: {message}")
        self.code = error_code
        self.message = message
        self.faultcode = faultcode


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


class SoapClient:
    name = ""

    def __init__(self, base_url: str, version: str = "4.0") -> None:
        self.base_url = base_url
        self.version = version
        self.location = f"{base_url}/soap/{version}/"
        self.wsdl = f"{self.location}?wsdl"

    def call(self, operation: str, *args: object) -> object:
        raise NotImplementedError

    def login(self, code: str, secret: str, algo: str | None = None) -> str:
        date = now_utc()
        digest = login_hash(secret, code, date, algo or "md5")
        args = (code, date, digest) if algo is None else (code, date, digest, algo)
        return self.call("login", *args)  # type: ignore[return-value]


class PhpClient(SoapClient):
    """PHP's SoapClient (ext-soap), one ``php`` process per call."""

    name = "php"

    def call(self, operation: str, *args: object) -> object:
        return self._run({"wsdl": self.wsdl, "location": self.location, "operation": operation, "args": list(args)})

    def call_untyped(self, operation: str, **named: object) -> object:
        """A non-WSDL-mode call: any operation name, untyped parameters in the given order."""
        request = {"wsdl": None, "location": self.location, "operation": operation}
        return self._run({**request, "names": list(named), "args": list(named.values())})

    def call_raw(self, operation: str, envelope: bytes) -> object:
        """Send a hand-written envelope through SoapClient::__doRequest and decode the answer."""
        request = {"wsdl": self.wsdl, "location": self.location, "operation": operation, "args": []}
        return self._run({**request, "raw": envelope.decode()})

    def _run(self, request: dict) -> object:
        done = subprocess.run(
            ["php", str(PHP_CALL)], input=json.dumps(request), capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0 or not done.stdout.startswith("{"):
            raise RuntimeError(f"php failed ({done.returncode}): {done.stdout}{done.stderr}")
        outcome = json.loads(done.stdout)
        if "fault" in outcome:
            fault = outcome["fault"]
            raise Fault((fault["detail"] or {}).get("error_code", ""), fault["message"], fault["code"])
        return outcome["result"]


class SudsClient(SoapClient):
    """suds-community, reading the WSDL."""

    name = "suds"

    def __init__(self, base_url: str, version: str = "4.0") -> None:
        super().__init__(base_url, version)
        transport = transport_for(base_url)
        options = {} if transport is None else {"transport": _SudsInProcess(transport)}
        self.client = suds.client.Client(self.wsdl, cache=None, **options)

    def call(self, operation: str, *args: object) -> object:
        params = REGISTRY.lookup(self.version, operation).wire_params
        values = [self._to_suds(value, param.type) for param, value in zip(params, args)]
        try:
            result = getattr(self.client.service, operation)(*values)
        except suds.WebFault as error:
            fault = error.fault
            detail = getattr(fault, "detail", None)
            code = str(getattr(detail, "error_code", "")) if detail is not None else ""
            raise Fault(code, str(fault.faultstring), str(fault.faultcode)) from None
        return plain(result)

    def raw(self, operation: str, envelope: bytes) -> object:
        """Send a hand-written envelope through suds (its ``__inject``) and decode the answer."""
        try:
            return plain(getattr(self.client.service, operation)(__inject={"msg": envelope}))
        except suds.WebFault as error:
            detail = getattr(error.fault, "detail", None)
            raise Fault(str(getattr(detail, "error_code", "")), str(error.fault.faultstring)) from None

    def _to_suds(self, value: object, wire_type: WireType) -> object:
        if value is None:
            return suds.null()
        if isinstance(wire_type, Struct):
            target = self.client.factory.create(wire_type.name)
            for name, item in value.items():  # type: ignore[attr-defined]
                setattr(target, name, self._to_suds(item, wire_type.by_name[name].type))
            return target
        if isinstance(wire_type, Array):
            return [self._to_suds(item, wire_type.item) for item in value]  # type: ignore[attr-defined]
        return value


class _SudsInProcess(suds.transport.Transport):
    """suds's HTTP over an in-process app (tests.servers.AppServer), answering as its urllib
    transport does: the body of a 2xx; a TransportError with the status and body otherwise."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        super().__init__()
        self.http = httpx.Client(transport=transport)

    def open(self, request):
        answer = self.http.get(request.url, headers=request.headers)
        if answer.status_code >= 300:
            raise suds.transport.TransportError(answer.reason_phrase, answer.status_code, io.BytesIO(answer.content))
        return io.BytesIO(answer.content)

    def send(self, request):
        answer = self.http.post(request.url, content=request.message, headers=request.headers)
        if answer.status_code in (202, 204):
            return None
        if answer.status_code >= 300:
            raise suds.transport.TransportError(answer.reason_phrase, answer.status_code, io.BytesIO(answer.content))
        return suds.transport.Reply(200, dict(answer.headers), answer.content)


def plain(value: object) -> object:
    """suds objects as dicts, suds text as str."""
    if isinstance(value, suds.sudsobject.Object):
        return {key: plain(item) for key, item in suds.sudsobject.asdict(value).items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


CLIENTS = {"php": PhpClient, "suds": SudsClient}
