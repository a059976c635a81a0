"""The subscription domain's records: a subscription with its Product, DeliveryInfo and EndUser
as the store keeps them and hands them over (``SubscriptionStore``), keyed by the API's field names.

Each field has the type its column gives it (``twoco.store.migrations``): NOT NULL columns'
fields are never None; the yes/no fields are booleans, DeliveryInfo is kept as JSON.
"""

# No ``from __future__ import annotations``: see twoco.domains.customers.records.
from typing import TypedDict

from twoco.domains.customers.records import EndUserRecord


class ProductRecord(TypedDict):
    """The product a subscription is for; a product named by its id alone may have no code. An
    import's PriceOptionCodes is kept as sent, a nil item (a wire array's) included."""

    ProductCode: str | None
    ProductId: int | None
    ProductName: str | None
    ProductVersion: str | None
    ProductQuantity: int
    PriceOptionCodes: list[str | None] | None


class DeliveryCodeRecord(TypedDict):
    Code: str | None
    File: str | None
    Description: str | None
    ExtraInfo: str | None


class DeliveryInfoRecord(TypedDict):
    """What was delivered: every code with its four fields (``validated_subscription``)."""

    Description: str | None
    Codes: list[DeliveryCodeRecord]


class SubscriptionFields(TypedDict):
    """An import's fields, checked and completed (``validated_subscription``): all but the references."""

    ExternalSubscriptionReference: str | None
    StartDate: str
    ActivationDate: str | None
    ExpirationDate: str
    RecurringEnabled: bool
    SubscriptionEnabled: bool
    ReceiveNotifications: bool
    Lifetime: bool
    TestSubscription: bool
    IsTrial: bool
    SKU: str | None
    PartnerCode: str | None
    DeliveryInfo: DeliveryInfoRecord | None
    CustomPriceBillingCyclesLeft: int | None
    NextRenewalPrice: float | None
    NextRenewalPriceCurrency: str | None
    SubscriptionValue: float | None
    SubscriptionValueCurrency: str | None
    Product: ProductRecord
    EndUser: EndUserRecord


class NewSubscription(SubscriptionFields):
    """A subscription to store: its fields and its reference (``SubscriptionStore.insert_subscription``)."""

    SubscriptionReference: str


class LatestOrderRecord(TypedDict):
    RefNo: str
    Status: str


class SubscriptionRecord(NewSubscription):
    """A subscription as the store reads it, with its owner's two references and the order that
    made it (None for an import)."""

    AvangateCustomerReference: int
    ExternalCustomerReference: str | None
    LatestSubscriptionOrder: LatestOrderRecord | None
