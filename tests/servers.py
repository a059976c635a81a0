"""Servers for the tests: a real ``twoco serve`` process on a free port, or the same app in this
process behind an ``httpx`` transport (twoco.testing.InProcessTransport); stores and merchants.

``Server`` (a process) and ``AppServer`` (in process) have one interface: ``base_url``, ``db_url``,
``log_path`` (what the server logged), ``get``, ``post``, ``request``, ``http_client`` and
``move_clock``. A test that needs no socket and no process takes an ``AppServer``. Clients of
``tests/clients`` open their ``httpx`` clients with :func:`http_client`, which reaches an
in-process app by its ``base_url`` (``http://app-N.twoco.test``, a host nothing listens on).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import pytest

from twoco.core.settings import Settings
from twoco.store import open_store
from twoco.testing import InProcessTransport, InProcessTwoco, in_process

# scripts/test starts a throwaway PostgreSQL cluster and names it here; then every test that
# uses a store runs on SQLite and on PostgreSQL.
POSTGRES_ADMIN_URL = os.environ.get("TWOCO_TEST_POSTGRES", "")
STORE_KINDS = ["sqlite", "postgresql"] if POSTGRES_ADMIN_URL else ["sqlite"]
# A test only PostgreSQL can run takes ``store_kind`` from POSTGRES_ONLY: without a cluster it is
# skipped for this reason, and the full run (TWOCO_TEST_FULL, set by scripts/test) fails on such a
# skip (tests/conftest.py).
NEEDS_POSTGRES = "needs PostgreSQL: TWOCO_TEST_POSTGRES is unset (scripts/test sets it)"
POSTGRES_ONLY = [pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason=NEEDS_POSTGRES))]


@dataclass
class Merchant:
    code: str
    secret: str


def new_store_url(kind: str, tmp: Path) -> str:
    """The URL of a new, empty store of the given kind."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/twoco-{secrets.token_hex(4)}.sqlite3"
    import psycopg

    name = f"twoco_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def store_with_merchants(url: str, merchants: dict[str, str]) -> str:
    """``url``, after creating its schema and the given merchants (code: secret key)."""
    store = open_store(url)
    store.migrate()
    for code, secret in merchants.items():
        store.add_merchant(code, secret, "2026-01-01T00:00:00+00:00")
    store.close()
    return url


def twoco_command(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Run ``twoco ARGS`` as a user would; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "twoco", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- in-process apps, found by their base URL --------------------------------------------

_transports: dict[str, InProcessTransport] = {}
_app_numbers = itertools.count(1)


def transport_for(base_url: str) -> InProcessTransport | None:
    """The transport of the in-process app at ``base_url`` (any URL under it), or None for a real server."""
    origin = str(httpx.URL(base_url).copy_with(path="/", query=None, fragment=None))
    return _transports.get(origin)


def http_client(base_url: str, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` with ``base_url``: over the socket of a real server, or the transport of an in-process app."""
    return httpx.Client(base_url=base_url, transport=transport_for(base_url), **options)


class _Requests:
    base_url: str

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def http_client(self, path: str = "", **options: Any) -> httpx.Client:
        """An ``httpx.Client`` whose base URL is ``base_url + path``."""
        return http_client(self.base_url + path, **{"timeout": 30, **options})

    def move_clock(self, **command: object) -> None:
        self.post("/_twoco/clock", json=command).raise_for_status()


@dataclass
class Server(_Requests):
    """A ``twoco serve`` process."""

    base_url: str
    db_url: str
    process: subprocess.Popen
    log_path: Path

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.base_url + path, **{"timeout": 30, **kwargs})


@dataclass
class AppServer(_Requests):
    """The app ``twoco serve`` builds, answering in this process; its access log and operator
    messages go to ``log_path``."""

    base_url: str
    db_url: str
    log_path: Path
    twoco: InProcessTwoco = field(repr=False)
    http: httpx.Client = field(repr=False)
    _stack: contextlib.ExitStack = field(repr=False)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.pop("timeout", None)  # nothing to wait for
        return self.http.request(method, path, **kwargs)


def start_server(tmp: Path, db_url: str, *extra: str, python_flags: tuple[str, ...] = ()) -> Server:
    """``twoco serve`` on a free port; ``python_flags`` go to the interpreter (``-O``, say)."""
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, *python_flags, "-m", "twoco", "serve", "--port", str(port), "--db", db_url, *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    server = Server(f"http://127.0.0.1:{port}", db_url, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"twoco serve exited: {log_path.read_text()}")
        try:
            if server.get("/_twoco/health").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"twoco serve did not answer in 30 s: {log_path.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def start_app_server(tmp: Path, db_url: str, *, settings: Settings | None = None, **options: Any) -> AppServer:
    """The in-process twin of :func:`start_server` (``settings`` and ``options`` as for
    :func:`twoco.testing.in_process`); the store gets no merchant, as ``serve``'s first one is the tests' own."""
    base_url = f"http://app-{next(_app_numbers)}.twoco.test"
    log_path = tmp / f"{httpx.URL(base_url).host}.log"
    stack = contextlib.ExitStack()
    log: TextIO = stack.enter_context(open(log_path, "w", encoding="utf-8"))
    twoco = stack.enter_context(in_process(None, db=db_url, settings=settings, log=log, url=base_url, **options))
    _transports[f"{base_url}/"] = twoco.transport
    stack.callback(_transports.pop, f"{base_url}/")
    return AppServer(base_url, db_url, log_path, twoco, twoco.http, stack)


def stop_app_server(server: AppServer) -> None:
    server._stack.close()


def get(url: str, **options: Any) -> httpx.Response:
    """GET an absolute URL (an SSO link, a WSDL) from whichever server it names, real or in process."""
    with http_client(url, timeout=30) as http:
        return http.get(url, **options)
