"""Starting a server: open and upgrade the store, make sure a merchant exists, serve."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import uvicorn
import uvicorn.supervisors

from twoco.core.clock import Clock
from twoco.core.ids import ReferenceGenerator, new_secret_key
from twoco.core.port import ServedStore
from twoco.core.registry import VERSIONS
from twoco.core.service import Service
from twoco.core.settings import Settings
from twoco.core.throttle import ThrottleLimits
from twoco.domains import LISTENERS
from twoco.sandbox.demo import DEMO_CUSTOMER, DEMO_PRODUCTS, add_demo_data
from twoco.sandbox.faults import FaultInjectingService
from twoco.sandbox.fixtures import load_fixtures, read_fixture_file
from twoco.server.access_log import AccessLog
from twoco.server.app import DEFAULT_MAX_BODY, LOCK_WAIT, TwocoApp
from twoco.server.deliveries import DEFAULT_TIMEOUT as NOTIFY_TIMEOUT
from twoco.server.wire import GRACEFUL_SHUTDOWN, KEEP_ALIVE, READ_TIMEOUT
from twoco.store import SERVER_ROW_LOCK_TIMEOUT, STATEMENT_TIMEOUT, SqlStore, open_store, store_kind
from twoco.store.migrations import MIGRATIONS
from twoco.version import __version__


class SchemaOutOfDate(Exception):
    """The store's schema is not the one this twoco runs on, and upgrading was not asked for."""


DEMO_MERCHANT = "DEMO"


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown; twoco exits 0 instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            getattr(self, "_captured_signals", []).clear()


def prepare_store(url: str, upgrade: bool = True) -> SqlStore:
    """Open the store and bring its schema up to date (or, without ``upgrade``, insist that it is)."""
    store = open_store(url)
    if upgrade:
        store.migrate()
    elif store.schema_version() != len(MIGRATIONS):
        version = store.schema_version()
        store.close()
        raise SchemaOutOfDate(
            f"the store's schema is at version {version}, this twoco needs {len(MIGRATIONS)}: run twoco db upgrade"
        )
    return store


def add_merchant(store: ServedStore, code: str, secret_key: str | None = None) -> str:
    secret_key = secret_key or new_secret_key()
    store.add_merchant(code, secret_key)
    return secret_key


def try_it_lines(base_url: str, code: str, secret_key: str) -> list[str]:
    php = (
        f'$c = new SoapClient("{base_url}/soap/4.0/?wsdl"); $m = "{code}"; $k = "{secret_key}";'
        ' $d = gmdate("Y-m-d H:i:s");'
        ' var_dump($c->login($m, $d, hash_hmac("md5", strlen($m).$m.strlen($d).$d, $k)));'
    )
    return [f"  curl '{base_url}/soap/4.0/?wsdl'", f"  php -r {shlex.quote(php)}"]


@dataclass(frozen=True)
class ServeOptions:
    """Everything a server process needs; handed to worker processes as JSON."""

    db: str
    settings: Settings = field(default_factory=Settings)
    max_body: int = DEFAULT_MAX_BODY
    control_plane: bool = True
    seed: int | None = None
    log_format: str | None = "text"  # None: no access log
    read_timeout: float = READ_TIMEOUT  # seconds for a request's headers, and again for its body
    lock_wait: float = LOCK_WAIT  # seconds a call may wait for a record another call holds
    store_timeout: float = STATEMENT_TIMEOUT  # seconds a PostgreSQL statement may run
    notify_timeout: float = NOTIFY_TIMEOUT  # seconds a notification's delivery attempt may take

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        values = json.loads(text)
        settings = values["settings"]
        throttle = settings["login_throttle"] and ThrottleLimits(**settings["login_throttle"])  # None stays None
        return cls(**{**values, "settings": Settings(**{**settings, "login_throttle": throttle})})


def build_app(options: ServeOptions) -> TwocoApp:
    # Operator messages (an outage, a recovery, an internal error's traceback), one line each, dated.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    lock_timeout = options.lock_wait if store_kind(options.db) == "sqlite" else SERVER_ROW_LOCK_TIMEOUT
    store = open_store(options.db, options.store_timeout, lock_timeout)
    # Faults are injected through the control plane: without it, the plain service.
    kind = FaultInjectingService if options.control_plane else Service
    service = kind(store, Clock(), ReferenceGenerator(options.seed), options.settings, LISTENERS)
    access_log = AccessLog(options.log_format) if options.log_format else None
    return TwocoApp(
        service,
        store,
        max_body=options.max_body,
        control_plane=options.control_plane,
        access_log=access_log,
        read_timeout=options.read_timeout,
        lock_wait=options.lock_wait,
        store_timeout=options.store_timeout,
        notify_timeout=options.notify_timeout,
    )


def uvicorn_config(app: TwocoApp | str, options: ServeOptions, **where: Any) -> uvicorn.Config:
    """How twoco is served, by ``twoco serve`` and by ``twoco.testing.run_twoco`` alike; ``where``:
    host and port, or workers, for uvicorn."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # Slow clients (see twoco.server.wire): a deadline for headers; no limit_concurrency, which
        # would let a few stalled connections turn every other client away with 503.
        http="twoco.server.wire:HeaderTimeoutProtocol",
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        **where,
    )
    config.read_timeout = options.read_timeout  # type: ignore[attr-defined]  # for HeaderTimeoutProtocol
    return config


def worker_app() -> TwocoApp:
    """The app of one worker process of ``serve --workers N`` (uvicorn imports it by name)."""
    return build_app(ServeOptions.from_json(os.environ[_OPTIONS_VARIABLE]))


_OPTIONS_VARIABLE = "TWOCO_WORKER_OPTIONS"


def serve(
    options: ServeOptions,
    *,
    host: str,
    port: int,
    workers: int = 1,
    upgrade: bool = True,
    fixtures: str | None = None,
) -> None:
    """Upgrade the store, load fixtures, make sure it has a merchant, print where things are, and serve."""
    store = prepare_store(options.db, upgrade)
    display_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{display_host}:{port}"
    print(f"twoco {__version__}: store {_without_password(options.db)}", flush=True)
    if fixtures:
        _load_fixture_file(store, fixtures, options.seed)
    if not store.merchants():
        secret_key = add_merchant(store, DEMO_MERCHANT)
        add_demo_data(store, DEMO_MERCHANT)
        print(
            "\n".join(
                [
                    "This store had no merchant, so a demo merchant was created:",
                    f"  merchant code: {DEMO_MERCHANT}",
                    f"  secret key:    {secret_key}",
                    f"  its customer:  {DEMO_CUSTOMER['AvangateCustomerReference']}"
                    f" ({DEMO_CUSTOMER['ExternalCustomerReference']}),"
                    " the one 2Checkout's update-customer sample reads",
                    "  its products:  " + ", ".join(f"{p['AvangateId']} {p['ProductCode']}" for p in DEMO_PRODUCTS),
                    "Try it:",
                    *try_it_lines(base_url, DEMO_MERCHANT, secret_key),
                ]
            ),
            flush=True,
        )
    store.close()
    versions = "{" + ",".join(VERSIONS) + "}"
    print(f"SOAP WSDL:  {base_url}/soap/{versions}/?wsdl", flush=True)
    print(f"JSON-RPC:   {base_url}/rpc/{versions}/", flush=True)
    print(f"REST:       {base_url}/rest/{versions}/  (OpenAPI: {base_url}/rest/6.0/openapi.json)", flush=True)
    if options.control_plane:
        print(f"Dashboard:  {base_url}/_twoco/  (and the sandbox control plane under it)", flush=True)
    if workers > 1:
        os.environ[_OPTIONS_VARIABLE] = options.to_json()
        config = uvicorn_config(
            "twoco.server.process:worker_app", options, host=host, port=port, factory=True, workers=workers
        )
        run = uvicorn.supervisors.Multiprocess(config, sockets=[config.bind_socket()]).run
    else:
        run = _Server(uvicorn_config(build_app(options), options, host=host, port=port)).run
    print(
        f"Serving on {base_url} with {workers} worker process{'es' if workers > 1 else ''} (Ctrl+C to stop)", flush=True
    )
    try:
        run()
    finally:
        print("twoco stopped", file=sys.stderr, flush=True)


def _load_fixture_file(store: SqlStore, path: str, seed: int | None) -> None:
    # Seeded like the server, so fixture records without references get repeatable ones too.
    # (The server's own generator starts afresh, so its first references repeat these: a taken
    # reference is simply drawn again.)
    service = Service(store, Clock(), ReferenceGenerator(seed))
    for merchant in load_fixtures(service, store, read_fixture_file(path))["merchants"]:
        key = f", secret key {merchant['secret_key']}" if "secret_key" in merchant else ""
        print(
            f"fixtures {path}: merchant {merchant['code']}{key}: "
            f"{merchant['products']} products, {merchant['customers']} customers, "
            f"{merchant['subscriptions']} subscriptions",
            flush=True,
        )


def _without_password(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)
