"""The customer domain's wire objects: Customer (6.0 adds Credit), the EndUser its subscriptions
carry, and searchCustomers' filters and answer."""

from __future__ import annotations

from twoco.core.schema import BOOLEAN, DOUBLE, INT, PAGINATION, STRING, Array, Field, Struct, strings, struct

# The 13 fields an EndUser has; updateCustomerInformation pushes exactly these.
END_USER_FIELDS = (
    "FirstName", "LastName", "Email", "Company", "Phone", "Fax",
    "Address1", "Address2", "Zip", "City", "State", "CountryCode", "Language",
)  # fmt: skip

TRANSIENT_TOKEN = struct("TransientToken", ("Token", STRING))
EXISTING_CARD = struct("ExistingCard", ("TransientToken", TRANSIENT_TOKEN))

CUSTOMER = struct(
    "Customer",
    Field("AvangateCustomerReference", INT, text_before="4.0"),
    *strings(
        "ExternalCustomerReference", "FirstName", "LastName", "Company", "FiscalCode", "Address1",
        "Address2", "City", "State", "Zip", "CountryCode", "Phone", "Fax", "Email",
    ),
    ("ExistingCards", Array(EXISTING_CARD)),
    ("Enabled", BOOLEAN),
    ("Trial", BOOLEAN),
    ("Language", STRING),
)  # fmt: skip

# API 6.0 appends Credit to the Customer.
CREDIT = struct("Credit", ("Limit", DOUBLE), ("Remaining", DOUBLE), ("Currency", STRING))
CUSTOMER_V6 = Struct("Customer", (*CUSTOMER.fields, Field("Credit", CREDIT, since="6.0")))

END_USER = struct("EndUser", *strings(*END_USER_FIELDS))

CUSTOMER_SEARCH = struct(
    "CustomerSearchOptions",
    *strings("Email", "Phone", "CountryCode", "Language"),
    ("Trial", BOOLEAN),
    ("Status", STRING),
    ("Pagination", PAGINATION),
)
CUSTOMER_SEARCH_RESULT = struct("CustomerSearchResult", ("Items", Array(CUSTOMER_V6)), ("Pagination", PAGINATION))
