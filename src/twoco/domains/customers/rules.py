"""A customer's field rules: what is required, how fields are stored, what an update changes.

Each check raises an ApiError naming the field; normalisers leave the value as stored (country
and language codes lower-case, as 2Checkout returns them). An EndUser, the person a subscription
names, follows the same rules as a customer with fewer required fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from twoco.core import history
from twoco.core.errors import ApiError
from twoco.core.validation import normalise_amount, normalise_currency, normalise_person
from twoco.domains.customers.records import CustomerFields, CustomerRecord, customer_fields
from twoco.domains.customers.schema import CUSTOMER_V6

CUSTOMER_REQUIRED = ("FirstName", "LastName", "Address1", "City", "Zip", "CountryCode", "Email")
END_USER_REQUIRED = ("FirstName", "LastName", "Email", "City", "CountryCode")

# Fields a client may write; references are the system's or fixed at creation, and
# Enabled/Trial are derived from subscriptions. ExistingCards (payment data) is not kept.
CUSTOMER_DATA_FIELDS = tuple(
    name
    for name in CUSTOMER_V6.field_names
    if name not in ("AvangateCustomerReference", "ExistingCards", "Enabled", "Trial")
)


def normalise_customer(record: dict[str, object]) -> None:
    normalise_person("", record, CUSTOMER_REQUIRED)
    normalise_credit(cast("dict[str, object] | None", record.get("Credit")))  # a decoded Credit object or None
    fiscal_code = record.get("FiscalCode")
    company = record.get("Company")
    if fiscal_code and not (isinstance(company, str) and company.strip()):
        raise ApiError("FISCAL_CODE_REQUIRES_COMPANY", field="FiscalCode")


def normalise_credit(credit: dict[str, object] | None) -> None:
    """API 6.0's Customer.Credit: non-negative amounts and a three-letter currency code."""
    if credit is None:
        return
    for name in ("Limit", "Remaining"):
        normalise_amount(f"Credit.{name}", credit.get(name))
    if isinstance(credit.get("Currency"), str):
        credit["Currency"] = normalise_currency("Credit.Currency", credit["Currency"])


def normalise_end_user(
    record: dict[str, object], prefix: str = "EndUser.", required: Iterable[str] = END_USER_REQUIRED
) -> None:
    normalise_person(prefix, record, required)


def new_customer(fields: Mapping[str, Any]) -> CustomerFields:
    """A new customer's fields from the Customer fields given (createCustomer, a fixture), checked:
    every data field, an empty external reference as none. (``fields``: a decoded Customer, its
    values whatever the client sent.)"""
    draft = {name: fields.get(name) for name in CUSTOMER_DATA_FIELDS}
    draft["ExternalCustomerReference"] = draft["ExternalCustomerReference"] or None
    normalise_customer(draft)
    return customer_fields(draft)


def customer_changes(
    current: CustomerRecord, customer: Mapping[str, Any]
) -> tuple[CustomerFields, dict[str, object], list[history.Change]]:
    """What an update with ``customer`` (a decoded Customer) makes of the stored ``current``: the
    merged fields, the changed fields' new values (Credit merged, an external reference only where
    there was none), and the history's changes."""
    changes = {name: customer[name] for name in CUSTOMER_DATA_FIELDS if name in customer}
    external = changes.pop("ExternalCustomerReference", None)
    if external and current["ExternalCustomerReference"] is None:
        changes["ExternalCustomerReference"] = external
    if changes.get("Credit") and current["Credit"]:
        changes["Credit"] = {**current["Credit"], **changes["Credit"]}
    merged: dict[str, object] = {**current, **changes}
    normalise_customer(merged)
    changed = {name: merged[name] for name in changes}
    data = {name: merged[name] for name in CUSTOMER_DATA_FIELDS}
    stored: Mapping[str, object] = current  # read by field name: a TypedDict takes literal keys only
    return (
        customer_fields(merged),
        changed,
        history.changes({name: stored[name] for name in CUSTOMER_DATA_FIELDS}, data),
    )
