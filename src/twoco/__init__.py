"""twoco: the 2Checkout (Avangate) merchant API, self-hosted.

The names below are twoco's public API: the client and its errors, a test server and the settings
that shape it (its pytest fixtures, ``twoco_server`` and ``twoco_session_server``, come with the
installed plugin). The modules behind them are internal and may change; the layers they form
are drawn in docs/architecture.md.

Each name is loaded when first asked for, so that ``import twoco.client`` loads the client alone,
not the server behind ``run_twoco``.
"""

import importlib as _importlib
import typing as _typing

from twoco.version import __version__

if _typing.TYPE_CHECKING:
    from twoco.client import Client, TransportError, TwoCheckoutError
    from twoco.core.settings import Settings
    from twoco.testing import TwocoServer, run_twoco

# Each public name and the module it comes from.
_HOMES = {
    "Client": "twoco.client",
    "TransportError": "twoco.client",
    "TwoCheckoutError": "twoco.client",
    "Settings": "twoco.core.settings",
    "TwocoServer": "twoco.testing",
    "run_twoco": "twoco.testing",
}

__all__ = ["Client", "Settings", "TransportError", "TwoCheckoutError", "TwocoServer", "__version__", "run_twoco"]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'twoco' has no attribute {name!r}")
    value = getattr(_importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
