"""Where a merchant's notifications go: its IPN URL, its LCN URL and the signatures they carry.

Kept in the merchant's sandbox settings (``merchant_settings()["notifications"]``), set through
the control plane, the command line, a fixtures file or the dashboard. Saving a URL probes it
first, as 2Checkout does ("Our system performs a GET request against the URL you fill in and
expects an HTTP 200 code": reference §2.1); that is the server's part (``twoco.server.deliveries``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from twoco.core.errors import ApiError
from twoco.domains.notifications.signatures import ALGORITHMS

# MD5 is retired at 2Checkout for webhooks (reference §3.2): a new merchant's notifications are
# signed with SHA-2 and SHA-3, and the receipt may use either; md5 is there to choose.
DEFAULT_ALGORITHMS = ["sha256", "sha3-256"]
SETTINGS = ("ipn_url", "lcn_url", "algorithms")
MAX_URL = 2048


def endpoints_of(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A merchant's notification settings (``merchant_settings()``) with the defaults filled in."""
    given = settings.get("notifications") or {}
    return {"ipn_url": None, "lcn_url": None, "algorithms": list(DEFAULT_ALGORITHMS), **given}


def checked(given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given, checked: URLs http(s) (or "" / None for none), algorithms a non-empty
    list of md5, sha256, sha3-256. INVALID_FIELD_VALUE names the first that is not."""
    unknown = sorted(set(given) - set(SETTINGS))
    if unknown:
        raise ApiError("INVALID_FIELD_VALUE", field=unknown[0][:40], reason=f"the settings are {', '.join(SETTINGS)}")
    out: dict[str, Any] = {}
    for name in ("ipn_url", "lcn_url"):
        if name in given:
            out[name] = _url(name, given[name])
    if "algorithms" in given:
        out["algorithms"] = algorithms_of(given["algorithms"])
    return out


def algorithms_of(value: object) -> list[str]:
    """A list (or a comma-separated text) of algorithms, in 2Checkout's order, each once."""
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise ApiError("INVALID_FIELD_VALUE", field="algorithms", reason="must list md5, sha256 or sha3-256")
    wanted = {name.strip().lower() for name in names}
    wrong = sorted(wanted - set(ALGORITHMS))
    if wrong:
        raise ApiError(
            "INVALID_FIELD_VALUE", field="algorithms", reason=f"{wrong[0][:20]!r} is none of md5, sha256, sha3-256"
        )
    return [name for name in ALGORITHMS if name in wanted]


def _url(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise ApiError("INVALID_FIELD_VALUE", field=name, reason=f"must be an http or https URL of at most {MAX_URL}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError("INVALID_FIELD_VALUE", field=name, reason="must be an http or https URL with a host")
    return value
