"""Fixtures: twoco servers (a real process, or the same app in process) over a store the session
shares, merchants, and real SOAP clients. The helpers behind them are in tests/servers.py."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator

import pytest

from tests.clients import CLIENTS, SoapClient
from tests.servers import (
    NEEDS_POSTGRES,
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
# of an installed twoco names it (the same name: pytest registers it once either way);
# tests/service_env.py holds ``env``, the service's unit tests' fixture (customers, subscriptions, sessions, core).
pytest_plugins = ["pytester", "twoco.testing.pytest_plugin", "tests.service_env"]

_merchant_numbers = itertools.count(1)

# --- the full run: no test left out for want of PostgreSQL ------------------------------------
# scripts/test (without --fast) sets TWOCO_TEST_FULL=1 beside TWOCO_TEST_POSTGRES: there a test
# skipped because PostgreSQL is missing (servers.NEEDS_POSTGRES) fails the run, whatever else passed.

FULL_RUN = os.environ.get("TWOCO_TEST_FULL") == "1"
_skipped_for_postgres: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under xdist the controller sees every worker's reports here too.
    if report.skipped and isinstance(report.longrepr, tuple) and NEEDS_POSTGRES in report.longrepr[2]:
        _skipped_for_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if FULL_RUN and _skipped_for_postgres and not hasattr(session.config, "workerinput"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if FULL_RUN and _skipped_for_postgres:
        terminalreporter.section("full run: tests skipped for want of PostgreSQL", sep="=", red=True, bold=True)
        for nodeid in _skipped_for_postgres:
            terminalreporter.line(f"SKIPPED {nodeid}: {NEEDS_POSTGRES}")
        terminalreporter.line(
            f"TWOCO_TEST_FULL=1: the full run fails when a test is skipped for want of PostgreSQL ({len(_skipped_for_postgres)} were)",
            red=True,
        )


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
    # (throttling is tested on servers of its own, in tests/sessions/test_auth_attacks.py).
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
