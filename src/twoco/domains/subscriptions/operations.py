"""The subscription operations' handlers, and the lookups other domains make of subscriptions.

Each handler takes the call's :class:`Context` and :class:`Caller`, then the operation's
parameters as decoded; it runs in one store transaction (a call that raises changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from twoco.core import history
from twoco.core.context import INSERT_ATTEMPTS, Context, retried_on_conflict
from twoco.core.errors import ApiError
from twoco.core.events import CUSTOMER, VENDOR, SubscriptionChanged
from twoco.core.port import DuplicateKey
from twoco.core.registry import Caller, Operation, Param, Route
from twoco.core.schema import BOOLEAN, INT, PAGINATED_SINCE, STRING, Array
from twoco.core.search import page_of
from twoco.core.validation import MAX_REFERENCE, check_text, parse_date
from twoco.domains.customers.operations import REFERENCES, find_customer, insert_customer
from twoco.domains.customers.records import CustomerFields, EndUserRecord
from twoco.domains.customers.schema import END_USER
from twoco.domains.products.operations import catalogue_product
from twoco.domains.subscriptions.port import SubscriptionStore
from twoco.domains.subscriptions.records import ProductRecord, SubscriptionFields, SubscriptionRecord
from twoco.domains.subscriptions.rules import (
    check_expiration,
    merged_end_user,
    subscription_view,
    validated_subscription,
)
from twoco.domains.subscriptions.schema import SUBSCRIPTION, SUBSCRIPTION_SEARCH, SUBSCRIPTION_SEARCH_RESULT
from twoco.domains.subscriptions.search import subscription_filters

Subscriptions = Context[SubscriptionStore]

# The fields of its own updateSubscription changes (the EndUser and the owner aside), and the
# flags cancelSubscription and enableSubscription set: literals, for mypy to know them as fields.
_UPDATED: tuple[Literal["ExpirationDate", "ActivationDate", "SubscriptionEnabled", "RecurringEnabled"], ...] = (
    "ExpirationDate",
    "ActivationDate",
    "SubscriptionEnabled",
    "RecurringEnabled",
)
Flag = Literal["SubscriptionEnabled", "RecurringEnabled"]


class _Moved(Exception):
    """The subscription moved between the read of its owner and the lock of its row."""


def add_subscription(
    context: Subscriptions, caller: Caller, subscription: Mapping[str, Any], test: int | None = None
) -> str:
    """Import a subscription for the customer named inside the object.

    As 2Checkout does, a subscription that names no customer, or a new ExternalCustomerReference,
    gets a new customer made from its EndUser. Its product is the catalogue's (``_catalogue_terms``).
    ``test`` is the 5.0/6.0 parameter ("To add test subscriptions, set the Test parameter to 1").
    """
    record = validated_subscription(subscription, test)
    with context.store.transaction():
        _catalogue_terms(context, caller.merchant_id, record["Product"])
        owner = subscription_owner(
            context,
            caller,
            subscription.get("AvangateCustomerReference") or None,
            subscription.get("ExternalCustomerReference") or None,
            record["EndUser"],
        )
        return insert_subscription(context, caller, owner, record)


def insert_subscription(
    context: Subscriptions, caller: Caller, owner: int, record: SubscriptionFields, order: Any = None
) -> str:
    """Store a new subscription of customer ``owner`` under a new reference, made by the order
    ``order`` (a StoredOrder; None: imported), noted in the owner's history and announced (its LCN: the shopper's
    change when an order made it, the merchant's otherwise); answers the reference."""
    for _ in range(INSERT_ATTEMPTS):
        reference = context.references.subscription_reference()
        try:
            context.store.insert_subscription(caller.merchant_id, owner, {**record, "SubscriptionReference": reference})
        except DuplicateKey as duplicate:
            if duplicate.external:
                raise ApiError(
                    "DUPLICATE_EXTERNAL_SUBSCRIPTION_REFERENCE", reference=record["ExternalSubscriptionReference"]
                ) from None
            continue
        if order is not None:
            context.store.set_latest_order(caller.merchant_id, reference, order.ref_no)
        context.record(caller, (owner,), history.changes({}, record["EndUser"], "EndUser."), reference)
        by = VENDOR if order is None else CUSTOMER
        context.announce(SubscriptionChanged(caller.merchant_id, reference, by, order=order))
        return reference
    raise ApiError("INTERNAL_ERROR")


def _catalogue_terms(context: Subscriptions, merchant_id: int, product: ProductRecord) -> None:
    """Complete an import's product from the catalogue: the product its ProductCode or ProductId
    names gives the other, its name and its version. A merchant with a catalogue imports only
    its products (PRODUCT_NOT_FOUND otherwise: every 2Checkout sample and integration looks the
    product up first). One without any keeps the product as the import names it, a ProductId
    alone taking the ProductCode an earlier import gave that id (docs/products.md)."""
    found = catalogue_product(context, merchant_id, product["ProductCode"], product["ProductId"])
    if found is not None:
        product["ProductCode"] = found["ProductCode"]
        product["ProductId"] = found["AvangateId"]
        product["ProductName"] = found["ProductName"]
        product["ProductVersion"] = found["ProductVersion"] or product["ProductVersion"]
    elif context.store.has_products(merchant_id):
        named = (
            f"with ProductCode {product['ProductCode']!r}"
            if product["ProductCode"]
            else f"with AvangateId {product['ProductId']}"
        )
        raise ApiError("PRODUCT_NOT_FOUND", product=named)
    elif product["ProductCode"] is None:
        assert product["ProductId"] is not None  # for mypy: an import without a ProductCode names a ProductId
        product["ProductCode"] = context.store.product_code(merchant_id, product["ProductId"])


def subscription_owner(
    context: Subscriptions, caller: Caller, reference: int | None, external: str | None, end_user: EndUserRecord
) -> int:
    """The reference of the customer a new subscription belongs to (an import's, an order's): the
    one named, else one made from the EndUser (with ``external`` as its external reference)."""
    if reference is not None:
        return int(find_customer(context, caller.merchant_id, reference, external)["AvangateCustomerReference"])
    if external is not None:
        check_text("ExternalCustomerReference", external, MAX_REFERENCE)
        found = context.store.customer_by_external(caller.merchant_id, external)
        if found is not None:
            return int(found["AvangateCustomerReference"])
    # Customers need an address, a zip code and an email; an EndUser may lack them: kept empty.
    record: CustomerFields = {
        "ExternalCustomerReference": external,
        "FirstName": end_user["FirstName"],
        "LastName": end_user["LastName"],
        "Company": end_user["Company"],
        "FiscalCode": None,
        "Address1": end_user["Address1"] or "",
        "Address2": end_user["Address2"],
        "City": end_user["City"],
        "State": end_user["State"],
        "Zip": end_user["Zip"] or "",
        "CountryCode": end_user["CountryCode"],
        "Phone": end_user["Phone"],
        "Fax": end_user["Fax"],
        "Email": end_user["Email"] or "",
        "Language": end_user["Language"],
        "Credit": None,
    }
    try:
        return insert_customer(context, caller, record)
    except ApiError as error:
        # Another import made the customer since the lookup (PostgreSQL: it committed while
        # this insert waited on its key): the subscription belongs to that customer.
        found = context.store.customer_by_external(caller.merchant_id, external) if external else None
        if error.code != "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE" or found is None:
            raise
        return int(found["AvangateCustomerReference"])


def get_subscription(context: Subscriptions, caller: Caller, reference: str) -> dict[str, object]:
    with context.store.transaction(write=False):
        return subscription_view(find_subscription(context, caller.merchant_id, reference))


def get_subscriptions(
    context: Subscriptions, caller: Caller, references: Sequence[str | None], aggregate: bool | None = None
) -> list[dict[str, object]]:
    """The subscriptions among ``references``, in the order asked, each once; references that
    name none of the merchant's subscriptions are left out. ``aggregate`` changes nothing:
    twoco has no aggregated accounts."""
    wanted = list(dict.fromkeys(r for r in references if r and len(r) <= MAX_REFERENCE and "\x00" not in r))
    with context.store.transaction(write=False):
        found = context.store.subscriptions_by_reference(caller.merchant_id, wanted)
    return [subscription_view(found[reference]) for reference in wanted if reference in found]


def search_subscriptions(context: Subscriptions, caller: Caller, search_by: Mapping[str, Any] | None) -> object:
    """The subscriptions the filters match, by StartDate then reference: every one before API
    5.0, one page of them (``{Items, Pagination}``) from 5.0 (``twoco.core.search`` and ``.search``)."""
    search_by = search_by or {}
    page = page_of(search_by, caller.version)
    filters = subscription_filters(search_by)
    with context.store.transaction(write=False):
        found, count = context.store.search_subscriptions(
            caller.merchant_id,
            filters,
            None if page is None else page.limit,
            0 if page is None else page.offset,
        )
    views = [subscription_view(subscription) for subscription in found]
    return views if page is None else page.answer(views, count)


def get_customer_subscriptions(
    context: Subscriptions, caller: Caller, reference: int | None, external: str | None
) -> list[dict[str, object]]:
    with context.store.transaction(write=False):
        owner = find_customer(context, caller.merchant_id, reference, external)
        found = context.store.customer_subscriptions(caller.merchant_id, owner["AvangateCustomerReference"])
        return [subscription_view(subscription) for subscription in found]


@retried_on_conflict
def update_subscription_end_user(
    context: Subscriptions, caller: Caller, reference: str, end_user: Mapping[str, Any]
) -> bool:
    """Fields present replace the subscription's end-user data; absent ones keep theirs."""
    with context.store.transaction():
        found = lock_subscription(context, caller.merchant_id, reference)
        current = found["EndUser"]
        merged = merged_end_user(current, end_user)
        context.store.set_end_user(caller.merchant_id, reference, merged)
        changed = history.changes(current, merged, "EndUser.")
        context.record(caller, (found["AvangateCustomerReference"],), changed, reference)
        _announce(context, caller, reference, changed)
    return True


@retried_on_conflict
def update_subscription(context: Subscriptions, caller: Caller, subscription: Mapping[str, Any]) -> bool:
    """Change what updateSubscription changes: the EndUser (fields left out keep their values),
    ExpirationDate, ActivationDate, SubscriptionEnabled, RecurringEnabled, and the owner when the customer
    references name another customer. Other fields (as a subscription read and sent back
    carries them) are ignored; a field sent as nil keeps its value.
    """
    reference = subscription.get("SubscriptionReference")
    if not reference:
        raise ApiError("MISSING_REQUIRED_FIELD", field="SubscriptionReference")
    with context.store.transaction():

        def target(found: SubscriptionRecord) -> tuple[int, ...]:
            try:
                return (_new_owner(context, caller.merchant_id, found, subscription),)
            except ApiError:  # no such customer: the error comes below, after those of the fields
                return ()

        current = lock_subscription(context, caller.merchant_id, reference, target)
        changes: dict[str, object] = {
            name: subscription[name] for name in _UPDATED if subscription.get(name) is not None
        }
        if "ExpirationDate" in changes:
            check_expiration(current["StartDate"], changes["ExpirationDate"])
        if "ActivationDate" in changes:
            parse_date("ActivationDate", changes["ActivationDate"])
        end_user = merged_end_user(current["EndUser"], subscription.get("EndUser") or {})
        before = current["AvangateCustomerReference"]
        owner = _new_owner(context, caller.merchant_id, current, subscription)
        context.store.update_subscription(caller.merchant_id, reference, changes)
        if end_user != current["EndUser"]:
            context.store.set_end_user(caller.merchant_id, reference, end_user)
        if owner != before:
            context.store.move_subscription(caller.merchant_id, reference, owner)
        old: dict[str, object] = {name: current[name] for name in _UPDATED if name in changes}
        changed = history.changes(
            {**old, "AvangateCustomerReference": before}, {**changes, "AvangateCustomerReference": owner}
        )
        changed += history.changes(current["EndUser"], end_user, "EndUser.")
        context.record(caller, (before,) if owner == before else (before, owner), changed, reference)
        _announce(context, caller, reference, changed)
    return True


def cancel_subscription(
    context: Subscriptions,
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
    return _set_flags(context, caller, reference, {"SubscriptionEnabled": False, "RecurringEnabled": False})


def enable_subscription(context: Subscriptions, caller: Caller, reference: str) -> bool:
    """Enable the subscription. Recurring billing stays as it is: the docs say only "enable a
    subscription", and recurring billing has its own enableRecurringBilling. Enabling an enabled
    subscription changes nothing and answers true."""
    return _set_flags(context, caller, reference, {"SubscriptionEnabled": True})


def enable_recurring_billing(context: Subscriptions, caller: Caller, reference: str) -> bool:
    """Switch on the automatic renewal ("for a subscription that's manually renewable"); the
    subscription's status stays as it is. Already on: nothing changes, and true. "Not available
    for: 1. Lifetime subscriptions 2. Expired subscriptions with the expiration deadline in the
    past" (2Checkout's "Control recurring billing"): RECURRING_BILLING_NOT_AVAILABLE."""

    def available(current: SubscriptionRecord) -> None:
        if current["Lifetime"]:
            raise ApiError("RECURRING_BILLING_NOT_AVAILABLE", reason="a lifetime subscription")
        if current["ExpirationDate"] < context.today():
            raise ApiError(
                "RECURRING_BILLING_NOT_AVAILABLE", reason=f"a subscription that expired on {current['ExpirationDate']}"
            )

    return _set_flags(context, caller, reference, {"RecurringEnabled": True}, available)


def disable_recurring_billing(
    context: Subscriptions,
    caller: Caller,
    reference: str,
    churn_reasons: Sequence[str | None] | None = None,
    churn_reason_other: str | None = None,
) -> bool:
    """Switch off the automatic renewal: "the subscription status doesn't change. Users continue
    to use subscriptions with recurring billing disabled until they expire". The churn reasons
    (6.0) are accepted and not kept, as cancelSubscription's."""
    return _set_flags(context, caller, reference, {"RecurringEnabled": False})


@retried_on_conflict
def _set_flags(
    context: Subscriptions,
    caller: Caller,
    reference: str,
    flags: Mapping[Flag, bool],
    allowed: Callable[[SubscriptionRecord], None] = lambda _: None,
) -> bool:
    """Set the subscription's flags; ``allowed`` refuses (raises) a change the subscription does not allow."""
    with context.store.transaction():
        current = lock_subscription(context, caller.merchant_id, reference)
        changed: dict[str, bool] = {name: value for name, value in flags.items() if current[name] != value}
        if changed:
            allowed(current)
        context.store.update_subscription(caller.merchant_id, reference, changed)  # nothing to write: no write
        old: dict[str, object] = {name: current[name] for name in flags if name in changed}
        changes = history.changes(old, changed)
        context.record(caller, (current["AvangateCustomerReference"],), changes, reference)
        _announce(context, caller, reference, changes)
    return True


def _announce(context: Subscriptions, caller: Caller, reference: str, changes: list[history.Change]) -> None:
    """Announce a change of the subscription (its LCN); none when nothing changed, as none is recorded."""
    if changes:
        context.announce(SubscriptionChanged(caller.merchant_id, reference))


def _new_owner(
    context: Subscriptions, merchant_id: int, current: SubscriptionRecord, subscription: Mapping[str, Any]
) -> int:
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
    return int(find_customer(context, merchant_id, reference, external)["AvangateCustomerReference"])


@retried_on_conflict
def set_subscription_customer(
    context: Subscriptions, caller: Caller, reference: str, customer_reference: int | None, external: str | None
) -> bool:
    with context.store.transaction():
        find_subscription(context, caller.merchant_id, reference)  # SUBSCRIPTION_NOT_FOUND before CUSTOMER_NOT_FOUND
        owner = find_customer(context, caller.merchant_id, customer_reference, external)
        moved = lock_subscription(
            context, caller.merchant_id, reference, lambda _: (owner["AvangateCustomerReference"],)
        )
        context.store.move_subscription(caller.merchant_id, reference, owner["AvangateCustomerReference"])
        before, after = moved["AvangateCustomerReference"], owner["AvangateCustomerReference"]
        move = history.changes({"AvangateCustomerReference": before}, {"AvangateCustomerReference": after})
        context.record(caller, (before, after), move, reference)
        _announce(context, caller, reference, move)
    return True


def lock_subscription(
    context: Subscriptions,
    merchant_id: int,
    reference: str,
    also: Callable[[SubscriptionRecord], tuple[int, ...]] = lambda _: (),
) -> SubscriptionRecord:
    """The subscription, its row locked after those of its owner and of the customers ``also``
    names for it (a move's target), for a change that follows.

    Every call that changes a customer and its subscriptions locks in one order: customers
    first, by ascending reference, then subscriptions (the end-user push locks its customer,
    then updates the subscriptions). In two orders, PostgreSQL deadlocks. The owner is known
    only from a read: when it has moved by the time its row is locked, its locks are let go
    and taken again, in order, for its new owner.
    """
    if not context.store.row_locks:  # one writer at a time: nothing to order
        return find_subscription(context, merchant_id, reference)
    found = find_subscription(context, merchant_id, reference)
    while True:
        wanted = {int(found["AvangateCustomerReference"]), *also(found)}
        try:
            with context.store.savepoint():
                for customer in sorted(wanted):
                    context.store.customer(merchant_id, customer, lock=True)
                found = find_subscription(context, merchant_id, reference, lock=True)
                if int(found["AvangateCustomerReference"]) in wanted and set(also(found)) <= wanted:
                    return found
                raise _Moved
        except _Moved:
            # Locking its new owner now, after the old, could deadlock with a call that locks
            # them in order: rolling back to the savepoint lets go of the locks it took.
            continue


def find_subscription(
    context: Subscriptions, merchant_id: int, reference: str, lock: bool = False
) -> SubscriptionRecord:
    # A reference no store can hold (too long, or with NUL, which PostgreSQL text refuses) names nothing.
    storable = len(reference) <= MAX_REFERENCE and "\x00" not in reference
    found = context.store.subscription(merchant_id, reference, lock) if storable else None
    if found is None:
        raise ApiError("SUBSCRIPTION_NOT_FOUND", reference=reference[:MAX_REFERENCE])
    return found


_SUBSCRIPTION_REFERENCE = Param("SubscriptionReference", STRING)
# 6.0's reasons for switching a subscription off (cancelSubscription, disableRecurringBilling);
# the 3.0, 4.0 and 5.0 pages list SubscriptionReference alone.
_CHURN_REASONS = (
    Param("ChurnReasons", Array(STRING), required=False, since="6.0"),
    Param("ChurnReasonOther", STRING, required=False, since="6.0"),
)
A_SUBSCRIPTION = "/subscriptions/{SubscriptionReference}/"  # REST: one subscription

# Sources for each version difference are in docs/protocols.md ("Versions").
OPERATIONS = (
    Operation(
        "addSubscription",
        # 5.0 and 6.0: "To add test subscriptions, set the Test parameter to 1."
        (Param("Subscription", SUBSCRIPTION), Param("Test", INT, required=False, since="5.0")),
        STRING,
        add_subscription,
        # avangate-php-rest-code-samples, subscriptions/AddSubscription.php (3.0): asserts 201 and follows the Location.
        route=Route("POST", "/subscriptions/", created_201_until="6.0"),
    ),
    Operation(
        "getSubscription",
        (_SUBSCRIPTION_REFERENCE,),
        SUBSCRIPTION,
        get_subscription,
        route=Route("GET", A_SUBSCRIPTION),
    ),
    Operation(
        "getSubscriptions",
        (Param("SubscriptionReference", Array(STRING)), Param("Aggregate", BOOLEAN, required=False)),
        Array(SUBSCRIPTION),
        get_subscriptions,
    ),
    Operation(
        "searchSubscriptions",
        (Param("SearchBy", SUBSCRIPTION_SEARCH, required=False),),
        Array(SUBSCRIPTION),
        search_subscriptions,
        route=Route("GET", "/subscriptions/"),
        since="4.0",
        results=((PAGINATED_SINCE, SUBSCRIPTION_SEARCH_RESULT),),
    ),
    Operation(
        "getCustomerSubscriptions",
        REFERENCES,
        Array(SUBSCRIPTION),
        get_customer_subscriptions,
        route=Route("GET", "/customers/{CReference}/subscriptions/"),
    ),
    Operation(
        "updateSubscription",
        (Param("Subscription", SUBSCRIPTION),),
        BOOLEAN,
        update_subscription,
        route=Route("PUT", A_SUBSCRIPTION),
        since="5.0",
    ),
    # Disable / enable: the Node SDK's testSubscriptions.js sends DELETE and POST to the subscription.
    Operation(
        "cancelSubscription",
        (_SUBSCRIPTION_REFERENCE, *_CHURN_REASONS),
        BOOLEAN,
        cancel_subscription,
        route=Route("DELETE", A_SUBSCRIPTION),
    ),
    Operation(
        "enableSubscription",
        (_SUBSCRIPTION_REFERENCE,),
        BOOLEAN,
        enable_subscription,
        route=Route("POST", A_SUBSCRIPTION),
    ),
    # Recurring billing on and off: REST's POST and DELETE of the subscription's renewal/.
    Operation(
        "enableRecurringBilling",
        (_SUBSCRIPTION_REFERENCE,),
        BOOLEAN,
        enable_recurring_billing,
        route=Route("POST", f"{A_SUBSCRIPTION}renewal/"),
    ),
    Operation(
        "disableRecurringBilling",
        (_SUBSCRIPTION_REFERENCE, *_CHURN_REASONS),
        BOOLEAN,
        disable_recurring_billing,
        route=Route("DELETE", f"{A_SUBSCRIPTION}renewal/"),
    ),
    Operation(
        "updateSubscriptionEndUser",
        (_SUBSCRIPTION_REFERENCE, Param("EndUser", END_USER)),
        BOOLEAN,
        update_subscription_end_user,
        route=Route("PUT", f"{A_SUBSCRIPTION}end-user/"),
    ),
    Operation(
        "setSubscriptionCustomer",
        (_SUBSCRIPTION_REFERENCE, *REFERENCES),
        BOOLEAN,
        set_subscription_customer,
        route=Route("PUT", f"{A_SUBSCRIPTION}customer/"),
    ),
)
