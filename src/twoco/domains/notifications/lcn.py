"""An LCN's fields for a subscription, in the order 2Checkout sends them.

The order is the LCN parameter list of reference §2.3 (the docs' table, completed from a public
connector's schema), checked against a real LCN of 2019; LCN fields are flat, never arrays. Each
field is sent, empty ones too (the real LCN on record drops them, but it passed through a
connector; a second real LCN, of 2020, sends them empty, as IPNs do). EXPIRATION_DATE is a date
alone, as the receipt's hash needs it; the *_DATE_TIME fields carry the time of day of the
purchase (00:00:00 for an import, which has none), a lifetime licence's 23:59:59. Dates are
UTC (TIMEZONE_OFFSET GMT+00:00), as twoco's API answers them. A cancelled subscription's STATUS
is CANCELED and its renewal card is still named, as in the 2020 LCN of a merchant's cancellation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from twoco.core.country_names import COUNTRY_NAMES
from twoco.domains.notifications.signatures import Fields
from twoco.domains.subscriptions.records import SubscriptionRecord

LIFETIME_DATE = "9999-12-31"
# The DISPATCH_REASONs the docs list (reference §1.3), any of which the sandbox can send.
DISPATCH_REASONS = (
    "LICENCE_CHANGE",
    "LICENCE_GP_CHANGE",
    "LICENCE_PENDING_ACTIVATION",
    "LICENCE_EXPIRATION",
    "LICENCE_PASTDUE",
    "LICENCE_CPC_ACCEPTED",
    "SCHEDULED_FOR_CANCELATION_ON_DEMAND",
    "REVERT_CANCELATION_ON_DEMAND",
)


def status_of(subscription: SubscriptionRecord, today: str) -> str:
    """The subscription's STATUS: CANCELED (disabled), EXPIRED once its expiration date has passed, else ACTIVE."""
    if not subscription["SubscriptionEnabled"]:
        return "CANCELED"
    if not subscription["Lifetime"] and subscription["ExpirationDate"] < today:
        return "EXPIRED"
    return "ACTIVE"


def lcn_fields(
    subscription: SubscriptionRecord,
    reason: str,
    changed_by: str,
    now: datetime,
    payment: Mapping[str, Any],
    purchased: str | None,
) -> Fields:
    """The LCN of ``subscription`` (as just changed) for ``reason``. ``payment`` is the PaymentDetails
    of the order that made it ({} for an import): its card is the next renewal's; ``purchased``
    that order's date of purchase ("YYYY-MM-DD HH:MM:SS"; None for an import)."""
    end_user = subscription["EndUser"]
    product = subscription["Product"]
    lifetime = subscription["Lifetime"]
    expiration = LIFETIME_DATE if lifetime else subscription["ExpirationDate"]
    start = subscription["StartDate"]
    status = status_of(subscription, now.date().isoformat())
    latest = subscription["LatestSubscriptionOrder"]
    order = latest["RefNo"] if latest else ""
    renews = subscription["RecurringEnabled"] and subscription["SubscriptionEnabled"] and not lifetime
    card = payment.get("PaymentMethod") or {}
    time = "23:59:59" if lifetime else (purchased or "")[11:] or "00:00:00"
    bought = purchased[:10] if purchased else start
    country = str(end_user["CountryCode"] or "").lower()
    price = subscription["NextRenewalPrice"]
    return [
        ("FIRST_NAME", end_user["FirstName"] or ""),
        ("LAST_NAME", end_user["LastName"] or ""),
        ("COMPANY", end_user["Company"] or ""),
        ("EMAIL", end_user["Email"] or ""),
        ("PHONE", end_user["Phone"] or ""),
        ("FAX", end_user["Fax"] or ""),
        ("COUNTRY", COUNTRY_NAMES.get(country, "")),
        ("STATE", end_user["State"] or ""),
        ("CITY", end_user["City"] or ""),
        ("ZIP", end_user["Zip"] or ""),
        ("ADDRESS", end_user["Address1"] or ""),
        ("LICENSE_CODE", subscription["SubscriptionReference"]),
        ("EXPIRATION_DATE_TIME", f"{expiration} {time}"),
        ("EXPIRATION_DATE", expiration),
        ("DATE_UPDATED", now.strftime("%Y-%m-%d %H:%M:%S")),
        ("AVANGATE_CUSTOMER_REFERENCE", str(subscription["AvangateCustomerReference"])),
        ("EXTERNAL_CUSTOMER_REFERENCE", subscription["ExternalCustomerReference"] or ""),
        ("TEST", "1" if subscription["TestSubscription"] else "0"),
        ("CHANGED_BY", changed_by),
        ("LICENSE_TYPE", "TRIAL" if subscription["IsTrial"] else "REGULAR"),
        ("DISABLED", "0" if subscription["SubscriptionEnabled"] else "1"),
        ("RECURRING", "1" if subscription["RecurringEnabled"] else "0"),
        ("LICENSE_PRODUCT", str(product["ProductId"] or "")),
        ("START_DATE", start),
        ("START_DATE_TIME", f"{start} {(purchased or '')[11:] or '00:00:00'}"),
        ("PURCHASE_DATE", bought),
        ("PURCHASE_DATE_TIME", purchased or f"{start} 00:00:00"),
        ("LICENSE_LIFETIME", "1" if lifetime else "0"),
        ("BILLING_CYCLES", ""),
        ("CONTRACT_CYCLES", "1"),
        ("BILLING_CYCLES_LEFT", ""),
        ("CURRENT_BILLING_CYCLE", "1"),
        ("NEXT_RENEWAL_DATE", expiration if renews else ""),
        ("NEXT_RENEWAL_PRICE", f"{price:.2f}" if renews and price is not None else ""),
        ("NEXT_RENEWAL_CURRENCY", str(subscription["NextRenewalPriceCurrency"] or "").upper() if renews else ""),
        ("NEXT_RENEWAL_PRICE_TYPE", "NET" if renews and price is not None else ""),
        *_renewal_card(card),
        ("PARTNER_CODE", subscription["PartnerCode"] or ""),
        ("AFFILIATE_ID", "0"),
        ("PSKU", subscription["SKU"] or ""),
        ("ACTIVATION_CODE", _activation_code(subscription)),
        ("STATUS", status),
        ("EXPIRED", "1" if status == "EXPIRED" else "0"),
        ("TIMEZONE_OFFSET", "GMT+00:00"),
        ("LICENSE_GRACE_PERIOD", "0"),
        ("LICENSE_BILLING_TYPE", "PREPAID"),
        ("ACTION_AFTER_CYCLES", "NONE"),
        ("USAGE_BILLING_DATE", ""),
        ("USAGE_STATUS", ""),
        ("LATEST_REPORTED_USAGE_DATE", ""),
        ("COUNTRY_CODE", country),
        ("END_USER_LANGUAGE", end_user["Language"] or ""),
        ("DISPATCH_REASON", reason),
        ("LAST_ORDER_REFERENCE", order),
        ("ORIGINAL_ORDER_REFERENCE", order),
        ("LICENSE_PRODUCT_CODE", product["ProductCode"] or ""),
        ("LCN_LICENSE_ADDITIONAL_INFO_CUSTOM_VALUE", ""),
        ("PAUSE_START_DATE", ""),
        ("PAUSE_END_DATE", ""),
        ("PAUSE_REASON", ""),
        ("RENEWALS_NUMBER", "0"),
        ("UPGRADES_NUMBER", "0"),
        ("IS_TRIAL", "1" if subscription["IsTrial"] else "0"),
        ("MERCHANT_DEAL_AUTO_RENEWAL", ""),
        ("CLIENT_DEAL_AUTO_RENEWAL", ""),
    ]


def _activation_code(subscription: SubscriptionRecord) -> str:
    delivered = subscription["DeliveryInfo"]
    codes = delivered["Codes"] if delivered else []
    return str(codes[0]["Code"] or "") if codes else ""


def _renewal_card(card: Mapping[str, Any]) -> Fields:
    """The NEXT_RENEWAL_PAYMETHOD… fields: the card the subscription renews with, if any."""
    if not card.get("LastDigits"):
        return [(name, "") for name in (
            "NEXT_RENEWAL_PAYMETHOD", "NEXT_RENEWAL_PAYMETHOD_CODE", "NEXT_RENEWAL_CARD_LAST_DIGITS",
            "NEXT_RENEWAL_CARD_TYPE", "NEXT_RENEWAL_CARD_EXPIRATION_DATE",
        )]  # fmt: skip
    month, year = card.get("ExpirationMonth"), str(card.get("ExpirationYear") or "")
    expiry = f"{int(month):02d}/{'20' + year if len(year) == 2 else year}" if month and year else ""
    return [
        ("NEXT_RENEWAL_PAYMETHOD", "Visa/MasterCard"),
        ("NEXT_RENEWAL_PAYMETHOD_CODE", "CCVISAMC"),
        ("NEXT_RENEWAL_CARD_LAST_DIGITS", str(card["LastDigits"])),
        ("NEXT_RENEWAL_CARD_TYPE", str(card.get("CardType") or "").lower()),
        ("NEXT_RENEWAL_CARD_EXPIRATION_DATE", expiry),
    ]
