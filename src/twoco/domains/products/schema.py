"""The catalogue's wire objects: Product with its pricing configurations, subscription settings
and translations, product groups, and searchProducts' filters and answer.

Field order is the order of the recorded SOAP 3.0 getProductByCode answer
(avangate-php-soap-code-samples, Products/Create/add-product.php) and of a real JSON-RPC one of
the older Product API 2.5 (GermanKingYT/Avangate-Smart-Api-Client,
tests/fixtures/entities/jsonProduct6000.php: the same fields, in the same order), with the
fields 2Checkout's 6.0 Product page adds placed where the page places them (docs/products.md).
"""

from __future__ import annotations

from twoco.core.schema import (
    BOOLEAN,
    DOUBLE,
    INT,
    PAGINATED_SINCE,
    PAGINATION,
    STRING,
    STRING_OR_FALSE,
    Array,
    Field,
    Keyed,
    strings,
    struct,
)

# A price for a currency and a quantity band, for the option values it names (none: any).
OPTION_CODES = struct("PriceOptionCodes", ("Code", STRING), ("Options", Array(STRING)))
PRICE = struct(
    "Price",
    ("Amount", DOUBLE),
    ("Currency", STRING),
    # SOAP 3.0 writes the bands as text ("MinQuantity": "1" in the recorded answer).
    Field("MinQuantity", INT, text_before="4.0"),
    Field("MaxQuantity", INT, text_before="4.0"),
    ("OptionCodes", Array(OPTION_CODES)),
)
PRICES = struct("Prices", ("Regular", Array(PRICE)), ("Renewal", Array(PRICE)))
PRICE_OPTION_REFERENCE = struct("PriceOptionsAssigned", ("Code", STRING), ("Required", BOOLEAN))
PRICING_CONFIGURATION = struct(
    "PricingConfiguration",
    ("Name", STRING),
    ("Code", STRING),
    ("Default", BOOLEAN),
    ("BillingCountries", Array(STRING)),
    ("PricingSchema", STRING),  # FLAT or DYNAMIC
    ("PriceType", STRING),  # NET or GROSS
    ("DefaultCurrency", STRING),
    ("Prices", PRICES),
    ("PriceOptions", Array(PRICE_OPTION_REFERENCE)),
)

CONTRACT_PERIOD = struct(
    "ContractPeriod", ("Period", INT), ("PeriodUnits", STRING), ("IsUnlimited", BOOLEAN), ("Action", STRING)
)
GRACE_PERIOD = struct(
    "GracePeriod", ("Type", STRING), ("Period", INT), ("PeriodUnits", STRING), ("IsUnlimited", BOOLEAN)
)
_EMAIL_DAYS = (
    "Before30Days",
    "Before15Days",
    "Before7Days",
    "Before1Day",
    "OnExpirationDate",
    "After5Days",
    "After15Days",
)
RENEWAL_EMAIL_DAYS = struct("RenewalEmailDays", *((name, BOOLEAN) for name in _EMAIL_DAYS))
RENEWAL_EMAILS = struct(
    "RenewalEmails",
    ("Type", STRING),
    (
        "Settings",
        struct("RenewalEmailSettings", ("ManualRenewal", RENEWAL_EMAIL_DAYS), ("AutomaticRenewal", RENEWAL_EMAIL_DAYS)),
    ),
)
SUBSCRIPTION_INFORMATION = struct(
    "SubscriptionInformation",
    ("DeprecatedProducts", Array(STRING)),
    ("BundleRenewalManagement", STRING),
    Field("BillingCycle", INT, text_before="4.0"),  # -1 with a one-time fee
    ("BillingCycleUnits", STRING),  # D or M (days, months); Y reads as years
    ("IsOneTimeFee", BOOLEAN),
    ("ContractPeriod", CONTRACT_PERIOD),
    ("UsageBilling", INT),
    ("GracePeriod", GRACE_PERIOD),
    ("RenewalEmails", RENEWAL_EMAILS),
)

TRANSLATION = struct(
    "ProductTranslation",
    *strings("LongDescription", "TrialUrl", "TrialDescription", "SystemRequirements", "Name", "Description"),
    ("Language", STRING),
)
SHIPPING_CLASS = struct("ShippingClass", ("Name", STRING), ("Amount", DOUBLE), *strings("Currency", "ApplyTo", "Type"))
PLATFORM = struct("Platform", *strings("IdPlatform", "PlatformName", "Category"))
PRODUCT_IMAGE = struct("ProductImage", ("Default", BOOLEAN), ("URL", STRING))
ADDITIONAL_FIELD = struct(
    "AdditionalFieldAssigned", ("Code", STRING), ("Label", STRING), ("Enabled", BOOLEAN), ("Required", BOOLEAN)
)
BUNDLE_PRODUCT = struct("BundleProductCode", ("ProductCode", STRING), ("ProductQuantity", INT))
PRODUCT_GROUP = struct("ProductGroup", *strings("Name", "Code", "TemplateName", "Description"), ("Enabled", BOOLEAN))
# A text with its language, as FulfillmentInformation's translations carry them.
LOCALIZED_TEXT = struct("LocalizedText", *strings("Name", "Description", "Language"))
_FULFILLMENT_FLAGS = (
    "IsStartAfterFulfillment",
    "IsElectronicCode",
    "IsDownloadLink",
    "IsBackupMedia",
    "IsDownloadInsuranceService",
    "IsInstantDeliveryThankYouPage",
    "IsDisplayInPartnersCPanel",
)
FULFILLMENT_INFORMATION = struct(
    "FulfillmentInformation",
    *((name, BOOLEAN) for name in _FULFILLMENT_FLAGS),
    # Objects of their own at 2Checkout; twoco keeps no code lists, media or files: always nil.
    *strings("CodeList", "BackupMedia", "ProductFile"),
    ("AdditionalInformationByEmail", STRING),
    ("AdditionalInformationEmailTranslations", Array(LOCALIZED_TEXT)),
    ("AdditionalThankYouPage", STRING),
    ("AdditionalThankYouPageTranslations", Array(LOCALIZED_TEXT)),
)

PRODUCT = struct(
    "Product",
    Field("AvangateId", INT, text_before="4.0"),  # "4590126" in the recorded SOAP 3.0 answer
    ("ProductCode", STRING),
    Field("ExternalReference", STRING, since="6.0"),  # documented on 6.0; not in the 3.0 answer
    ("ProductType", STRING),  # REGULAR or BUNDLE
    ("ProductName", STRING),
    ("ProductVersion", STRING),
    Field("PurchaseMultipleUnits", BOOLEAN, since="6.0"),
    Field("Tangible", BOOLEAN, since="6.0"),
    ("GroupName", STRING),
    Field("ProductGroup", PRODUCT_GROUP, since="6.0"),  # the 6.0 page's object; earlier answers have GroupName alone
    ("ShippingClass", SHIPPING_CLASS),
    ("GiftOption", BOOLEAN),
    *strings("ShortDescription", "LongDescription", "SystemRequirements"),
    ("ProductCategory", STRING_OR_FALSE),
    ("Platforms", Array(PLATFORM)),
    ("ProductImages", Array(PRODUCT_IMAGE)),
    ("TrialUrl", STRING),
    ("TrialDescription", STRING),
    ("Enabled", BOOLEAN),
    ("AdditionalFields", Array(ADDITIONAL_FIELD)),
    # JSON: an object keyed by language ({"ES": {…}}), as the real answer has it; SOAP: an array.
    ("Translations", Keyed(TRANSLATION, key="Language")),
    ("PricingConfigurations", Array(PRICING_CONFIGURATION)),
    ("Prices", Array(PRICE)),
    ("BundleProducts", Array(BUNDLE_PRODUCT)),
    ("Fulfillment", STRING),
    ("GeneratesSubscription", BOOLEAN),
    ("SubscriptionInformation", SUBSCRIPTION_INFORMATION),
    ("FulfillmentInformation", FULFILLMENT_INFORMATION),
    # What addProduct and updateProduct take and no answer shows: the group by code, the tax category.
    Field("ProductGroupCode", STRING, returned=False),
    Field("TaxCategory", STRING, returned=False),
)


# searchProducts' filters ("Retrieve product info": Name, Types, Enabled, GroupName, Limit, Page;
# Codes from the SOAP and JSON-RPC SearchOptions). Limit and Page are fields of their own on
# every version (the REST 3.0 sample sends Limit=1); Pagination too from 5.0.
PRODUCT_SEARCH = struct(
    "ProductSearchOptions",
    ("Name", STRING),
    ("Codes", Array(STRING)),
    ("Types", Array(STRING)),
    ("Enabled", BOOLEAN),
    ("GroupName", STRING),
    ("Limit", INT),
    ("Page", INT),
    Field("Pagination", PAGINATION, since=PAGINATED_SINCE),
)
PRODUCT_SEARCH_RESULT = struct("ProductSearchResult", ("Items", Array(PRODUCT)), ("Pagination", PAGINATION))
