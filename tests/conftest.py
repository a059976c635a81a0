"""Fixtures: twoco servers (a real process, or the same app in process) over a store the session
shares, merchants, and real SOAP clients. The helpers behind them are in tests/servers.py."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator

import pytest

from tests.clients import CLIENTS, SoapClient
from tests.servers import (
    STORE_KINDS,
    AppServer,
    Merchant,
    Server,
    new_store_url,
    start_app_server,
    start_server,
    stop_app_server,
    stop_server,
    store_with_merchants,
)
from twoco.core.settings import Settings
from twoco.store import SqlStore, open_store

# pytester runs inner pytest sessions; twoco's own plugin is named too, as the pytest11 entry point
# of an installed twoco names it (the same name: pytest registers it once either way).
pytest_plugins = ["pytester", "twoco.testing.pytest_plugin"]

_merchant_numbers = itertools.count(1)


@pytest.fixture(scope="session", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """For tests that make their own stores or servers."""
    return request.param


@pytest.fixture(scope="session", params=STORE_KINDS)
def served_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the store of the session's servers, ``server`` and ``app_server``, one of each kind."""
    tmp = tmp_path_factory.mktemp(f"store-{request.param}")
    return store_with_merchants(new_store_url(request.param, tmp), {})


@pytest.fixture(scope="session")
def server(served_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A ``twoco serve`` process over ``served_store``: for what needs a socket or a process."""
    # Its tests fail logins on purpose, all from one address and in any order: no throttle here
    # (throttling is tested on servers of its own, in test_auth_attacks.py).
    running = start_server(tmp_path_factory.mktemp("server"), served_store, "--login-throttle", "off")
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def app_server(served_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app ``twoco serve`` builds, over ``served_store``, answering in process: ``server``'s
    interface (``get``, ``post``, ``base_url``, ``log_path``) for tests of the wire formats."""
    running = start_app_server(tmp_path_factory.mktemp("app"), served_store, settings=Settings(login_throttle=None))
    yield running
    stop_app_server(running)


@pytest.fixture(scope="session")
def store(served_store: str) -> Iterator[SqlStore]:
    """The servers' store, opened by the tests too: for setting up merchants and checking state."""
    opened = open_store(served_store)
    yield opened
    opened.close()


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
