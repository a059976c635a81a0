"""twoco's public API is what ``twoco.__all__`` declares, and that is every public name it has."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import twoco


def test_all_names_every_public_name_of_the_package() -> None:
    public = {
        name
        for name in dir(twoco)
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(getattr(twoco, name), types.ModuleType)
    }
    assert sorted(twoco.__all__) == sorted(public)
    for name in twoco.__all__:
        assert getattr(twoco, name) is not None


def test_importing_the_client_loads_no_server() -> None:
    """``import twoco.client`` loads the client and what it shares with the server (the registry
    and the wire schema), nothing of the server, the store or the sandbox, and no HTTP library
    until a client is made."""
    script = (
        "import sys, twoco.client\n"
        "print(' '.join(sorted(name for name in sys.modules if name.partition('.')[0] in "
        "('twoco', 'uvicorn', 'httpx', 'jinja2', 'greenlet', 'psycopg', 'sqlite3', 'urllib'))))\n"
    )
    # Without the coverage of scripts/test, whose patch of subprocesses loads sqlite3 for its data.
    plain = {name: value for name, value in os.environ.items() if not name.startswith("COVERAGE")}
    answer = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True, env=plain
    )
    loaded = answer.stdout.split()
    heavy = [name for name in loaded if not name.startswith("twoco") and name not in ("urllib", "urllib.parse")]
    assert heavy == []
    layers = {name.split(".")[1] for name in loaded if name.count(".") >= 1 and name.startswith("twoco.")}
    assert layers <= {"client", "core", "domains", "version"}, layers


def test_the_public_names_work_from_a_fresh_interpreter() -> None:
    script = (
        "import twoco\n"
        "with twoco.run_twoco(settings=twoco.Settings(login_throttle='off')) as server:\n"
        "    client = server.client('jsonrpc')\n"
        "    try:\n"
        "        client.get_customer_information(1)\n"
        "    except twoco.TwoCheckoutError as error:\n"
        "        print(error.code)\n"
        "    assert isinstance(client, twoco.Client) and isinstance(server, twoco.TwocoServer)\n"
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "CUSTOMER_NOT_FOUND"
