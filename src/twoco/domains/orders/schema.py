"""The order's wire objects: the Order placeOrder takes and getOrder answers, its items, billing,
delivery and payment details, and searchOrders' filters and answer.

One Order type serves both ways, as 2Checkout's WSDL has it: the fields a request sends and no
answer shows are ``returned=False``. Field order is the order of the recorded answers:
SOAP 3.0's placeOrder (avangate-php-soap-code-samples, Orders/Create/place-order-TEST.php; the
REST 3.0 record of the Ruby samples has the same keys in the same order) and REST 6.0's
(2Checkout's .NET SDK README, a TEST order of 2022; the Python SDK's getOrder fixture of 2021).
The fields 6.0 adds are ``since="6.0"``, those it dropped ``until="6.0"``; 4.0 and 5.0, of
which no answer is on record, answer 3.0's fields, 5.0 with the 3-D Secure fields its docs
require of card orders; dynamic items are 6.0's (docs/orders.md, "The Order object").
"""

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

V6 = "6.0"
THREE_D_SECURE_SINCE = "5.0"  # "For credit card orders placed using API 5.0 or newer versions …"

BILLING_DETAILS = struct(
    "BillingDetails",
    ("FiscalCode", STRING),
    Field("TaxOffice", STRING, since=V6),
    *strings("Phone", "FirstName", "LastName", "Company", "Email", "Address1", "Address2", "City", "Zip"),
    *strings("CountryCode", "State"),
)
DELIVERY_DETAILS = struct(
    "DeliveryDetails",
    *strings("Phone", "FirstName", "LastName", "Company", "Email", "Address1", "Address2", "City", "Zip"),
    *strings("CountryCode", "State"),
)

AUTHORIZE_3DS = struct(
    "Authorize3DS",
    ("Href", STRING),
    ("Method", STRING),
    ("Params", struct("Authorize3DSParams", ("avng8apitoken", STRING))),
)
# What a payment method answers, then what only requests send: a card, a 2Pay.js token, PayPal's
# return addresses, a previous order's reference.
PAYMENT_METHOD = struct(
    "PaymentMethod",
    # Answered by a payment that needs them only, as recorded.
    Field("Authorize3DS", AUTHORIZE_3DS, since=THREE_D_SECURE_SINCE, omitted_when_none=True),
    Field("RedirectURL", STRING, omitted_when_none=True),  # PayPal's: where the shopper approves the payment
    # A card's (PayPal's answer has none of them).
    *(Field(name, STRING, omitted_when_none=True) for name in ("FirstDigits", "LastDigits", "CardType")),
    # Sent on every version, answered from 6.0 (the year with two digits: "23").
    *(Field(name, STRING, returned=False, until=V6) for name in ("ExpirationMonth", "ExpirationYear")),
    *(Field(name, STRING, since=V6, omitted_when_none=True) for name in ("ExpirationMonth", "ExpirationYear")),
    ("RecurringEnabled", BOOLEAN),
    Field("Vendor3DSReturnURL", STRING, since=THREE_D_SECURE_SINCE),
    Field("Vendor3DSCancelURL", STRING, since=THREE_D_SECURE_SINCE),
    Field("InstallmentsNumber", INT, since=V6),
    *(
        Field(name, STRING, returned=False)
        for name in ("CardNumber", "CCID", "HolderName", "EesToken", "Email", "ReturnURL", "CancelURL", "RefNo")
    ),
    Field("HolderNameTime", DOUBLE, returned=False),
    Field("CardNumberTime", DOUBLE, returned=False),
)
PAYMENT_DETAILS = struct(
    "PaymentDetails", ("Type", STRING), ("Currency", STRING), ("PaymentMethod", PAYMENT_METHOD), ("CustomerIP", STRING)
)

ORDER_SUBSCRIPTION = struct(
    "OrderSubscription",
    *strings("SubscriptionReference", "PurchaseDate", "SubscriptionStartDate", "ExpirationDate"),
    *((name, BOOLEAN) for name in ("Lifetime", "Trial", "Enabled", "RecurringEnabled")),
)
ITEM_DELIVERY = struct(
    "ItemDeliveryInformation",
    *strings("Delivery", "DownloadFile", "DeliveryDescription", "CodesDescription"),
    ("Codes", Array(STRING)),
)
PRODUCT_DETAILS = struct(
    "OrderProductDetails",
    ("Name", STRING),
    Field("ShortDescription", STRING, since=V6),
    Field("Tangible", BOOLEAN, since=V6),
    Field("IsDynamic", BOOLEAN, since=V6),
    ("ExtraInfo", STRING),
    ("RenewalStatus", BOOLEAN),
    ("Subscriptions", Array(ORDER_SUBSCRIPTION)),
    Field("DeliveryInformation", ITEM_DELIVERY, since=V6),
)
PRICE_OPTION_VALUE = struct("OrderPriceOptionValue", *strings("Name", "Value", "Surcharge"))
# 3.0 answers a price option as its group's code and the chosen options' codes; 6.0 as the group
# with its chosen options' names, values and surcharges (a dynamic item sends them that way).
ORDER_PRICE_OPTION = struct(
    "OrderPriceOption",
    ("Code", STRING),
    Field("Name", STRING, since=V6),
    ("Required", BOOLEAN),
    Field("Options", Array(STRING), until=V6),
    Field("Options", Array(PRICE_OPTION_VALUE), since=V6),
)
_UNIT_PRICES = (
    "UnitNetPrice",
    "UnitGrossPrice",
    "UnitVAT",
    "UnitDiscount",
    "UnitNetDiscountedPrice",
    "UnitGrossDiscountedPrice",
    "UnitAffiliateCommission",
)
_V6_PRICES = (
    "ItemUnitNetPrice",
    "ItemUnitGrossPrice",
    "ItemNetPrice",
    "ItemGrossPrice",
    "VATPercent",
    "HandlingFeeNetPrice",
    "HandlingFeeGrossPrice",
)
TOTALS = (
    "NetPrice",
    "GrossPrice",
    "NetDiscountedPrice",
    "GrossDiscountedPrice",
    "Discount",
    "VAT",
    "AffiliateCommission",
)
# An item's price: the breakdown answered, and what a dynamic item sends ({Amount, Type: CUSTOM}).
ITEM_PRICE = struct(
    "OrderPrice",
    *((name, DOUBLE) for name in _UNIT_PRICES),
    *(Field(name, DOUBLE, since=V6) for name in _V6_PRICES),
    ("Currency", STRING),
    *((name, DOUBLE) for name in TOTALS),
    Field("Amount", DOUBLE, returned=False, since=V6),
    Field("Type", STRING, returned=False, since=V6),
)
TRIAL = struct(
    "OrderTrial",
    ("Period", INT),
    Field("Price", DOUBLE, returned=False),
    ("GrossPrice", DOUBLE),
    ("VAT", DOUBLE),
    ("NetPrice", DOUBLE),
)
RECURRING_OPTIONS = struct(
    "RecurringOptions",
    ("CycleLength", INT),
    ("CycleUnit", STRING),
    ("CycleAmount", DOUBLE),
    ("ContractLength", INT),
    ("ContractUnit", STRING),
)
CROSS_SELL = struct("CrossSell", *strings("CampaignCode", "ParentCode"))
ORDER_ITEM = struct(
    "OrderItem",
    ("ProductDetails", PRODUCT_DETAILS),
    ("PriceOptions", Array(ORDER_PRICE_OPTION)),
    ("Price", ITEM_PRICE),
    Field("Code", STRING, omitted_when_none=True),  # a dynamic item has none: 6.0's answers leave it out
    Field("LineItemReference", STRING, since=V6),
    Field("PurchaseType", STRING, since=V6),
    Field("ExternalReference", STRING, since=V6),
    ("Quantity", INT),
    ("SKU", STRING),
    ("CrossSell", CROSS_SELL),
    ("Trial", TRIAL),
    ("AdditionalFields", STRING),
    ("Promotion", STRING),
    Field("RecurringOptions", RECURRING_OPTIONS, since=V6),
    Field("SubscriptionStartDate", STRING, since=V6),
    Field("SubscriptionCustomSettings", STRING, since=V6),
    Field("UpSell", STRING, since=V6),
    # What a dynamic item sends and its ProductDetails answers: dynamic items are 6.0's ("Place
    # orders with dynamic product information" is documented for 6.0 only); before, an item is
    # the catalogue's, named by its Code.
    *(Field(name, BOOLEAN, returned=False, since=V6) for name in ("IsDynamic", "Tangible")),
    *(Field(name, STRING, returned=False, since=V6) for name in ("Name", "Description")),
)

AFFILIATE = struct("Affiliate", *strings("AffiliateCode", "AffiliateSource", "AffiliateName", "AffiliateUrl"))
SHIPPING_METHOD = struct("ShippingMethod", *strings("Code", "TrackingUrl", "TrackingNumber", "Comment"))
EXTRA_INFORMATION = struct("ExtraInformation", ("PaymentLink", STRING))
# A failed payment's reasons, by code: the one code on record.
ORDER_ERRORS = struct("OrderErrors", ("CARD_PAYMENT_ERROR", STRING))
REFUND_ITEM = struct("RefundItem", ("LineItemReference", STRING), ("Quantity", INT), ("Amount", DOUBLE))
# 6.0's Refunds: on record only as null. twoco lists each refund made (docs/orders.md, "Refunds").
ORDER_REFUND = struct(
    "OrderRefund",
    *strings("Date", "Type", "Currency"),
    ("Amount", DOUBLE),
    *strings("Reason", "Comment"),
    ("Items", Array(REFUND_ITEM)),
)

ORDER = struct(
    "Order",
    ("RefNo", STRING),
    ("OrderNo", INT),
    *strings("ExternalReference", "ShopperRefNo", "Status", "ApproveStatus", "VendorApproveStatus"),
    Field("MerchantCode", STRING, since=V6),
    *strings("Language", "OrderDate", "FinishDate", "Source"),
    Field("WSOrder", STRING, since=V6),
    *(Field(name, STRING, until=V6) for name in ("AffiliateSource", "AffiliateId", "AffiliateName", "AffiliateUrl")),
    Field("Affiliate", AFFILIATE, since=V6),
    Field("RecurringEnabled", BOOLEAN, until=V6),
    ("HasShipping", BOOLEAN),
    ("BillingDetails", BILLING_DETAILS),
    ("DeliveryDetails", DELIVERY_DETAILS),
    ("PaymentDetails", PAYMENT_DETAILS),
    Field("DeliveryInformation", struct("OrderDeliveryInformation", ("ShippingMethod", SHIPPING_METHOD)), since=V6),
    ("CustomerDetails", STRING),
    ("Origin", STRING),
    ("AvangateCommission", DOUBLE),
    *strings("OrderFlow", "GiftDetails", "PODetails"),
    ("ExtraInformation", EXTRA_INFORMATION),
    ("PartnerCode", STRING),
    *((name, DOUBLE) for name in ("PartnerMargin", "PartnerMarginPercent", "ExtraMargin", "ExtraMarginPercent")),
    *((name, DOUBLE) for name in ("ExtraDiscount", "ExtraDiscountPercent")),
    ("LocalTime", STRING),
    ("TestOrder", BOOLEAN),
    Field("FxRate", DOUBLE, since=V6),
    Field("FxMarkup", DOUBLE, since=V6),
    Field("PayoutCurrency", STRING, since=V6),
    Field("DeliveryFinalized", BOOLEAN, since=V6),
    ("Errors", ORDER_ERRORS),
    ("Items", Array(ORDER_ITEM)),
    ("Promotions", Array(STRING)),
    ("AdditionalFields", STRING),
    ("Currency", STRING),
    *((name, DOUBLE) for name in TOTALS),
    Field("CustomParameters", STRING, since=V6),
    Field("Refunds", Array(ORDER_REFUND), since=V6),
    # What a request sends and no answer shows: where the shopper is, and the customer the order is for.
    Field("Country", STRING, returned=False),
    Field("CustomerIP", STRING, returned=False),
    Field("CustomerReference", INT, returned=False),
    Field("ExternalCustomerReference", STRING, returned=False),
    Field("MachineId", STRING, returned=False),
)

# searchOrders' filters: REST's query parameters (docs.2checkout.com/api-reference/reference/order),
# the same names in SOAP's and JSON-RPC's orderSearchOptions, with Pagination from 5.0.
ORDER_SEARCH = struct(
    "OrderSearchOptions",
    *strings("StartDate", "EndDate", "Newer", "Status", "ApproveStatus", "ExternalRefNo"),
    ("PartnerOrders", BOOLEAN),
    ("IncludeTestOrders", STRING),
    ("Page", INT),
    ("Limit", INT),
    Field("Pagination", PAGINATION, since=PAGINATED_SINCE),
)
ORDER_SEARCH_RESULT = struct("OrderSearchResult", ("Items", Array(ORDER)), ("Pagination", PAGINATION))
