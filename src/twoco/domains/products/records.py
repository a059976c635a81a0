"""The catalogue's records: a product as the store keeps it and hands it over (``ProductStore``),
keyed by the API's field names, and a product group.

A product is kept whole, as the document ``validated_product`` completes; the store also keeps
the fields searches filter on in columns of their own (``twoco.store.products``). Nested objects
keep the shapes of ``twoco.domains.products.schema``, every field present.
"""

# No ``from __future__ import annotations``: see twoco.domains.customers.records.
from typing import Any, TypedDict


class PriceRecord(TypedDict):
    Amount: float
    Currency: str
    MinQuantity: int
    MaxQuantity: int
    OptionCodes: list[dict[str, Any]]


class PricesRecord(TypedDict):
    Regular: list[PriceRecord]
    Renewal: list[PriceRecord]


class PricingConfigurationRecord(TypedDict):
    Name: str
    Code: str
    Default: bool
    BillingCountries: list[str]
    PricingSchema: str
    PriceType: str
    DefaultCurrency: str
    Prices: PricesRecord
    PriceOptions: list[dict[str, Any]]


class SubscriptionInformationRecord(TypedDict):
    DeprecatedProducts: list[str]
    BillingCycle: int
    BillingCycleUnits: str
    IsOneTimeFee: bool
    ContractPeriod: dict[str, Any]
    GracePeriod: dict[str, Any]


class ProductGroupRecord(TypedDict):
    Name: str
    Code: str
    TemplateName: str | None
    Description: str | None
    Enabled: bool


class ProductFields(TypedDict):
    """A product's fields, checked and completed (``validated_product``): all but its AvangateId."""

    ProductCode: str
    ExternalReference: str | None
    ProductType: str
    ProductName: str
    ProductVersion: str
    PurchaseMultipleUnits: bool
    Tangible: bool
    ProductGroupCode: str | None
    GroupName: str
    ProductGroup: ProductGroupRecord
    ShippingClass: dict[str, Any] | None
    GiftOption: bool
    ShortDescription: str
    LongDescription: str
    SystemRequirements: str
    ProductCategory: str | None
    Platforms: list[dict[str, Any]]
    ProductImages: list[dict[str, Any]]
    TrialUrl: str
    TrialDescription: str
    Enabled: bool
    AdditionalFields: list[dict[str, Any]]
    Translations: list[dict[str, Any]]
    PricingConfigurations: list[PricingConfigurationRecord]
    Prices: list[PriceRecord]
    BundleProducts: list[dict[str, Any]]
    Fulfillment: str
    GeneratesSubscription: bool
    SubscriptionInformation: SubscriptionInformationRecord | None
    FulfillmentInformation: dict[str, Any] | None
    TaxCategory: str | None


class ProductRecord(ProductFields):
    """A product as stored: its fields and the AvangateId it was given."""

    AvangateId: int
