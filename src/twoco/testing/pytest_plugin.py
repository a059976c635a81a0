"""pytest fixtures for testing against twoco, loaded by pytest wherever twoco is installed
(the ``pytest11`` entry point ``twoco.testing.pytest_plugin``; ``-p no:twoco.testing.pytest_plugin`` turns them off).

- ``twoco_server``: a :class:`twoco.testing.TwocoServer`, reset before each test (no
  customers, subscriptions or sessions; the clock back to real time).
- ``twoco_session_server``: the same server, started once per session and never reset.

    def test_update(twoco_server):
        client = twoco_server.client("soap")
        reference = client.create_customer({...})
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twoco.testing import TwocoServer, run_twoco


@pytest.fixture(scope="session")
def twoco_session_server() -> Iterator[TwocoServer]:
    """One twoco server (temporary SQLite store, merchant TEST) for the whole test session."""
    with run_twoco() as server:
        yield server


@pytest.fixture
def twoco_server(twoco_session_server: TwocoServer) -> TwocoServer:
    """The session's twoco server, emptied of customers, subscriptions and sessions for this test."""
    twoco_session_server.reset()
    return twoco_session_server
