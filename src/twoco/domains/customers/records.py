"""The customer domain's records: a customer, its Credit and an EndUser as the store keeps them
and hands them over (``CustomerStore``), keyed by the API's field names.

Each field has the type its column gives it (``twoco.store.migrations``): text a customer must
have is ``str``, text it may lack ``str | None``. The rules check a decoded object as a draft
(a plain dict: the wire's values are whatever the client sent) and make the record from it
once checked: ``customer_fields``, ``end_user_record``.
"""

# No ``from __future__ import annotations`` here: a TypedDict made from annotations left as text
# takes a NotRequired key for a required one (Python 3.11), and tests/test_records.py reads them.
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict


class CreditRecord(TypedDict, total=False):
    """API 6.0's Customer.Credit. Read from the store it has all three fields; as a client gives it
    (a decoded object), only those sent, in the order sent: the change history lists them so."""

    Limit: float | None
    Remaining: float | None
    Currency: str | None


class EndUserRecord(TypedDict):
    """The person a subscription names (``END_USER_FIELDS``); ``Email`` may be "" (an import's)."""

    FirstName: str
    LastName: str
    Email: str
    Company: str | None
    Phone: str | None
    Fax: str | None
    Address1: str | None
    Address2: str | None
    Zip: str | None
    City: str
    State: str | None
    CountryCode: str
    Language: str | None


class CustomerFields(TypedDict):
    """A customer's fields a client writes (``CUSTOMER_DATA_FIELDS``): a new customer's, an update's merge."""

    ExternalCustomerReference: str | None
    FirstName: str
    LastName: str
    Company: str | None
    FiscalCode: str | None
    Address1: str
    Address2: str | None
    City: str
    State: str | None
    Zip: str
    CountryCode: str
    Phone: str | None
    Fax: str | None
    Email: str
    Language: str | None
    Credit: CreditRecord | None


class NewCustomer(CustomerFields):
    """A customer to store: its fields and its reference (``CustomerStore.insert_customer``)."""

    AvangateCustomerReference: int


class CustomerRecord(NewCustomer):
    """A customer as the store reads it (``CustomerStore.customer`` …), with what the read asked
    for along (the keys are ``twoco.core.port``'s STATUS and ROW_VERSION): its status, (active
    subscriptions, trials), read ``status_on`` a date; its row's version, read ``versioned``."""

    status: NotRequired[tuple[int, int]]
    row_version: NotRequired[str]


def customer_fields(draft: Mapping[str, Any]) -> CustomerFields:
    """The fields of a customer ``draft`` the rules have checked (``normalise_customer``). Its values
    are what the wire decoded, so Any; Credit stays the object given. In ``CUSTOMER_DATA_FIELDS``' order."""
    return {
        "ExternalCustomerReference": draft["ExternalCustomerReference"],
        "FirstName": draft["FirstName"],
        "LastName": draft["LastName"],
        "Company": draft["Company"],
        "FiscalCode": draft["FiscalCode"],
        "Address1": draft["Address1"],
        "Address2": draft["Address2"],
        "City": draft["City"],
        "State": draft["State"],
        "Zip": draft["Zip"],
        "CountryCode": draft["CountryCode"],
        "Phone": draft["Phone"],
        "Fax": draft["Fax"],
        "Email": draft["Email"],
        "Language": draft["Language"],
        "Credit": draft["Credit"],
    }


def end_user_record(draft: Mapping[str, Any]) -> EndUserRecord:
    """The EndUser of a ``draft`` the rules have checked (``normalise_end_user``), its values as the
    wire decoded them (so Any). In ``END_USER_FIELDS``' order."""
    return {
        "FirstName": draft["FirstName"],
        "LastName": draft["LastName"],
        "Email": draft["Email"],
        "Company": draft["Company"],
        "Phone": draft["Phone"],
        "Fax": draft["Fax"],
        "Address1": draft["Address1"],
        "Address2": draft["Address2"],
        "Zip": draft["Zip"],
        "City": draft["City"],
        "State": draft["State"],
        "CountryCode": draft["CountryCode"],
        "Language": draft["Language"],
    }


def end_user_of(customer: CustomerFields) -> EndUserRecord:
    """A customer's own data as an EndUser (what updateCustomerInformation pushes to its subscriptions)."""
    return {
        "FirstName": customer["FirstName"],
        "LastName": customer["LastName"],
        "Email": customer["Email"],
        "Company": customer["Company"],
        "Phone": customer["Phone"],
        "Fax": customer["Fax"],
        "Address1": customer["Address1"],
        "Address2": customer["Address2"],
        "Zip": customer["Zip"],
        "City": customer["City"],
        "State": customer["State"],
        "CountryCode": customer["CountryCode"],
        "Language": customer["Language"],
    }
