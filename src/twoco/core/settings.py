"""What a deployment may set about the API's rules: the login window, sessions, hash algorithms,
throttling and unknown fields (``twoco serve``'s options, ``run_twoco``'s ``settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from twoco.core.registry import MD5_RETIRED_SINCE
from twoco.core.schema import version_key
from twoco.core.throttle import ThrottleLimits


@dataclass(frozen=True)
class Settings:
    login_window: int = 300  # seconds a login date may differ from the server clock
    session_ttl: int = 600  # 2Checkout: "The sessionID expires in 10 minutes"
    allow_md5_on_v6: bool = False  # 2Checkout retired MD5 for API 6.0
    login_throttle: ThrottleLimits | None = ThrottleLimits()  # failed logins a minute; None: not throttled
    strict_fields: bool = False  # refuse fields the API does not know, instead of ignoring them as 2Checkout does

    def __post_init__(self) -> None:
        # The command line's spelling ("10/20", "off") is read once, here, for whoever passes it.
        if isinstance(self.login_throttle, str):
            object.__setattr__(self, "login_throttle", ThrottleLimits.parse(self.login_throttle))

    def accepted_algorithms(self, version: str) -> tuple[str, ...]:
        if version_key(version) < version_key(MD5_RETIRED_SINCE) or self.allow_md5_on_v6:
            return ("md5", "sha256", "sha3-256")
        return ("sha256", "sha3-256")
