"""Starting a server: open and upgrade the store, make sure a merchant exists, serve."""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import uvicorn

from twoco import __version__
from twoco.clock import Clock
from twoco.http import DEFAULT_MAX_BODY, TwocoApp
from twoco.ids import ReferenceGenerator, new_secret_key
from twoco.service import Service, Settings
from twoco.store import SqlStore, open_store

DEMO_MERCHANT = "DEMO"


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown; twoco exits 0 instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            getattr(self, "_captured_signals", []).clear()


def prepare_store(url: str) -> SqlStore:
    store = open_store(url)
    store.migrate()
    return store


def add_merchant(store: SqlStore, code: str, secret_key: str | None = None) -> str:
    secret_key = secret_key or new_secret_key()
    store.add_merchant(code, secret_key, datetime.now(UTC).isoformat(timespec="seconds"))
    return secret_key


def try_it_lines(base_url: str, code: str, secret_key: str) -> list[str]:
    php = (
        f'$c = new SoapClient("{base_url}/soap/4.0/?wsdl"); $m = "{code}"; $k = "{secret_key}";'
        ' $d = gmdate("Y-m-d H:i:s");'
        ' var_dump($c->login($m, $d, hash_hmac("md5", strlen($m).$m.strlen($d).$d, $k)));'
    )
    return [f"  curl '{base_url}/soap/4.0/?wsdl'", f"  php -r {shlex.quote(php)}"]


def serve(
    *,
    host: str,
    port: int,
    db: str,
    settings: Settings,
    max_body: int = DEFAULT_MAX_BODY,
    control_plane: bool = True,
    seed: int | None = None,
) -> None:
    store = prepare_store(db)
    display_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{display_host}:{port}"
    print(f"twoco {__version__}: store {db}", flush=True)
    if not store.merchants():
        secret_key = add_merchant(store, DEMO_MERCHANT)
        print(
            "\n".join(
                [
                    "This store had no merchant, so a demo merchant was created:",
                    f"  merchant code: {DEMO_MERCHANT}",
                    f"  secret key:    {secret_key}",
                    "Try it:",
                    *try_it_lines(base_url, DEMO_MERCHANT, secret_key),
                ]
            ),
            flush=True,
        )
    print(f"SOAP WSDL:  {base_url}/soap/4.0/?wsdl  and  {base_url}/soap/6.0/?wsdl", flush=True)
    print(f"JSON-RPC:   {base_url}/rpc/4.0/  and  {base_url}/rpc/6.0/", flush=True)
    print(f"REST:       {base_url}/rest/6.0/  (OpenAPI: {base_url}/rest/6.0/openapi.json)", flush=True)
    service = Service(store, Clock(), ReferenceGenerator(seed), settings)
    app = TwocoApp(service, max_body=max_body, control_plane=control_plane)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    server = _Server(config)
    print(f"Serving on {base_url} (Ctrl+C to stop)", flush=True)
    try:
        server.run()
    finally:
        store.close()
        print("twoco stopped", file=sys.stderr, flush=True)
