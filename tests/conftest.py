"""Fixtures: a real twoco server process on a free port, merchants, and real SOAP clients."""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.clients import CLIENTS, SoapClient
from twoco.store import SqlStore, open_store

# pytester runs inner pytest sessions; twoco's own plugin is named too, as the pytest11 entry point
# of an installed twoco names it (the same name: pytest registers it once either way).
pytest_plugins = ["pytester", "twoco.testing.pytest_plugin"]

_merchant_numbers = itertools.count(1)

# scripts/test starts a throwaway PostgreSQL cluster and names it here; then every test that
# uses a store runs on SQLite and on PostgreSQL.
POSTGRES_ADMIN_URL = os.environ.get("TWOCO_TEST_POSTGRES", "")
STORE_KINDS = ["sqlite", "postgresql"] if POSTGRES_ADMIN_URL else ["sqlite"]


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


@dataclass
class Server:
    base_url: str
    db_url: str
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return httpx.post(self.base_url + path, timeout=30, **kwargs)

    def move_clock(self, **command: object) -> None:
        self.post("/_twoco/clock", json=command).raise_for_status()


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


@pytest.fixture(scope="session", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """For tests that make their own stores or servers."""
    return request.param


# Parametrized itself (not through store_kind): pytest caches a session fixture by its own
# parameter, and would otherwise hand out a server it had already stopped.
@pytest.fixture(scope="session", params=STORE_KINDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"server-{request.param}")
    # Its tests fail logins on purpose, all from one address and in any order: no throttle here
    # (throttling is tested on servers of its own, in test_auth_attacks.py).
    running = start_server(tmp, new_store_url(request.param, tmp), "--login-throttle", "off")
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def store(server: Server) -> Iterator[SqlStore]:
    """The server's store, opened by the tests too: for setting up merchants and checking state."""
    opened = open_store(server.db_url)
    yield opened
    opened.close()


@dataclass
class Merchant:
    code: str
    secret: str


@pytest.fixture
def merchant_factory(store: SqlStore):
    def make() -> Merchant:
        merchant = Merchant(f"M{next(_merchant_numbers)}{secrets.token_hex(3).upper()}", secrets.token_urlsafe(24))
        store.add_merchant(merchant.code, merchant.secret, "2026-01-01T00:00:00+00:00")
        return merchant

    return make


@pytest.fixture
def merchant(merchant_factory) -> Merchant:
    return merchant_factory()


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest, server: Server) -> SoapClient:
    """Each test that takes ``client`` runs once with PHP's SoapClient and once with suds."""
    return CLIENTS[request.param](server.base_url)


@pytest.fixture
def session(client: SoapClient, merchant: Merchant) -> str:
    return client.login(merchant.code, merchant.secret)
