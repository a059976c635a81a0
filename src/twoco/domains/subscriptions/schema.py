"""The subscription domain's wire objects: Subscription with its Product and DeliveryInfo, and
searchSubscriptions' filters and answer."""

from __future__ import annotations

from twoco.core.schema import (
    BOOLEAN,
    DOUBLE,
    INT,
    PAGINATED_SINCE,
    PAGINATION,
    STRING,
    Array,
    Field,
    strings,
    struct,
)
from twoco.domains.customers.schema import END_USER

# The product a subscription is for (a catalogue Product is twoco.domains.products.schema.PRODUCT).
PRODUCT = struct(
    "SubscriptionProduct",
    ("ProductCode", STRING),
    Field("ProductId", INT, text_before="4.0"),
    ("ProductName", STRING),
    ("ProductVersion", STRING),
    ("ProductQuantity", INT),
    ("PriceOptionCodes", Array(STRING)),
)

# What was delivered to the customer (activation codes, files), as getSubscription returns it.
DELIVERY_CODE = struct("DeliveryCode", *strings("Code", "File", "Description", "ExtraInfo"))
DELIVERY_INFO = struct("DeliveryInfo", ("Description", STRING), ("Codes", Array(DELIVERY_CODE)))

# Fields in the order 2Checkout returns them (the recorded 3.0 output, then 6.0's additions).
LATEST_ORDER = struct(
    "LatestSubscriptionOrder", ("RefNo", STRING), ("Status", STRING), ("FailedRecurringChargesCount", INT)
)
SUBSCRIPTION = struct(
    "Subscription",
    ("SubscriptionReference", STRING),
    ("StartDate", STRING),
    ("ActivationDate", STRING),
    ("ExpirationDate", STRING),
    ("RecurringEnabled", BOOLEAN),
    ("SubscriptionEnabled", BOOLEAN),
    ("Product", PRODUCT),
    ("EndUser", END_USER),
    ("SKU", STRING),
    ("DeliveryInfo", DELIVERY_INFO),
    ("ReceiveNotifications", BOOLEAN),
    ("Lifetime", BOOLEAN),
    ("PartnerCode", STRING),
    Field("AvangateCustomerReference", INT, text_before="4.0"),
    ("ExternalCustomerReference", STRING),
    ("TestSubscription", BOOLEAN),
    ("IsTrial", BOOLEAN),
    ("ExternalSubscriptionReference", STRING),
    ("NextRenewalPrice", DOUBLE),
    ("NextRenewalPriceCurrency", STRING),
    ("SubscriptionValue", DOUBLE),
    ("SubscriptionValueCurrency", STRING),
    ("CustomPriceBillingCyclesLeft", INT),
    # The order that made the subscription, as 2Checkout's PHP SDK reads it on 6.0
    # (LatestSubscriptionOrder.RefNo, tests/.../SubscriptionTest.php); null for an import.
    Field("LatestSubscriptionOrder", LATEST_ORDER, since="6.0"),
    # An import's flag (REST and JSON bodies carry it inside the object; SOAP 5.0/6.0 also as a parameter).
    Field("Test", INT, returned=False),
)
# Its yes/no fields, which the store keeps as booleans and the OpenAPI document describes alike.
SUBSCRIPTION_FLAGS = tuple(f.name for f in SUBSCRIPTION.fields if f.type is BOOLEAN)


# The filters 2Checkout documents for searchSubscriptions, in its order (twoco evaluates those on
# data it keeps; see twoco.domains.subscriptions.search).
SUBSCRIPTION_SEARCH = struct(
    "SubscriptionSearchOptions",
    ("CustomerEmail", STRING), ("ExactMatchEmail", BOOLEAN), ("DeliveredCode", STRING),
    ("AvangateCustomerReference", INT), ("ExternalCustomerReference", STRING), ("Aggregate", BOOLEAN),
    ("SubscriptionEnabled", BOOLEAN), ("RecurringEnabled", BOOLEAN), ("ProductCodes", Array(STRING)),
    ("CountryCodes", Array(STRING)), ("PartnerCode", STRING),
    *strings(
        "PurchasedAfter", "PurchasedBefore", "ExpireAfter", "ExpireBefore", "RenewedAfter", "RenewedBefore",
        "NotificationAfter", "NotificationBefore", "ModifiedAfter", "ModifiedBefore",
    ),
    ("LifetimeSubscription", BOOLEAN), ("Type", STRING), ("TestSubscription", BOOLEAN),
    Field("Pagination", PAGINATION, since=PAGINATED_SINCE),
)  # fmt: skip
SUBSCRIPTION_SEARCH_RESULT = struct(
    "SubscriptionSearchResult", ("Items", Array(SUBSCRIPTION)), ("Pagination", PAGINATION)
)
