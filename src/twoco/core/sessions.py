"""Logins and sessions: who a call acts for.

``login`` checks a merchant's signed date and opens a session; every other SOAP and JSON-RPC call
names its session, and each REST request signs its own date (``authenticate``). A process remembers
for a second what it looked up (sessions, merchants: ``twoco.core.remembered``), and counts failed
logins (``twoco.core.throttle``). The merchant a call acts for is noted in its exchange, code
included, so that nothing needs to ask the store about it afterwards.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from twoco.core import auth
from twoco.core.clock import Clock
from twoco.core.errors import ApiError
from twoco.core.ids import new_session_id
from twoco.core.outage import WRITES_ONLY, StoreUnavailable
from twoco.core.port import Merchant, Store
from twoco.core.registry import LoginCaller, Operation, Param
from twoco.core.remembered import Remembered
from twoco.core.schema import STRING
from twoco.core.session_cache import SessionCache
from twoco.core.settings import Settings
from twoco.core.throttle import LoginThrottle

if TYPE_CHECKING:
    from twoco.core.context import Context

_SESSION_ID = re.compile(r"[0-9a-f]{32}")


class Sessions:
    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.throttle = LoginThrottle(clock, settings.login_throttle)
        self._sessions = SessionCache()
        self._merchants: Remembered[str, Merchant] = Remembered()

    def login(self, caller: LoginCaller, merchant_code: str, date: str, hash: str, algo: str | None) -> str:
        merchant = self.authenticate(caller.version, merchant_code, date, hash, algo, caller.client)
        caller.exchange.merchant_id, caller.exchange.merchant_code = merchant.id, merchant.code
        session_id = new_session_id()
        now = self.clock.now()
        expires_at = now + self.settings.session_ttl
        token_hash = auth.hash_session_id(session_id)
        try:
            self.store.add_session(token_hash, merchant.id, caller.version, expires_at, now)
        except StoreUnavailable as outage:
            if outage.state not in WRITES_ONLY:
                raise
            # The store reads but refuses writes: a session this process alone knows still lets
            # the client read (docs/store.md, "Sessions while the store refuses writes").
            self._sessions.keep_unstored(token_hash, (merchant.id, caller.version, expires_at, merchant.code))
        return session_id

    def authenticate(
        self, version: str, merchant_code: str, date: str, hash: str, algo: str | None, client: str = ""
    ) -> Merchant:
        """The merchant whose secret key signed ``date``: for login, and for each REST request.

        A throttled client is refused before anything is checked, so its guesses learn nothing.
        """
        throttled = self.throttle.retry_after(merchant_code, client)
        if throttled is not None:
            retry_after, scope = throttled
            raise ApiError("TOO_MANY_FAILED_LOGINS", scope=scope, window=self.throttle.window, retry_after=retry_after)
        algorithm = (algo or "md5").lower()
        accepted = self.settings.accepted_algorithms(version)
        if algorithm not in accepted:
            if algorithm == "md5":
                raise ApiError("MD5_RETIRED", version=version)
            raise ApiError("UNSUPPORTED_HASH_ALGORITHM", algo=algorithm[:20], accepted=", ".join(accepted))
        when = auth.parse_login_date(date)
        if when is None:
            raise ApiError("INVALID_LOGIN_DATE")
        merchant = self._merchants.get(merchant_code)
        if merchant is None or not auth.hashes_equal(_login_hash(merchant, merchant_code, date, algorithm), hash):
            # Not remembered, or its key was rotated since: the store says. The HMAC is computed
            # even for an unknown merchant, and a wrong hash always costs a read: a known code's
            # wrong hash costs one more HMAC, a microsecond, against a read's hundreds.
            merchant = self._stored_merchant(merchant_code)
            if not auth.hashes_equal(_login_hash(merchant, merchant_code, date, algorithm), hash) or merchant is None:
                self.throttle.failed(merchant_code, client)
                raise ApiError("AUTHENTICATION_FAILED")
        # Dated by the server clock, or, while the sandbox clock is moved, by the real one: a
        # client that keeps its own (real) time logs in again after a test moved the clock.
        stamp = when.timestamp()
        if min(abs(stamp - self.clock.now()), abs(stamp - self.clock.real_now())) > self.settings.login_window:
            raise ApiError(
                "LOGIN_DATE_OUT_OF_RANGE",
                window=self.settings.login_window,
                now=self.clock.now_datetime().strftime(auth.DATE_FORMAT),
            )
        return merchant

    def _stored_merchant(self, code: str) -> Merchant | None:
        """The merchant ``code`` names, from the store, remembered for a second (the REST
        requests of one merchant each authenticate). A NUL names none: PostgreSQL text cannot
        hold it, so asking would fail."""
        merchant = self.store.merchant(code) if "\x00" not in code else None
        if merchant is not None:
            self._merchants.put(code, merchant)
        return merchant

    def merchant_for_session(self, session_id: object, version: str) -> tuple[int, str]:
        """The merchant (id, code) a live session belongs to; the session TTL is fixed from login, not sliding.

        A session works on the API version it logged in on (on 4.0 and 6.0 alike it would
        carry an MD5 login past 6.0's refusal of MD5).
        """
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            raise ApiError("INVALID_SESSION")
        token_hash = auth.hash_session_id(session_id)
        session = self._sessions.get(token_hash)
        if session is None:
            session = self.store.session(token_hash)
            if session is not None:
                self._sessions.put(token_hash, session)
            else:
                session = self._sessions.unstored(token_hash)
        if session is None or session[1] != version:
            raise ApiError("INVALID_SESSION")
        merchant_id, _, expires_at, code = session
        if self.clock.now() >= expires_at:
            raise ApiError("FORBIDDEN")  # 2Checkout's answer to an expired session
        return merchant_id, code

    def forget(self, merchant_code: str | None = None) -> None:
        """Clear what a reset clears outside the store: remembered sessions and failed-login counts
        (of one merchant code, or all). Only once the store's part is done."""
        self._sessions.clear()  # other processes may honour a deleted session for up to a second
        self._merchants.clear()  # a fixture may have rotated a key
        self.throttle.forget(merchant_code)


def _login_hash(merchant: Merchant | None, code: str, date: str, algorithm: str) -> str:
    """The hash of a login ``date`` signed with ``merchant``'s secret key (with none for an unknown one)."""
    return auth.login_hash(merchant.secret_key if merchant else "", code, date, algorithm)


def login(
    context: Context[Store], caller: LoginCaller, merchant_code: str, date: str, hash: str, algo: str | None
) -> str:
    """The login operation's handler."""
    return context.sessions.login(caller, merchant_code, date, hash, algo)


LOGIN = Operation(
    "login",
    (
        Param("merchantCode", STRING),
        Param("date", STRING),
        Param("hash", STRING),
        # Optional before 6.0 (absent means MD5, as 3.0 and 4.0 samples sign); 6.0 requires it.
        Param("algo", STRING, required=False, until="6.0"),
        Param("algo", STRING, since="6.0"),
    ),
    STRING,
    login,
    needs_session=False,
)
