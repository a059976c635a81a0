"""twoco's public API is what ``twoco.__all__`` declares, and that is every public name it has."""

from __future__ import annotations

import subprocess
import sys
import types

import twoco


def test_all_names_every_public_name_of_the_package() -> None:
    public = {
        name
        for name, value in vars(twoco).items()
        if (not name.startswith("_") or name == "__version__") and not isinstance(value, types.ModuleType)
    }
    assert sorted(twoco.__all__) == sorted(public)


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
