"""twoco inside a test suite: a server on a free port in a background thread, over a temporary store.

    from twoco.testing import run_twoco

    with run_twoco() as twoco:
        client = twoco.client("jsonrpc")
        reference = client.create_customer({...})

With twoco installed, pytest also has the fixtures ``twoco_server`` (reset before each test)
and ``twoco_session_server`` (one server for the whole session, never reset): see
``twoco.testing.pytest_plugin``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import uvicorn

from twoco.client import Client
from twoco.core.settings import Settings
from twoco.server.app import TwocoApp
from twoco.server.deliveries import DEFAULT_TIMEOUT as NOTIFY_TIMEOUT
from twoco.server.process import ServeOptions, add_merchant, build_app, prepare_store, uvicorn_config
from twoco.server.wire import READ_TIMEOUT

DEFAULT_MERCHANT = "TEST"
START_TIMEOUT = 30.0  # seconds
STOP_TIMEOUT = 30.0


@dataclass
class TwocoServer:
    """A running twoco: its URL, a merchant's code and secret key, and the control plane."""

    url: str
    merchant_code: str
    secret_key: str
    db_url: str
    app: TwocoApp = field(repr=False)

    def client(self, protocol: str = "soap", version: str = "6.0", **options: Any) -> Client:
        """A :class:`twoco.client.Client` for this server's merchant. Its clock follows the
        server's, so logins keep working after :meth:`move_clock` (pass ``clock=`` to choose)."""
        options.setdefault("clock", self.now)
        return Client(self.url, self.merchant_code, self.secret_key, protocol, version, **options)

    def now(self) -> datetime:
        """The server clock: real time unless moved."""
        return self.app.service.clock.now_datetime()

    def move_clock(self, seconds: float) -> None:
        """Move the server clock forward (or back): 601 seconds expire every session."""
        self._control("clock", {"advance": seconds})

    def reset(self) -> None:
        """Delete every customer, subscription and session (merchants stay), clear injected
        faults and the request journal (``POST /_twoco/reset``), and put the clock back."""
        self._control("reset", {})
        self._control("clock", {"reset": True})

    def add_merchant(self, code: str, secret_key: str | None = None) -> str:
        """Add another merchant; returns its secret key (generated unless given)."""
        return add_merchant(self.app.store, code, secret_key)

    def _control(self, path: str, command: dict[str, object]) -> None:
        answer = httpx.post(f"{self.url}/_twoco/{path}", json=command, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"POST /_twoco/{path} answered {answer.status_code}: {answer.text[:200]}")


@contextmanager
def run_twoco(
    merchant_code: str = DEFAULT_MERCHANT,
    secret_key: str | None = None,
    *,
    db: str | None = None,
    host: str = "127.0.0.1",
    settings: Settings | None = None,
    seed: int | None = None,
    read_timeout: float = READ_TIMEOUT,
    notify_timeout: float = NOTIFY_TIMEOUT,
) -> Iterator[TwocoServer]:
    """Serve twoco on a free port of ``host`` in a background thread until the block ends.

    The store is a new SQLite file in a temporary directory, removed afterwards, unless
    ``db`` names one (``sqlite:///…`` or ``postgresql://…``; its schema is brought up to
    date). The merchant ``merchant_code`` is added with ``secret_key`` (generated unless
    given); a store that already has it keeps its key. ``settings`` (login window, session
    lifetime, MD5 on 6.0), ``seed`` (repeatable references), ``read_timeout`` (seconds for a
    request's headers, and again for its body) and ``notify_timeout`` (seconds a notification's
    delivery attempt may take) are as for ``twoco serve``, which serves the same way.
    """
    with TemporaryDirectory(prefix="twoco-") as directory:
        db_url = db or f"sqlite:///{directory}/twoco.sqlite3"
        secret_key = _ensure_merchant(db_url, merchant_code, secret_key)
        settings = settings or Settings()
        options = ServeOptions(
            db=db_url,
            settings=settings,
            seed=seed,
            log_format=None,
            read_timeout=read_timeout,
            notify_timeout=notify_timeout,
        )
        app = build_app(options)
        listener = socket.create_server((host, 0), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        port = listener.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(app, options))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name=f"twoco-server-{port}", daemon=True
        )
        thread.start()
        try:
            _wait_until_started(server, thread)
            display_host = f"[{host}]" if ":" in host else host
            yield TwocoServer(f"http://{display_host}:{port}", merchant_code, secret_key, db_url, app)
        finally:
            server.should_exit = True
            thread.join(STOP_TIMEOUT)
            listener.close()
            app.close()
            if thread.is_alive():
                raise RuntimeError(f"the twoco server thread did not stop within {STOP_TIMEOUT:.0f} s")


def _ensure_merchant(db_url: str, code: str, secret_key: str | None) -> str:
    store = prepare_store(db_url)
    try:
        existing = store.merchant(code)
        if existing is None:
            return add_merchant(store, code, secret_key)
        if secret_key is not None and secret_key != existing.secret_key:
            raise ValueError(f"merchant {code} already exists in {db_url} with another secret key")
        return existing.secret_key
    finally:
        store.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the twoco server thread stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the twoco server did not start within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)


# Last: it builds on the names above.
from twoco.testing.in_process import InProcessTransport, InProcessTwoco, in_process  # noqa: E402

__all__ = ["DEFAULT_MERCHANT", "InProcessTransport", "InProcessTwoco", "TwocoServer", "in_process", "run_twoco"]
