"""The domain rules: logins and sessions, customers, subscriptions and their end users.

Nothing here knows HTTP, XML or JSON. Every public method takes a :class:`Caller` and the
operation's arguments (already decoded to plain Python values), runs in one store
transaction, and returns the result or raises an :class:`ApiError`. A call that raises
changes nothing: the transaction rolls back.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from twoco.core import auth, history, search
from twoco.core.clock import Clock, iso_timestamp
from twoco.core.errors import ApiError
from twoco.core.exchange import Exchange
from twoco.core.ids import ReferenceGenerator, new_session_id
from twoco.core.registry import Caller, LoginCaller, Operation, check_arity
from twoco.core.remembered import Remembered
from twoco.core.schema import CUSTOMER_V6, END_USER_FIELDS, PRODUCT
from twoco.core.session_cache import SessionCache
from twoco.core.settings import Settings
from twoco.core.sso import SingleSignOn
from twoco.core.throttle import LoginThrottle
from twoco.core.validation import (
    IMPORT_END_USER_REQUIRED,
    MAX_REFERENCE,
    MERCHANT_CODE,
    check_text,
    internal_reference,
    normalise_amount,
    normalise_currency,
    normalise_customer,
    normalise_end_user,
    parse_date,
    require,
)
from twoco.store.interface import ROW_VERSION, STATUS, DuplicateKey, HistoryEntry, Merchant, Store
from twoco.store.outage import WRITES_ONLY, StoreUnavailable

# Fields a client may write; references are the system's or fixed at creation, and
# Enabled/Trial are derived from subscriptions. ExistingCards (payment data) is not kept.
CUSTOMER_DATA_FIELDS = tuple(
    name
    for name in CUSTOMER_V6.field_names
    if name not in ("AvangateCustomerReference", "ExistingCards", "Enabled", "Trial")
)
_SESSION_ID = re.compile(r"[0-9a-f]{32}")

_INSERT_ATTEMPTS = 8  # a random 9-digit reference collides rarely; retry a few times
_CONFLICT_ATTEMPTS = 5  # runs of a write whose transaction the database gave up over a deadlock
_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Moved(Exception):
    """The subscription moved between the read of its owner and the lock of its row."""


def _retried_on_conflict(method: Callable[Concatenate[Service, _P], _R]) -> Callable[Concatenate[Service, _P], _R]:
    """Run the call again when PostgreSQL ends its transaction over a deadlock or serialization
    failure. The calls take their locks in one order (customers, then subscriptions), so this is a
    safety net: the transaction rolled back whole, and the database picking a victim is no
    fault of the caller's, to answer with INTERNAL_ERROR. A call nested in another's transaction
    leaves the retry to the outermost, whose STORE_BUSY the HTTP layer runs again."""

    @functools.wraps(method)
    def retried(self: Service, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        attempt = 1
        while True:
            outermost = not self.store.in_transaction()
            try:
                return method(self, *args, **kwargs)
            except Exception as error:
                if not outermost or attempt == _CONFLICT_ATTEMPTS or not self.store.is_conflict(error):
                    raise
            self.store.pause(random.uniform(0, 0.005 * 2**attempt))  # jittered: the two sides retry apart
            attempt += 1

    return retried


def _customer_changes(
    current: Mapping[str, Any], customer: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[history.Change]]:
    """What an update with ``customer`` makes of the stored ``current``: the merged record, the
    changed fields' new values (Credit merged, an external reference only where there was none),
    and the history's changes."""
    changes = {name: customer[name] for name in CUSTOMER_DATA_FIELDS if name in customer}
    external = changes.pop("ExternalCustomerReference", None)
    if external and current["ExternalCustomerReference"] is None:
        changes["ExternalCustomerReference"] = external
    if changes.get("Credit") and current["Credit"]:
        changes["Credit"] = {**current["Credit"], **changes["Credit"]}
    merged = {**current, **changes}
    normalise_customer(merged)
    changed = {name: merged[name] for name in changes}
    data = {name: merged[name] for name in CUSTOMER_DATA_FIELDS}
    return merged, changed, history.changes({name: current[name] for name in CUSTOMER_DATA_FIELDS}, data)


def _login_hash(merchant: Merchant | None, code: str, date: str, algorithm: str) -> str:
    """The hash of a login ``date`` signed with ``merchant``'s secret key (with none for an unknown one)."""
    return auth.login_hash(merchant.secret_key if merchant else "", code, date, algorithm)


@contextmanager
def _external_reference_taken(external: object) -> Iterator[None]:
    """A change that would give a customer another's external reference is refused by its name."""
    try:
        yield
    except DuplicateKey:
        raise ApiError("DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE", reference=external) from None


class Service(SingleSignOn):  # SingleSignOn: the SSO methods (twoco.core.sso)
    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        references: ReferenceGenerator | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or Clock()
        self.references = references or ReferenceGenerator()
        self.settings = settings or Settings()
        self._merchant_codes: dict[int, str] = {}
        self.throttle = LoginThrottle(self.clock, self.settings.login_throttle)
        self._sessions = SessionCache()
        self._merchants: Remembered[str, Merchant] = Remembered()

    def call(
        self,
        operation: Operation,
        args: Sequence[object],
        protocol: str,
        version: str,
        exchange: Exchange | None = None,
    ) -> Any:
        """Carry out one decoded call: check its arity, resolve its session, run its handler; the
        merchant it acts for is noted in ``exchange``."""
        args = check_arity(operation, args)
        exchange = exchange or Exchange()
        client = exchange.client
        if not operation.needs_session:
            return self.invoke(operation, args, LoginCaller(version, protocol, client, operation.name, exchange))
        exchange.merchant_id = merchant_id = self.merchant_for_session(args[0], version)
        caller = Caller(version, protocol, merchant_id, client, operation.name, exchange)
        return self.invoke(operation, args[1:], caller)

    def invoke(self, operation: Operation, args: Sequence[object], caller: Caller | LoginCaller) -> Any:
        """Run an operation's handler for an already authenticated caller (or one logging in)."""
        return getattr(self, operation.handler)(caller, *args)

    def merchant_code(self, merchant_id: int) -> str:
        """A merchant's code by id; codes never change, so they are remembered."""
        if merchant_id not in self._merchant_codes:
            self._merchant_codes[merchant_id] = self.store.merchant_code(merchant_id) or ""
        return self._merchant_codes[merchant_id]

    def reset(self, merchant_code: str | None = None, seed: int | None = None) -> dict[str, int]:
        """Delete customers, subscriptions, sessions, change history, SSO tokens and failed-login counts
        (of one merchant, or all); keep merchants.

        ``seed`` restarts the reference generator, so the references that follow repeat.
        """
        merchant_id = None
        if merchant_code is not None:
            merchant = self.store.merchant(merchant_code) if MERCHANT_CODE.fullmatch(merchant_code) else None
            if merchant is None:
                raise ApiError("MERCHANT_NOT_FOUND", merchant=merchant_code[:64])
            merchant_id = merchant.id
        deleted = self.store.reset(merchant_id)
        self.forget(merchant_code)
        if seed is not None:
            self.references = ReferenceGenerator(seed)
        return deleted

    def forget(self, merchant_code: str | None = None) -> None:
        """Clear what a reset clears outside the store: remembered sessions and failed-login counts
        (of one merchant code, or all). Only once the store's part is done."""
        self._sessions.clear()  # other processes may honour a deleted session for up to a second
        self._merchants.clear()  # a fixture may have rotated a key
        self.throttle.forget(merchant_code)

    # --- authentication -------------------------------------------------------------

    def login(self, caller: LoginCaller, merchant_code: str, date: str, hash: str, algo: str | None) -> str:
        merchant_id = self.authenticate(caller.version, merchant_code, date, hash, algo, caller.client)
        caller.exchange.merchant_id = merchant_id
        session_id = new_session_id()
        now = self.clock.now()
        expires_at = now + self.settings.session_ttl
        token_hash = auth.hash_session_id(session_id)
        try:
            self.store.add_session(token_hash, merchant_id, caller.version, expires_at, now)
        except StoreUnavailable as outage:
            if outage.state not in WRITES_ONLY:
                raise
            # The store reads but refuses writes: a session this process alone knows still lets
            # the client read (docs/store.md, "Sessions while the store refuses writes").
            self._sessions.keep_unstored(token_hash, (merchant_id, caller.version, expires_at))
        return session_id

    def authenticate(
        self, version: str, merchant_code: str, date: str, hash: str, algo: str | None, client: str = ""
    ) -> int:
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
        if abs(when.timestamp() - self.clock.now()) > self.settings.login_window:
            raise ApiError(
                "LOGIN_DATE_OUT_OF_RANGE",
                window=self.settings.login_window,
                now=self.clock.now_datetime().strftime(auth.DATE_FORMAT),
            )
        return merchant.id

    def _stored_merchant(self, code: str) -> Merchant | None:
        """The merchant ``code`` names, from the store, remembered for a second (the REST
        requests of one merchant each authenticate). A NUL names none: PostgreSQL text cannot
        hold it, so asking would fail."""
        merchant = self.store.merchant(code) if "\x00" not in code else None
        if merchant is not None:
            self._merchants.put(code, merchant)
        return merchant

    def merchant_for_session(self, session_id: object, version: str) -> int:
        """The merchant a live session belongs to; the session TTL is fixed from login, not sliding.

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
        merchant_id, _, expires_at = session
        if self.clock.now() >= expires_at:
            raise ApiError("FORBIDDEN")  # 2Checkout's answer to an expired session
        return merchant_id

    # --- customers ------------------------------------------------------------------

    def create_customer(self, caller: Caller, customer: Mapping[str, Any]) -> int:
        record = {name: customer.get(name) for name in CUSTOMER_DATA_FIELDS}
        record["ExternalCustomerReference"] = record["ExternalCustomerReference"] or None
        normalise_customer(record)
        return self._insert_customer(caller, record)

    def _insert_customer(self, caller: Caller, record: dict[str, Any]) -> int:
        """Store a checked customer under a new reference; its creation goes in the history."""
        with self.store.transaction():
            for _ in range(_INSERT_ATTEMPTS):
                reference = self.references.customer_reference()
                try:
                    self.store.insert_customer(caller.merchant_id, {"AvangateCustomerReference": reference, **record})
                except DuplicateKey as duplicate:
                    if duplicate.external:
                        raise ApiError(
                            "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE", reference=record["ExternalCustomerReference"]
                        ) from None
                    continue  # taken by another merchant's customer
                self._record(caller, (reference,), history.changes({}, record))
                return reference
        raise ApiError("INTERNAL_ERROR")

    def get_customer(
        self, caller: Caller, reference: int | None, external: str | None, include_payment_data: bool | None = None
    ) -> dict[str, object]:
        """``include_payment_data`` (6.0) changes nothing: twoco keeps no payment data."""
        with self.store.transaction(write=False):
            found = self._find_customer(caller.merchant_id, reference, external, status_on=self._today())
            return self._customer_view(caller.merchant_id, found)

    @_retried_on_conflict
    def update_customer(self, caller: Caller, customer: Mapping[str, Any], push_to_end_users: bool | None) -> bool:
        reference = customer.get("AvangateCustomerReference")
        external = customer.get("ExternalCustomerReference")
        merchant_id = caller.merchant_id
        if self.store.row_versions and not push_to_end_users and not self.store.in_transaction():
            # PostgreSQL: a read, then a change made only if no other call changed the row in
            # between: two round trips, where a transaction holding the row's lock takes five. A
            # call that lost that race takes the lock below, to wait its turn rather than retry.
            current = self._find_customer(merchant_id, reference, external, may_assign_external=True, versioned=True)
            _, changed, changed_fields = _customer_changes(current, customer)
            entry = self._history_entry(caller, changed_fields)
            with _external_reference_taken(external):
                found = current["AvangateCustomerReference"]
                if self.store.update_customer_unless_changed(merchant_id, found, current[ROW_VERSION], changed, entry):
                    return True
        with self.store.transaction():
            current = self._find_customer(merchant_id, reference, external, lock=True, may_assign_external=True)
            found = current["AvangateCustomerReference"]
            merged, changed, changed_fields = _customer_changes(current, customer)
            with _external_reference_taken(external):
                self.store.update_customer(merchant_id, found, changed)
            if push_to_end_users:
                end_user = {name: merged[name] for name in END_USER_FIELDS}
                previous = {name: current[name] for name in END_USER_FIELDS}
                pushed = self.store.end_user_push_summary(merchant_id, found, end_user, previous)
                self.store.set_end_user(merchant_id, end_user, customer_reference=found)
                changed_fields += history.push_changes(end_user, previous, pushed)
            self._record(caller, (found,), changed_fields)
        return True

    def search_customers(self, caller: Caller, search_by: Mapping[str, Any] | None) -> dict[str, object]:
        """One page of the customers the filters match, by AvangateCustomerReference (see ``twoco.core.search``)."""
        search_by = search_by or {}
        page = search.page_of(search_by, caller.version)
        assert page is not None  # searchCustomers exists on paginated versions only
        with self.store.transaction(write=False):
            found, count = self.store.find_customers(
                caller.merchant_id, search.customer_filters(search_by), self._today(), page.limit, page.offset
            )
            return page.answer([self._customer_view(caller.merchant_id, row) for row in found], count)

    def customer_reference(self, caller: Caller, text: str) -> int:
        """The internal reference of the customer ``text`` names, as REST paths do.

        Digits name the customer with that AvangateCustomerReference if there is one;
        otherwise, and for any other text, the customer with that ExternalCustomerReference.
        """
        with self.store.transaction(write=False):
            reference = internal_reference(text)
            if reference is not None:
                found = self.store.customer(caller.merchant_id, reference)
                if found is not None:
                    return int(found["AvangateCustomerReference"])
            return int(self._find_customer(caller.merchant_id, None, text)["AvangateCustomerReference"])

    def _find_customer(
        self,
        merchant_id: int,
        reference: int | None,
        external: str | None,
        lock: bool = False,
        may_assign_external: bool = False,
        status_on: str | None = None,
        versioned: bool = False,
    ) -> dict[str, Any]:
        """The customer both references name (0, '' and nil count as absent).

        When both are given they must name the same customer. On update, an external
        reference that names no customer may be given to a customer that has none. ``lock``
        holds the customer's row until the transaction ends, for a change that follows.
        ``status_on`` reads the customer's status on that date along (see ``_customer_view``),
        ``versioned`` its row's version (``Store.update_customer_unless_changed``).
        """
        reference = reference or None
        external = external or None
        if reference is None and external is None:
            raise ApiError("CUSTOMER_REFERENCE_REQUIRED")
        if external is not None:
            check_text("ExternalCustomerReference", external, MAX_REFERENCE)
        if reference is None:
            assert external is not None  # one of the two is given
            found = self.store.customer_by_external(merchant_id, external, lock, status_on, versioned)
            if found is None:
                raise ApiError("CUSTOMER_NOT_FOUND", reference=f"ExternalCustomerReference {external!r}")
            return found
        found = self.store.customer(merchant_id, reference, lock, status_on, versioned)
        if found is None:
            raise ApiError("CUSTOMER_NOT_FOUND", reference=f"AvangateCustomerReference {reference}")
        if external is not None and found["ExternalCustomerReference"] != external:
            assignable = (
                may_assign_external
                and found["ExternalCustomerReference"] is None
                and self.store.customer_by_external(merchant_id, external) is None
            )
            if not assignable:
                raise ApiError("CUSTOMER_REFERENCE_MISMATCH")
        return found

    def _customer_view(self, merchant_id: int, row: Mapping[str, Any]) -> dict[str, object]:
        """The Customer object as 2Checkout returns it, with Enabled and Trial derived.

        A customer is enabled while it has an active subscription (enabled and not past its
        expiration date, or lifetime), and in trial when every active subscription is a trial.
        """
        if STATUS in row:  # read along with the customer
            active, trials = row[STATUS]
        else:
            active, trials = self.store.customer_status(merchant_id, row["AvangateCustomerReference"], self._today())
        view: dict[str, object] = {name: row.get(name) for name in CUSTOMER_V6.field_names}
        view["ExistingCards"] = []
        if view["Language"] is None:
            view["Language"] = ""  # as 2Checkout's recorded outputs show an unset language
        view["Enabled"] = active > 0
        view["Trial"] = active > 0 and trials == active
        return view

    def _today(self) -> str:
        return self.clock.now_datetime().date().isoformat()

    # --- subscriptions --------------------------------------------------------------

    def add_subscription(self, caller: Caller, subscription: Mapping[str, Any], test: int | None = None) -> str:
        """Import a subscription for the customer named inside the object.

        As 2Checkout does, a subscription that names no customer, or a new ExternalCustomerReference,
        gets a new customer made from its EndUser; a product named by ProductId alone takes the
        ProductCode an earlier import gave that id. ``test`` is the 5.0/6.0 parameter ("To add test
        subscriptions, set the Test parameter to 1").
        """
        record = validated_subscription(subscription, test)
        with self.store.transaction():
            owner = self._import_owner(caller, subscription, record["EndUser"])
            product = record["Product"]
            if product["ProductCode"] is None:
                product["ProductCode"] = self.store.product_code(caller.merchant_id, product["ProductId"])
            for _ in range(_INSERT_ATTEMPTS):
                reference = record["SubscriptionReference"] = self.references.subscription_reference()
                try:
                    self.store.insert_subscription(caller.merchant_id, owner, record)
                except DuplicateKey as duplicate:
                    if duplicate.external:
                        raise ApiError(
                            "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE",
                            reference=record["ExternalSubscriptionReference"],
                        ) from None
                    continue
                self._record(caller, (owner,), history.changes({}, record["EndUser"], "EndUser."), reference)
                return reference
        raise ApiError("INTERNAL_ERROR")

    def _import_owner(self, caller: Caller, subscription: Mapping[str, Any], end_user: Mapping[str, Any]) -> int:
        """The reference of the customer an import belongs to, made from the EndUser when new."""
        reference = subscription.get("AvangateCustomerReference") or None
        external = subscription.get("ExternalCustomerReference") or None
        if reference is not None:
            return int(self._find_customer(caller.merchant_id, reference, external)["AvangateCustomerReference"])
        if external is not None:
            check_text("ExternalCustomerReference", external, MAX_REFERENCE)
            found = self.store.customer_by_external(caller.merchant_id, external)
            if found is not None:
                return int(found["AvangateCustomerReference"])
        # Customers need an address, a zip code and an email; an EndUser may lack them: kept empty.
        record = {name: end_user.get(name) for name in CUSTOMER_DATA_FIELDS}
        record.update({name: record[name] or "" for name in ("Address1", "Zip", "Email")})
        record["ExternalCustomerReference"] = external
        try:
            return self._insert_customer(caller, record)
        except ApiError as error:
            # Another import made the customer since the lookup (PostgreSQL: it committed while
            # this insert waited on its key): the subscription belongs to that customer.
            found = self.store.customer_by_external(caller.merchant_id, external) if external else None
            if error.code != "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE" or found is None:
                raise
            return int(found["AvangateCustomerReference"])

    def get_subscription(self, caller: Caller, reference: str) -> dict[str, object]:
        with self.store.transaction(write=False):
            return subscription_view(self._find_subscription(caller.merchant_id, reference))

    def get_subscriptions(
        self, caller: Caller, references: Sequence[str | None], aggregate: bool | None = None
    ) -> list[dict[str, object]]:
        """The subscriptions among ``references``, in the order asked, each once; references that
        name none of the merchant's subscriptions are left out. ``aggregate`` changes nothing:
        twoco has no aggregated accounts."""
        wanted = list(dict.fromkeys(r for r in references if r and len(r) <= MAX_REFERENCE and "\x00" not in r))
        with self.store.transaction(write=False):
            found = self.store.subscriptions_by_reference(caller.merchant_id, wanted)
        return [subscription_view(found[reference]) for reference in wanted if reference in found]

    def search_subscriptions(self, caller: Caller, search_by: Mapping[str, Any] | None) -> object:
        """The subscriptions the filters match, by StartDate then reference: every one before API
        5.0, one page of them (``{Items, Pagination}``) from 5.0 (see ``twoco.core.search``)."""
        search_by = search_by or {}
        page = search.page_of(search_by, caller.version)
        filters = search.subscription_filters(search_by)
        with self.store.transaction(write=False):
            found, count = self.store.search_subscriptions(
                caller.merchant_id,
                filters,
                None if page is None else page.limit,
                0 if page is None else page.offset,
            )
        views = [subscription_view(subscription) for subscription in found]
        return views if page is None else page.answer(views, count)

    def get_customer_subscriptions(
        self, caller: Caller, reference: int | None, external: str | None
    ) -> list[dict[str, object]]:
        with self.store.transaction(write=False):
            owner = self._find_customer(caller.merchant_id, reference, external)
            found = self.store.customer_subscriptions(caller.merchant_id, owner["AvangateCustomerReference"])
            return [subscription_view(subscription) for subscription in found]

    @_retried_on_conflict
    def update_subscription_end_user(self, caller: Caller, reference: str, end_user: Mapping[str, Any]) -> bool:
        """Fields present replace the subscription's end-user data; absent ones keep theirs."""
        with self.store.transaction():
            found = self._lock_subscription(caller.merchant_id, reference)
            current = found["EndUser"]
            merged = merged_end_user(current, end_user)
            self.store.set_end_user(caller.merchant_id, merged, reference=reference)
            self._record(
                caller, (found["AvangateCustomerReference"],), history.changes(current, merged, "EndUser."), reference
            )
        return True

    @_retried_on_conflict
    def update_subscription(self, caller: Caller, subscription: Mapping[str, Any]) -> bool:
        """Change what updateSubscription changes: the EndUser (fields left out keep their values),
        ExpirationDate, ActivationDate, SubscriptionEnabled, RecurringEnabled, and the owner when the customer
        references name another customer. Other fields (as a subscription read and sent back
        carries them) are ignored; a field sent as nil keeps its value.
        """
        reference = subscription.get("SubscriptionReference")
        if not reference:
            raise ApiError("MISSING_REQUIRED_FIELD", field="SubscriptionReference")
        with self.store.transaction():

            def target(found: dict[str, Any]) -> tuple[int, ...]:
                try:
                    return (self._new_owner(caller.merchant_id, found, subscription),)
                except ApiError:  # no such customer: the error comes below, after those of the fields
                    return ()

            current = self._lock_subscription(caller.merchant_id, reference, target)
            changes = {
                name: subscription[name]
                for name in ("ExpirationDate", "ActivationDate", "SubscriptionEnabled", "RecurringEnabled")
                if subscription.get(name) is not None
            }
            if "ExpirationDate" in changes:
                check_expiration(current["StartDate"], changes["ExpirationDate"])
            if "ActivationDate" in changes:
                parse_date("ActivationDate", changes["ActivationDate"])
            end_user = merged_end_user(current["EndUser"], subscription.get("EndUser") or {})
            before = current["AvangateCustomerReference"]
            owner = self._new_owner(caller.merchant_id, current, subscription)
            self.store.update_subscription(caller.merchant_id, reference, changes)
            if end_user != current["EndUser"]:
                self.store.set_end_user(caller.merchant_id, end_user, reference=reference)
            if owner != before:
                self.store.move_subscription(caller.merchant_id, reference, owner)
            old = {name: current[name] for name in changes}
            changed = history.changes(
                {**old, "AvangateCustomerReference": before}, {**changes, "AvangateCustomerReference": owner}
            )
            changed += history.changes(current["EndUser"], end_user, "EndUser.")
            self._record(caller, (before,) if owner == before else (before, owner), changed, reference)
        return True

    def cancel_subscription(
        self,
        caller: Caller,
        reference: str,
        churn_reasons: Sequence[str | None] | None = None,
        churn_reason_other: str | None = None,
    ) -> bool:
        """Disable the subscription: "2Checkout disables the subscription immediately and no longer
        performs any recurring billing actions", so RecurringEnabled goes off with SubscriptionEnabled.
        The churn reasons (6.0) are accepted and not kept: twoco has nowhere to show them, and no
        source shows 2Checkout refusing a value it does not list (so none is refused here).
        Cancelling a disabled subscription changes nothing and answers true."""
        return self._set_flags(caller, reference, {"SubscriptionEnabled": False, "RecurringEnabled": False})

    def enable_subscription(self, caller: Caller, reference: str) -> bool:
        """Enable the subscription. Recurring billing stays as it is: the docs say only "enable a
        subscription", and recurring billing has its own enableRecurringBilling. Enabling an enabled
        subscription changes nothing and answers true."""
        return self._set_flags(caller, reference, {"SubscriptionEnabled": True})

    @_retried_on_conflict
    def _set_flags(self, caller: Caller, reference: str, flags: Mapping[str, bool]) -> bool:
        with self.store.transaction():
            current = self._lock_subscription(caller.merchant_id, reference)
            changed = {name: value for name, value in flags.items() if current[name] != value}
            self.store.update_subscription(caller.merchant_id, reference, changed)  # nothing to write: no write
            old = {name: current[name] for name in changed}
            self._record(caller, (current["AvangateCustomerReference"],), history.changes(old, changed), reference)
        return True

    def _new_owner(self, merchant_id: int, current: Mapping[str, Any], subscription: Mapping[str, Any]) -> int:
        """The customer updateSubscription's references name (the current owner when they name none).

        A subscription read, changed and sent back carries both of its owner's references; the
        documented sample changes only AvangateCustomerReference. So when the two disagree, one
        that still names the current owner is the stale one and the other names the target.
        """
        reference = subscription.get("AvangateCustomerReference") or None
        external = subscription.get("ExternalCustomerReference") or None
        if reference is None and external is None:
            return int(current["AvangateCustomerReference"])
        if reference is not None and external is not None:
            if reference == current["AvangateCustomerReference"] and external != current["ExternalCustomerReference"]:
                reference = None
            elif external == current["ExternalCustomerReference"] and reference != current["AvangateCustomerReference"]:
                external = None
        return int(self._find_customer(merchant_id, reference, external)["AvangateCustomerReference"])

    @_retried_on_conflict
    def set_subscription_customer(
        self, caller: Caller, reference: str, customer_reference: int | None, external: str | None
    ) -> bool:
        with self.store.transaction():
            self._find_subscription(caller.merchant_id, reference)  # SUBSCRIPTION_NOT_FOUND before CUSTOMER_NOT_FOUND
            owner = self._find_customer(caller.merchant_id, customer_reference, external)
            moved = self._lock_subscription(
                caller.merchant_id, reference, lambda _: (owner["AvangateCustomerReference"],)
            )
            self.store.move_subscription(caller.merchant_id, reference, owner["AvangateCustomerReference"])
            before, after = moved["AvangateCustomerReference"], owner["AvangateCustomerReference"]
            move = history.changes({"AvangateCustomerReference": before}, {"AvangateCustomerReference": after})
            self._record(caller, (before, after), move, reference)
        return True

    def _record(
        self, caller: Caller, customers: tuple[int, ...], changes: list[history.Change], subscription: str | None = None
    ) -> None:
        """Note a call's changes in the history of ``customers``, in the call's transaction
        (so a call that fails records nothing); nothing when nothing changed."""
        entry = self._history_entry(caller, changes, subscription)
        if entry is not None:
            self.store.add_history(caller.merchant_id, customers, entry)

    def _history_entry(
        self, caller: Caller, changes: list[history.Change], subscription: str | None = None
    ) -> HistoryEntry | None:
        """The history's entry for a call's changes; None when nothing changed."""
        if not changes:
            return None
        when = iso_timestamp(self.clock.now())
        return HistoryEntry(when, f"{caller.protocol}/{caller.version}", caller.operation, changes, subscription)

    def _lock_subscription(
        self, merchant_id: int, reference: str, also: Callable[[dict[str, Any]], tuple[int, ...]] = lambda _: ()
    ) -> dict[str, Any]:
        """The subscription, its row locked after those of its owner and of the customers ``also``
        names for it (a move's target), for a change that follows.

        Every call that changes a customer and its subscriptions locks in one order: customers
        first, by ascending reference, then subscriptions (the end-user push locks its customer,
        then updates the subscriptions). In two orders, PostgreSQL deadlocks. The owner is known
        only from a read: when it has moved by the time its row is locked, its locks are let go
        and taken again, in order, for its new owner.
        """
        if not self.store.row_locks:  # one writer at a time: nothing to order
            return self._find_subscription(merchant_id, reference)
        found = self._find_subscription(merchant_id, reference)
        while True:
            wanted = {int(found["AvangateCustomerReference"]), *also(found)}
            try:
                with self.store.savepoint():
                    for customer in sorted(wanted):
                        self.store.customer(merchant_id, customer, lock=True)
                    found = self._find_subscription(merchant_id, reference, lock=True)
                    if int(found["AvangateCustomerReference"]) in wanted and set(also(found)) <= wanted:
                        return found
                    raise _Moved
            except _Moved:
                # Locking its new owner now, after the old, could deadlock with a call that locks
                # them in order: rolling back to the savepoint lets go of the locks it took.
                continue

    def _find_subscription(self, merchant_id: int, reference: str, lock: bool = False) -> dict[str, Any]:
        # A reference no store can hold (too long, or with NUL, which PostgreSQL text refuses) names nothing.
        storable = len(reference) <= MAX_REFERENCE and "\x00" not in reference
        found = self.store.subscription(merchant_id, reference, lock) if storable else None
        if found is None:
            raise ApiError("SUBSCRIPTION_NOT_FOUND", reference=reference[:MAX_REFERENCE])
        return found


def merged_end_user(current: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """An EndUser update: the fields given replace the current ones, absent ones keep theirs; checked."""
    merged = {**current, **{name: given[name] for name in END_USER_FIELDS if name in given}}
    normalise_end_user(merged)
    return merged


def check_expiration(start: object, expiration: object) -> None:
    """Both dates valid, and the subscription not expiring before it starts."""
    first = parse_date("StartDate", start)
    if parse_date("ExpirationDate", expiration) < first:
        raise ApiError("INVALID_FIELD_VALUE", field="ExpirationDate", reason="must not be before StartDate")


def validated_subscription(subscription: Mapping[str, Any], test: int | None = None) -> dict[str, Any]:
    """Validate an imported Subscription and fill 2Checkout's defaults.

    ``test`` (the 5.0/6.0 parameter) or a ``Test`` inside the object, other than 0 or nil, makes it
    a test subscription; REST and JSON bodies carry it inside the object.
    """
    require("", subscription, ("ExternalSubscriptionReference", "StartDate", "ExpirationDate", "Product", "EndUser"))
    for name in ("ExternalSubscriptionReference", "SKU", "PartnerCode"):
        check_text(name, subscription.get(name), MAX_REFERENCE if name.startswith("External") else 255)
    check_expiration(subscription["StartDate"], subscription["ExpirationDate"])
    if subscription.get("ActivationDate"):
        parse_date("ActivationDate", subscription["ActivationDate"])
    product = {name: subscription["Product"].get(name) for name in PRODUCT.field_names}
    if not (product["ProductCode"] or "").strip():  # a product may be named by its id alone, as 2Checkout's samples do
        product["ProductCode"] = None
        require("Product.", product, ("ProductId",))
    for name in ("ProductCode", "ProductName", "ProductVersion"):
        check_text(f"Product.{name}", product[name])
    for code in product["PriceOptionCodes"] or ():
        check_text("Product.PriceOptionCodes", code)
    if product["ProductQuantity"] is None:
        product["ProductQuantity"] = 1
    if not 1 <= product["ProductQuantity"] <= 99999:
        raise ApiError("INVALID_FIELD_VALUE", field="Product.ProductQuantity", reason="must be between 1 and 99999")
    end_user = {name: subscription["EndUser"].get(name) for name in END_USER_FIELDS}
    normalise_end_user(end_user, required=IMPORT_END_USER_REQUIRED)
    end_user["Email"] = end_user["Email"] or ""
    prices = {}
    for name in ("NextRenewalPrice", "SubscriptionValue"):
        normalise_amount(name, subscription.get(name))
        prices[name] = subscription.get(name)
        prices[f"{name}Currency"] = normalise_currency(f"{name}Currency", subscription.get(f"{name}Currency"))
    cycles = subscription.get("CustomPriceBillingCyclesLeft")
    if cycles is not None and cycles < 0:
        raise ApiError("INVALID_FIELD_VALUE", field="CustomPriceBillingCyclesLeft", reason="must not be negative")

    def flag(name: str, default: bool) -> bool:
        value = subscription.get(name)
        return default if value is None else value

    return {
        "ExternalSubscriptionReference": subscription["ExternalSubscriptionReference"],
        "StartDate": subscription["StartDate"],
        "ActivationDate": subscription.get("ActivationDate") or None,
        "ExpirationDate": subscription["ExpirationDate"],
        "RecurringEnabled": flag("RecurringEnabled", False),
        "SubscriptionEnabled": flag("SubscriptionEnabled", True),
        "ReceiveNotifications": flag("ReceiveNotifications", True),
        "Lifetime": flag("Lifetime", False),
        "TestSubscription": flag("TestSubscription", False) or bool(test) or bool(subscription.get("Test")),
        "IsTrial": flag("IsTrial", False),
        "SKU": subscription.get("SKU"),
        "PartnerCode": subscription.get("PartnerCode"),
        "DeliveryInfo": _delivery_info(subscription.get("DeliveryInfo")),
        "CustomPriceBillingCyclesLeft": cycles,
        **prices,
        "Product": product,
        "EndUser": end_user,
    }


def _delivery_info(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """DeliveryInfo as stored: every code with all four fields, text checked."""
    if info is None:
        return None
    check_text("DeliveryInfo.Description", info.get("Description"))
    codes = []
    for code in info.get("Codes") or ():
        entry = {name: (code or {}).get(name) for name in ("Code", "File", "Description", "ExtraInfo")}
        for name, value in entry.items():
            check_text(f"DeliveryInfo.Codes.{name}", value)
        codes.append(entry)
    return {"Description": info.get("Description"), "Codes": codes}


def subscription_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored subscription as 2Checkout answers it: unset SKU and PartnerCode as "", as its recorded outputs show."""
    view = dict(record)
    for name in ("SKU", "PartnerCode"):
        if view.get(name) is None:
            view[name] = ""
    if view.get("DeliveryInfo") is None:  # what 2Checkout answers for an import without delivery data
        view["DeliveryInfo"] = {
            "Description": "",
            "Codes": [{"Code": None, "File": None, "Description": "", "ExtraInfo": None}],
        }
    return view
