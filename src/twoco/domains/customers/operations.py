"""The customer operations' handlers, and the lookups other domains make of customers.

Each handler takes the call's :class:`Context` and :class:`Caller`, then the operation's
parameters as decoded; it runs in one store transaction (a call that raises changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from twoco.core import history
from twoco.core.context import INSERT_ATTEMPTS, Context, retried_on_conflict
from twoco.core.errors import ApiError
from twoco.core.events import SubscriptionChanged
from twoco.core.port import ROW_VERSION, STATUS, DuplicateKey
from twoco.core.registry import Caller, Operation, Param, Route
from twoco.core.schema import BOOLEAN, INT, STRING
from twoco.core.search import page_of
from twoco.core.validation import MAX_REFERENCE, check_text, internal_reference
from twoco.domains.customers.port import CustomerStore
from twoco.domains.customers.records import CustomerFields, CustomerRecord, end_user_of
from twoco.domains.customers.rules import customer_changes, new_customer
from twoco.domains.customers.schema import CUSTOMER_SEARCH, CUSTOMER_SEARCH_RESULT, CUSTOMER_V6
from twoco.domains.customers.search import customer_filters

Customers = Context[CustomerStore]


def create_customer(context: Customers, caller: Caller, customer: Mapping[str, Any]) -> int:
    return insert_customer(context, caller, new_customer(customer))


def insert_customer(context: Customers, caller: Caller, record: CustomerFields) -> int:
    """Store a checked customer under a new reference; its creation goes in the history."""
    with context.store.transaction():
        for _ in range(INSERT_ATTEMPTS):
            reference = context.references.customer_reference()
            try:
                context.store.insert_customer(caller.merchant_id, {"AvangateCustomerReference": reference, **record})
            except DuplicateKey as duplicate:
                if duplicate.external:
                    raise ApiError(
                        "DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE", reference=record["ExternalCustomerReference"]
                    ) from None
                continue  # taken by another merchant's customer
            context.record(caller, (reference,), history.changes({}, record))
            return reference
    raise ApiError("INTERNAL_ERROR")


def get_customer(
    context: Customers,
    caller: Caller,
    reference: int | None,
    external: str | None,
    include_payment_data: bool | None = None,
) -> dict[str, object]:
    """``include_payment_data`` (6.0) changes nothing: twoco keeps no payment data."""
    with context.store.transaction(write=False):
        found = find_customer(context, caller.merchant_id, reference, external, status_on=context.today())
        return customer_view(context, caller.merchant_id, found)


@retried_on_conflict
def update_customer(
    context: Customers, caller: Caller, customer: Mapping[str, Any], push_to_end_users: bool | None
) -> bool:
    store = context.store
    reference = customer.get("AvangateCustomerReference")
    external = customer.get("ExternalCustomerReference")
    merchant_id = caller.merchant_id
    if store.row_versions and not push_to_end_users and not store.in_transaction():
        # PostgreSQL: a read, then a change made only if no other call changed the row in
        # between: two round trips, where a transaction holding the row's lock takes five. A
        # call that lost that race takes the lock below, to wait its turn rather than retry.
        current = find_customer(context, merchant_id, reference, external, may_assign_external=True, versioned=True)
        _, changed, changed_fields = customer_changes(current, customer)
        entry = context.history_entry(caller, changed_fields)
        with _external_reference_taken(external):
            found = current["AvangateCustomerReference"]
            if store.update_customer_unless_changed(merchant_id, found, current[ROW_VERSION], changed, entry):
                return True
    with store.transaction():
        current = find_customer(context, merchant_id, reference, external, lock=True, may_assign_external=True)
        found = current["AvangateCustomerReference"]
        merged, changed, changed_fields = customer_changes(current, customer)
        with _external_reference_taken(external):
            store.update_customer(merchant_id, found, changed)
        if push_to_end_users:
            end_user = end_user_of(merged)
            previous = end_user_of(current)
            pushed = store.end_user_push_summary(merchant_id, found, end_user, previous)
            changed_subscriptions = store.end_user_push_targets(merchant_id, found, end_user)
            store.push_end_user(merchant_id, found, end_user)
            changed_fields += history.push_changes(end_user, previous, pushed)
            for subscription in changed_subscriptions:  # each an LCN, as 2Checkout sends on an end user's change
                context.announce(SubscriptionChanged(merchant_id, subscription))
        context.record(caller, (found,), changed_fields)
    return True


def search_customers(context: Customers, caller: Caller, search_by: Mapping[str, Any] | None) -> dict[str, object]:
    """One page of the customers the filters match, by AvangateCustomerReference (see ``.search``)."""
    search_by = search_by or {}
    page = page_of(search_by, caller.version)
    assert page is not None  # searchCustomers exists on paginated versions only
    with context.store.transaction(write=False):
        found, count = context.store.find_customers(
            caller.merchant_id, customer_filters(search_by), context.today(), page.limit, page.offset
        )
        return page.answer([customer_view(context, caller.merchant_id, row) for row in found], count)


def customer_reference(context: Customers, caller: Caller, text: str) -> int:
    """The internal reference of the customer ``text`` names, as REST paths do.

    Digits name the customer with that AvangateCustomerReference if there is one;
    otherwise, and for any other text, the customer with that ExternalCustomerReference.
    """
    with context.store.transaction(write=False):
        reference = internal_reference(text)
        if reference is not None:
            found = context.store.customer(caller.merchant_id, reference)
            if found is not None:
                return int(found["AvangateCustomerReference"])
        return int(find_customer(context, caller.merchant_id, None, text)["AvangateCustomerReference"])


def find_customer(
    context: Customers,
    merchant_id: int,
    reference: int | None,
    external: str | None,
    lock: bool = False,
    may_assign_external: bool = False,
    status_on: str | None = None,
    versioned: bool = False,
) -> CustomerRecord:
    """The customer both references name (0, '' and nil count as absent).

    When both are given they must name the same customer. On update, an external
    reference that names no customer may be given to a customer that has none. ``lock``
    holds the customer's row until the transaction ends, for a change that follows.
    ``status_on`` reads the customer's status on that date along (see ``customer_view``),
    ``versioned`` its row's version (``CustomerStore.update_customer_unless_changed``).
    """
    store = context.store
    reference = reference or None
    external = external or None
    if reference is None and external is None:
        raise ApiError("CUSTOMER_REFERENCE_REQUIRED")
    if external is not None:
        check_text("ExternalCustomerReference", external, MAX_REFERENCE)
    if reference is None:
        assert external is not None  # one of the two is given
        found = store.customer_by_external(merchant_id, external, lock, status_on, versioned)
        if found is None:
            raise ApiError("CUSTOMER_NOT_FOUND", reference=f"ExternalCustomerReference {external!r}")
        return found
    found = store.customer(merchant_id, reference, lock, status_on, versioned)
    if found is None:
        raise ApiError("CUSTOMER_NOT_FOUND", reference=f"AvangateCustomerReference {reference}")
    if external is not None and found["ExternalCustomerReference"] != external:
        assignable = (
            may_assign_external
            and found["ExternalCustomerReference"] is None
            and store.customer_by_external(merchant_id, external) is None
        )
        if not assignable:
            raise ApiError("CUSTOMER_REFERENCE_MISMATCH")
    return found


def customer_view(context: Customers, merchant_id: int, row: CustomerRecord) -> dict[str, object]:
    """The Customer object as 2Checkout returns it, with Enabled and Trial derived.

    A customer is enabled while it has an active subscription (enabled and not past its
    expiration date, or lifetime), and in trial when every active subscription is a trial.
    """
    if STATUS in row:  # read along with the customer
        active, trials = row[STATUS]
    else:
        active, trials = context.store.customer_status(merchant_id, row["AvangateCustomerReference"], context.today())
    view: dict[str, object] = {name: row.get(name) for name in CUSTOMER_V6.field_names}
    view["ExistingCards"] = []
    if view["Language"] is None:
        view["Language"] = ""  # as 2Checkout's recorded outputs show an unset language
    view["Enabled"] = active > 0
    view["Trial"] = active > 0 and trials == active
    return view


@contextmanager
def _external_reference_taken(external: object) -> Iterator[None]:
    """A change that would give a customer another's external reference is refused by its name."""
    try:
        yield
    except DuplicateKey:
        raise ApiError("DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE", reference=external) from None


EXTERNAL = Param("ExternalCustomerReference", STRING, required=False)
# A customer named by either reference, as getCustomerSubscriptions and setSubscriptionCustomer take it.
REFERENCES = (Param("AvangateCustomerReference", INT, required=False), EXTERNAL)

# Sources for each version difference are in docs/protocols.md ("Versions").
OPERATIONS = (
    # REST answers 200 with the new reference on every version: avangate-ruby-rest-code-samples,
    # add-customer.rb, records "Response status: 200" and the reference as the body on 3.0.
    Operation(
        "createCustomer", (Param("Customer", CUSTOMER_V6),), INT, create_customer, route=Route("POST", "/customers/")
    ),
    Operation(
        "getCustomerInformation",
        (
            # 5.0 and 6.0 name the first reference CustomerReference; 6.0 adds IncludePaymentData.
            Param("AvangateCustomerReference", INT, required=False, until="5.0"),
            Param("CustomerReference", INT, required=False, since="5.0"),
            EXTERNAL,
            Param("IncludePaymentData", BOOLEAN, required=False, since="6.0"),
        ),
        CUSTOMER_V6,
        get_customer,
        route=Route("GET", "/customers/{CReference}/"),
    ),
    Operation(
        "updateCustomerInformation",
        (Param("Customer", CUSTOMER_V6), Param("UpdateEndUserSubscriptions", BOOLEAN, required=False)),
        BOOLEAN,
        update_customer,
        route=Route("PUT", "/customers/{CReference}/"),
    ),
    Operation(
        "searchCustomers",
        (Param("SearchBy", CUSTOMER_SEARCH, required=False),),
        CUSTOMER_SEARCH_RESULT,
        search_customers,
        since="6.0",
    ),
)
