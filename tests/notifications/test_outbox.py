"""The outbox: which changes write which notification, with which fields, in the change's own
transaction (twoco.domains.notifications.outbox), on both stores. No server here: what the
deliveries do with them is test_deliveries.py's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.orders.orders_env import add_product, catalogue_order, dynamic_order, session_now, settle
from tests.orders.test_catalogue_items import WITH_OPTIONS
from tests.service_env import Env, error_of, new_customer
from twoco.domains.notifications.ipn import EVENTS
from twoco.domains.notifications.records import Notification
from twoco.domains.notifications.sandbox import set_notification_settings
from twoco.domains.notifications.signatures import hmac_hex, signed_values
from twoco.domains.orders.sandbox import act_on_order

RECORDS = Path(__file__).parent / "records"
# The LCN's fields in the order of reference §2.3 (the docs' table, completed from a public schema).
LCN_NAMES = """FIRST_NAME LAST_NAME COMPANY EMAIL PHONE FAX COUNTRY STATE CITY ZIP ADDRESS LICENSE_CODE
EXPIRATION_DATE_TIME EXPIRATION_DATE DATE_UPDATED AVANGATE_CUSTOMER_REFERENCE EXTERNAL_CUSTOMER_REFERENCE
TEST CHANGED_BY LICENSE_TYPE DISABLED RECURRING LICENSE_PRODUCT START_DATE START_DATE_TIME PURCHASE_DATE
PURCHASE_DATE_TIME LICENSE_LIFETIME BILLING_CYCLES CONTRACT_CYCLES BILLING_CYCLES_LEFT CURRENT_BILLING_CYCLE
NEXT_RENEWAL_DATE NEXT_RENEWAL_PRICE NEXT_RENEWAL_CURRENCY NEXT_RENEWAL_PRICE_TYPE NEXT_RENEWAL_PAYMETHOD
NEXT_RENEWAL_PAYMETHOD_CODE NEXT_RENEWAL_CARD_LAST_DIGITS NEXT_RENEWAL_CARD_TYPE NEXT_RENEWAL_CARD_EXPIRATION_DATE
PARTNER_CODE AFFILIATE_ID PSKU ACTIVATION_CODE STATUS EXPIRED TIMEZONE_OFFSET LICENSE_GRACE_PERIOD
LICENSE_BILLING_TYPE ACTION_AFTER_CYCLES USAGE_BILLING_DATE USAGE_STATUS LATEST_REPORTED_USAGE_DATE
COUNTRY_CODE END_USER_LANGUAGE DISPATCH_REASON LAST_ORDER_REFERENCE ORIGINAL_ORDER_REFERENCE
LICENSE_PRODUCT_CODE LCN_LICENSE_ADDITIONAL_INFO_CUSTOM_VALUE PAUSE_START_DATE PAUSE_END_DATE PAUSE_REASON
RENEWALS_NUMBER UPGRADES_NUMBER IS_TRIAL MERCHANT_DEAL_AUTO_RENEWAL CLIENT_DEAL_AUTO_RENEWAL""".split()


def outbox(env: Env) -> list[Notification]:
    """Every notification written, oldest first."""
    with env.store.transaction(write=False):
        found, _ = env.store.notifications({}, 500)
    return list(reversed(found))


def events(env: Env) -> list[tuple[str, str, str]]:
    return [(n.kind, n.reference, n.event) for n in outbox(env)]


def recorded_names(name: str) -> list[str]:
    fields = json.loads((RECORDS / name).read_text())
    return [f"{field}[]" if isinstance(value, list) else field for field, value in fields]


def placed(env: Env, order: dict | None = None) -> str:
    session = session_now(env, "6.0")
    answer = session("placeOrder", order or dynamic_order())
    return str(answer["RefNo"])


def test_a_completed_test_order_writes_its_ipns_and_its_subscriptions_lcn(env: Env) -> None:
    settle(env, "immediate")
    ref_no = placed(env)
    written = outbox(env)
    assert [(n.kind, n.event) for n in written] == [
        ("IPN", "PAYMENT_AUTHORIZED"),
        ("LCN", "LICENCE_CHANGE"),
        ("IPN", "COMPLETE"),
    ]
    complete = dict(written[2].fields)
    assert complete["REFNO"] == ref_no
    assert (complete["ORDERSTATUS"], complete["MESSAGE_TYPE"], complete["TEST_ORDER"]) == ("COMPLETE", "COMPLETE", "1")
    assert complete["COUNTRY"] == "United States of America" and complete["COUNTRY_CODE"] == "us"
    assert complete["IPN_TOTALGENERAL"] == "100.00" and complete["CURRENCY"] == "USD"
    assert complete["FRAUD_STATUS"] == "APPROVED" and complete["GATEWAY_RESPONSE"] == "Approved"
    lcn = dict(written[1].fields)
    assert complete["IPN_LICENSE_REF[]"] == [lcn["LICENSE_CODE"]]
    assert lcn["CHANGED_BY"] == "CUSTOMER" and lcn["LAST_ORDER_REFERENCE"] == ref_no
    assert lcn["NEXT_RENEWAL_CARD_LAST_DIGITS"] == "1111" and lcn["NEXT_RENEWAL_CARD_EXPIRATION_DATE"] == "12/2044"
    assert complete["IPN_LICENSE_EXP[]"] == [f"{lcn['EXPIRATION_DATE']} {complete['COMPLETE_DATE'][11:]}"]
    assert lcn["PURCHASE_DATE_TIME"] == complete["IPN_LICENSE_START[]"][0] == complete["COMPLETE_DATE"]
    assert all(n.test for n in written)
    # Unsent: the merchant has no URL; recorded all the same, with what would have gone.
    assert {(n.state, n.url, n.due_at) for n in written} == {("unsent", None, None)}


def test_the_ipn_carries_2checkouts_fields_in_2checkouts_order(env: Env) -> None:
    settle(env, "immediate")
    placed(env)
    names = [name for name, _ in outbox(env)[0].fields]
    assert names[:-2] == recorded_names("ipn-2021-pending.json")[:-1]  # the 2021 IPN's, without its HASH
    assert names[-2:] == ["SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256"]  # a new merchant's algorithms
    newer = [name for name in recorded_names("ipn-2023-complete.json") if not name.startswith(("HASH", "SIGNATURE"))]
    assert [name for name in names if name in newer] == newer  # the 2023 IPN's, in its order


def test_the_lcn_carries_its_fields_in_the_documented_order(env: Env) -> None:
    settle(env, "immediate")
    placed(env)
    lcn = outbox(env)[1]
    assert [name for name, _ in lcn.fields] == [*LCN_NAMES, "SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256"]
    assert all(isinstance(value, str) for _, value in lcn.fields)  # flat: no arrays


def test_the_signatures_are_hmacs_of_the_values_with_the_merchants_secret_key(env: Env) -> None:
    settle(env, "immediate")
    set_notification_settings(env.service.context, env.a.merchant_id, {"algorithms": ["md5", "sha256", "sha3-256"]})
    placed(env)
    for notification in outbox(env):
        fields = dict(notification.fields)
        values = signed_values(notification.fields)
        assert fields["HASH"] == hmac_hex("secret-of-a", "md5", values)
        assert fields["SIGNATURE_SHA2_256"] == hmac_hex("secret-of-a", "sha256", values)
        assert fields["SIGNATURE_SHA3_256"] == hmac_hex("secret-of-a", "sha3-256", values)


def test_a_pending_payment_writes_a_pending_ipn_and_no_subscription_lcn(env: Env) -> None:
    ref_no = placed(env, dynamic_order(PaymentDetails={**dynamic_order()["PaymentDetails"], "Type": "PAYPAL"}))
    assert events(env) == [("IPN", ref_no, "PENDING")]
    ipn = dict(outbox(env)[0].fields)
    assert (ipn["MESSAGE_TYPE"], ipn["PAYMENTDATE"], ipn["FRAUD_STATUS"], ipn["GATEWAY_RESPONSE"]) == (
        "PENDING", "0000-00-00 00:00:00", "PENDING", "",
    )  # fmt: skip
    assert ipn["IPN_LICENSE_REF[]"] == [""] and ipn["PAYMETHOD_CODE"] == "PAYPAL"


def test_a_refused_order_writes_nothing(env: Env) -> None:
    session = session_now(env, "6.0")
    error_of(session, "placeOrder", catalogue_order({"Code": "NO-SUCH-PRODUCT", "Quantity": 1}))
    error_of(session, "placeOrder", dynamic_order(Items=[]))
    assert outbox(env) == []


def test_a_declined_card_leaves_a_pending_order_and_its_pending_ipn(env: Env) -> None:
    declined = dynamic_order()
    declined["PaymentDetails"]["PaymentMethod"]["CardNumber"] = "4000000000000002"  # the sandbox's declined card
    ref_no = placed(env, declined)
    assert events(env) == [("IPN", ref_no, "PENDING")]


@pytest.mark.parametrize("action", ["reverse", "cancel"])
def test_an_order_reversed_or_cancelled_writes_its_ipn(env: Env, action: str) -> None:
    settle(env, "manual")
    ref_no = placed(env)
    act_on_order(env.service.context, env.a.merchant_id, int(ref_no), action)
    status = {"reverse": "REVERSED", "cancel": "CANCELED"}[action]
    assert events(env) == [("IPN", ref_no, "PAYMENT_AUTHORIZED"), ("IPN", ref_no, status)]
    assert dict(outbox(env)[-1].fields)["FRAUD_STATUS"] == ("DENIED" if action == "reverse" else "PENDING")


def test_each_refund_writes_a_refund_ipn_with_its_type(env: Env) -> None:
    settle(env, "immediate")
    add_product(env.a, "ENGINE")
    session = session_now(env, "6.0")
    ref_no = str(session("placeOrder", catalogue_order({"Code": "ENGINE", "Quantity": 2}))["RefNo"])
    total = session("getOrder", ref_no)["GrossPrice"]
    assert session("issueRefund", ref_no, round(total / 2, 2), None, "half", "Other") is True
    assert session("issueRefund", ref_no, round(total / 2, 2), None, "the rest", "Other") is True
    refunds = [dict(n.fields) for n in outbox(env) if n.event == "REFUND"]
    assert [(f["ORDERSTATUS"], f["REFUND_TYPE"]) for f in refunds] == [("REFUND", "PARTIAL"), ("REFUND", "PARTIAL")]


def test_a_total_refund_says_total(env: Env) -> None:
    settle(env, "immediate")
    ref_no = placed(env)
    session = session_now(env, "6.0")
    assert session("issueRefund", ref_no, 100.0, None, "all", "Other") is True
    assert dict(outbox(env)[-1].fields)["REFUND_TYPE"] == "TOTAL"


def imported(env: Env, session) -> str:
    customer = new_customer(session)
    subscription = {
        "AvangateCustomerReference": customer,
        "ExternalSubscriptionReference": "IMPORTED-1",
        "StartDate": "2026-06-01",
        "ExpirationDate": "2027-06-01",
        "RecurringEnabled": True,
        "Product": {"ProductCode": "IMPORTED", "ProductId": 1234567, "ProductName": "Imported", "ProductQuantity": 1},
        "EndUser": {
            "FirstName": "Jürgen", "LastName": "Müller", "Email": "j@example.com", "CountryCode": "DE",
            "City": "Köln", "Address1": "Domplatz 1", "Zip": "50667", "Language": "de",
        },
    }  # fmt: skip
    return str(session("addSubscription", subscription, 1))


def test_each_subscription_change_writes_one_lcn_by_the_vendor(env: Env) -> None:
    session = session_now(env, "6.0")
    reference = imported(env, session)
    session("updateSubscriptionEndUser", reference, {"City": "Bonn"})
    session("updateSubscription", {"SubscriptionReference": reference, "ExpirationDate": "2027-12-31"})
    session("updateSubscription", {"SubscriptionReference": reference, "RecurringEnabled": False})
    session("cancelSubscription", reference)
    session("enableSubscription", reference)
    other = new_customer(session, ExternalCustomerReference="OTHER")
    session("setSubscriptionCustomer", reference, other, None)
    written = outbox(env)
    assert [(n.kind, n.reference, n.event) for n in written] == [("LCN", reference, "LICENCE_CHANGE")] * 7
    fields = [dict(n.fields) for n in written]
    assert {f["CHANGED_BY"] for f in fields} == {"VENDOR"}
    assert [f["CITY"] for f in fields[:2]] == ["Köln", "Bonn"]
    assert fields[2]["EXPIRATION_DATE"] == "2027-12-31" and fields[2]["NEXT_RENEWAL_DATE"] == "2027-12-31"
    assert fields[3]["RECURRING"] == "0" and fields[3]["NEXT_RENEWAL_DATE"] == ""
    assert (fields[4]["DISABLED"], fields[4]["STATUS"]) == ("1", "CANCELED")
    assert (fields[5]["DISABLED"], fields[5]["STATUS"]) == ("0", "ACTIVE")
    assert (
        fields[6]["AVANGATE_CUSTOMER_REFERENCE"] == str(other) and fields[6]["EXTERNAL_CUSTOMER_REFERENCE"] == "OTHER"
    )
    assert fields[0]["TEST"] == "1" and fields[0]["COUNTRY"] == "Germany"


def test_a_change_that_changes_nothing_writes_nothing(env: Env) -> None:
    session = session_now(env, "6.0")
    reference = imported(env, session)
    before = len(outbox(env))
    session("updateSubscriptionEndUser", reference, {"City": "Köln"})
    session("enableSubscription", reference)
    session("updateSubscription", {"SubscriptionReference": reference, "ExpirationDate": "2027-06-01"})
    assert len(outbox(env)) == before


def test_a_customer_update_writes_lcns_only_with_the_end_user_push(env: Env) -> None:
    session = session_now(env, "6.0")
    reference = imported(env, session)
    owner = session("getSubscription", reference)["AvangateCustomerReference"]
    customer = session("getCustomerInformation", owner, None)
    before = len(outbox(env))
    session("updateCustomerInformation", {**customer, "City": "Graz"}, False)
    assert len(outbox(env)) == before  # as at 2Checkout: a customer's own change sends nothing
    session("updateCustomerInformation", {**customer, "City": "Linz"}, True)
    pushed = outbox(env)[before:]
    assert [(n.kind, n.reference) for n in pushed] == [("LCN", reference)]
    assert dict(pushed[0].fields)["CITY"] == "Linz"


def test_a_merchant_with_urls_gets_its_notifications_due_now(env: Env) -> None:
    set_notification_settings(
        env.service.context,
        env.a.merchant_id,
        {"ipn_url": "http://127.0.0.1:9/ipn", "lcn_url": "http://127.0.0.1:9/lcn"},
    )
    settle(env, "immediate")
    placed(env)
    written = outbox(env)
    assert {(n.kind, n.url) for n in written} == {("IPN", "http://127.0.0.1:9/ipn"), ("LCN", "http://127.0.0.1:9/lcn")}
    assert {(n.state, n.due_at) for n in written} == {("pending", env.clock.now())}


def test_the_other_merchants_changes_are_not_in_its_outbox(env: Env) -> None:
    settle(env, "immediate")
    placed(env)
    with env.store.transaction(write=False):
        theirs, count = env.store.notifications({"merchant_id": env.b.merchant_id}, 50)
    assert (theirs, count) == ([], 0)


def test_every_order_status_the_ipn_names_is_2checkouts() -> None:
    assert {status for status, _ in EVENTS.values()} == {
        "PENDING", "PAYMENT_AUTHORIZED", "COMPLETE", "REFUND", "REVERSED", "CANCELED"
    }  # fmt: skip


def test_a_product_bought_with_options_names_each_value_chosen(env: Env) -> None:
    """As the 2021 IPN of the Python SDK's example: TEXT "Name LR", VALUE its hash, PRICE "7.00"."""
    settle(env, "immediate")
    option = {"Name": "OPT1", "Options": [{"Name": "Name LR", "Value": "Value LR", "Surcharge": 7}]}
    order = dynamic_order()
    order["Items"][0]["PriceOptions"] = [option]  # type: ignore[index]
    placed(env, order)
    fields = outbox(env)[-1].fields
    named = dict(fields)
    product = named["IPN_PID[]"][0]
    prefix = f"IPN_PRODUCT_OPTIONS_{product}"
    assert named[f"{prefix}_TEXT[]"] == ["Name LR"]
    assert named[f"{prefix}_VALUE[]"] == named[f"{prefix}_OPTIONAL_VALUE[]"] == [hashlib.md5(b"Value LR").hexdigest()]
    assert (named[f"{prefix}_PRICE[]"], named[f"{prefix}_OPERATOR[]"], named[f"{prefix}_USAGE[]"]) == (
        ["7.00"], ["ADD"], ["PREPAID"],
    )  # fmt: skip
    names = [name for name, _ in fields]
    assert names.index(f"{prefix}_TEXT[]") == names.index("REFUND_TYPE") + 1  # where the record puts them
    assert names.index(f"{prefix}_USAGE[]") + 1 == names.index("CHARGEBACK_RESOLUTION")


def test_a_catalogue_product_bought_with_an_option_names_the_option_chosen(env: Env) -> None:
    settle(env, "immediate")
    add_product(env.a, "OPT", PricingConfigurations=WITH_OPTIONS)
    session = session_now(env, "6.0")
    session("placeOrder", catalogue_order({"Code": "OPT", "PriceOptions": ["USERS=ten"]}))
    named = dict(outbox(env)[-1].fields)
    prefix = f"IPN_PRODUCT_OPTIONS_{named['IPN_PID[]'][0]}"
    assert (named[f"{prefix}_TEXT[]"], named[f"{prefix}_VALUE[]"]) == (["ten"], ["ten"])
    assert named["IPN_PRICE[]"] == ["60.00"]  # the option's price is the product's: no surcharge


def test_recurring_billing_switched_off_and_on_writes_an_lcn_each(env: Env) -> None:
    session = session_now(env, "6.0")
    reference = imported(env, session)
    before = len(outbox(env))
    session("disableRecurringBilling", reference, None, None)
    session("disableRecurringBilling", reference, None, None)  # already off: nothing
    session("enableRecurringBilling", reference)
    written = outbox(env)[before:]
    assert [(n.reference, dict(n.fields)["RECURRING"]) for n in written] == [(reference, "0"), (reference, "1")]
