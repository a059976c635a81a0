"""twoco: the 2Checkout (Avangate) merchant API's customer part, self-hosted.

The names below are twoco's public API: the client and its errors, a test server and the settings
that shape it (its pytest fixtures, ``twoco_server`` and ``twoco_session_server``, come with the
installed plugin). The modules behind them are internal and may change; the layers they form
are drawn in docs/architecture.md.
"""

__version__ = "0.1.0"  # first: the modules below read it

from twoco.client import Client, TransportError, TwoCheckoutError
from twoco.core.service import Settings
from twoco.testing import TwocoServer, run_twoco

__all__ = ["Client", "Settings", "TransportError", "TwoCheckoutError", "TwocoServer", "__version__", "run_twoco"]
