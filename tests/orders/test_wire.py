"""Orders on the wire, with real clients: placeOrder then getOrder over PHP's SoapClient (3.0 and
6.0), suds (3.0-6.0), JSON-RPC and REST 3.0-6.0. REST answers a new order with 201
and its Location before 6.0, 200 on 6.0, the Order's keys in the order 2Checkout's recorded
answers have them (docs: SOAP/REST 3.0's place-order-TEST sample; the .NET SDK's 6.0 README);
issueRefund takes REST's lower-case body; searchOrders takes its filters in the query string;
zeep (6.0) reads orders."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import zeep
from zeep.helpers import serialize_object

from tests.clients import Fault, PhpClient, now_utc
from tests.clients.api import PROTOCOLS, Api, RestApi
from tests.orders.orders_env import card_payment, catalogue_order, dynamic_order, product_data
from twoco.core.auth import login_hash

# SOAP 3.0's recorded placeOrder answer (place-order-TEST.php), REST 3.0's the same.
RECORDED_3_0 = [
    "RefNo", "OrderNo", "ExternalReference", "ShopperRefNo", "Status", "ApproveStatus", "VendorApproveStatus",
    "Language", "OrderDate", "FinishDate", "Source", "AffiliateSource", "AffiliateId", "AffiliateName",
    "AffiliateUrl", "RecurringEnabled", "HasShipping", "BillingDetails", "DeliveryDetails", "PaymentDetails",
    "CustomerDetails", "Origin", "AvangateCommission", "OrderFlow", "GiftDetails", "PODetails", "ExtraInformation",
    "PartnerCode", "PartnerMargin", "PartnerMarginPercent", "ExtraMargin", "ExtraMarginPercent", "ExtraDiscount",
    "ExtraDiscountPercent", "LocalTime", "TestOrder", "Errors", "Items", "Promotions", "AdditionalFields",
    "Currency", "NetPrice", "GrossPrice", "NetDiscountedPrice", "GrossDiscountedPrice", "Discount", "VAT",
    "AffiliateCommission",
]  # fmt: skip
RECORDED_ITEM_3_0 = [
    "ProductDetails", "PriceOptions", "Price", "Code", "Quantity", "SKU", "CrossSell", "Trial", "AdditionalFields",
    "Promotion",
]  # fmt: skip
RECORDED_BILLING_3_0 = [
    "FiscalCode", "Phone", "FirstName", "LastName", "Company", "Email", "Address1", "Address2", "City", "Zip",
    "CountryCode", "State",
]  # fmt: skip
# REST 6.0's recorded placeOrder answer (2Checkout's .NET SDK README, 2022).
RECORDED_6_0 = [
    "RefNo", "OrderNo", "ExternalReference", "ShopperRefNo", "Status", "ApproveStatus", "VendorApproveStatus",
    "MerchantCode", "Language", "OrderDate", "FinishDate", "Source", "WSOrder", "Affiliate", "HasShipping",
    "BillingDetails", "DeliveryDetails", "PaymentDetails", "DeliveryInformation", "CustomerDetails", "Origin",
    "AvangateCommission", "OrderFlow", "GiftDetails", "PODetails", "ExtraInformation", "PartnerCode",
    "PartnerMargin", "PartnerMarginPercent", "ExtraMargin", "ExtraMarginPercent", "ExtraDiscount",
    "ExtraDiscountPercent", "LocalTime", "TestOrder", "FxRate", "FxMarkup", "PayoutCurrency", "DeliveryFinalized",
    "Errors", "Items", "Promotions", "AdditionalFields", "Currency", "NetPrice", "GrossPrice", "NetDiscountedPrice",
    "GrossDiscountedPrice", "Discount", "VAT", "AffiliateCommission", "CustomParameters", "Refunds",
]  # fmt: skip
# The recorded 6.0 item (a dynamic one) has no Code; twoco answers it (null for a dynamic item) where 3.0 has it.
RECORDED_ITEM_6_0 = [
    "ProductDetails", "PriceOptions", "Price", "LineItemReference", "PurchaseType", "ExternalReference", "Quantity",
    "SKU", "CrossSell", "Trial", "AdditionalFields", "Promotion", "RecurringOptions", "SubscriptionStartDate",
    "SubscriptionCustomSettings", "UpSell",
]  # fmt: skip
RECORDED_PRODUCT_DETAILS_6_0 = [
    "Name", "ShortDescription", "Tangible", "IsDynamic", "ExtraInfo", "RenewalStatus", "Subscriptions",
    "DeliveryInformation",
]  # fmt: skip
RECORDED_PRICE_6_0 = [
    "UnitNetPrice", "UnitGrossPrice", "UnitVAT", "UnitDiscount", "UnitNetDiscountedPrice", "UnitGrossDiscountedPrice",
    "UnitAffiliateCommission", "ItemUnitNetPrice", "ItemUnitGrossPrice", "ItemNetPrice", "ItemGrossPrice",
    "VATPercent", "HandlingFeeNetPrice", "HandlingFeeGrossPrice", "Currency", "NetPrice", "GrossPrice",
    "NetDiscountedPrice", "GrossDiscountedPrice", "Discount", "VAT", "AffiliateCommission",
]  # fmt: skip
VERSIONS = ("3.0", "4.0", "5.0", "6.0")


def sample_order(version: str, code: str, catalogue: bool = False) -> dict:
    """What each version's samples send: before 6.0 a catalogue item and a card without 5.0's 3-D
    Secure addresses before 5.0 (dynamic items are 6.0's: strict SOAP clients have no PurchaseType
    before), on 6.0 the SDKs' dynamic order."""
    if version == "6.0" and not catalogue:
        return dynamic_order()
    order = catalogue_order({"Code": code, "Quantity": 1})
    if version in ("3.0", "4.0"):
        for name in ("Vendor3DSReturnURL", "Vendor3DSCancelURL"):
            del order["PaymentDetails"]["PaymentMethod"][name]  # type: ignore[index]
    return order


class Rest:
    """REST requests as they go, status and headers kept (tests.clients.api.RestApi signs them)."""

    def __init__(self, app_server, merchant, version: str) -> None:
        self.api = RestApi(app_server.base_url, merchant.code, merchant.secret, version)

    def __call__(self, method: str, path: str, query: dict | None = None, body: object = None):
        url = path + (f"?{urlencode(query)}" if query else "")
        return self.api.http.request(method, url, headers=self.api.headers(), json=body)


PRICED_AT_100 = [
    {
        "Default": True,
        "PricingSchema": "FLAT",
        "PriceType": "NET",
        "DefaultCurrency": "EUR",
        "Prices": {"Regular": [{"Amount": 100, "Currency": "EUR"}], "Renewal": []},
    }
]


@pytest.fixture
def waiting(store, merchant) -> None:
    """The merchant's authorised orders wait to be completed by hand: reads find them as placed."""
    store.set_merchant_settings(store.merchant(merchant.code).id, {"orders": {"completion": "manual"}})


@pytest.fixture
def immediate(store, merchant) -> None:
    """The merchant's orders complete at once (issueRefund needs a COMPLETE order)."""
    store.set_merchant_settings(store.merchant(merchant.code).id, {"orders": {"completion": "immediate"}})


# --- REST -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_rest_place_and_get(app_server, merchant, waiting, version: str) -> None:
    rest = Rest(app_server, merchant, version)
    assert rest("POST", "/products/", body=product_data("WIRE")).status_code in (200, 201)
    placed = rest("POST", "/orders/", body=sample_order(version, "WIRE"))
    order = placed.json()
    if version == "6.0":
        assert placed.status_code == 200 and "location" not in placed.headers
    else:
        assert placed.status_code == 201, order
        assert placed.headers["location"].endswith(f"/rest/{version}/orders/{order['RefNo']}/")
    assert (order["Status"], order["TestOrder"]) == ("AUTHRECEIVED", True)
    (item,) = order["Items"]
    if version == "6.0":
        assert list(order) == RECORDED_6_0
        assert [key for key in item if key != "Code"] == RECORDED_ITEM_6_0
        assert list(item["ProductDetails"]) == RECORDED_PRODUCT_DETAILS_6_0
        assert list(item["Price"]) == RECORDED_PRICE_6_0
        assert list(order["BillingDetails"]) == ["FiscalCode", "TaxOffice", *RECORDED_BILLING_3_0[1:]]
        assert order["PaymentDetails"]["PaymentMethod"]["ExpirationYear"] == "44"
    else:
        assert list(order) == RECORDED_3_0
        assert list(item) == RECORDED_ITEM_3_0
        assert list(item["ProductDetails"]) == ["Name", "ExtraInfo", "RenewalStatus", "Subscriptions"]
        assert list(order["BillingDetails"]) == RECORDED_BILLING_3_0
        # What was not sent, as REST 3.0's record answers it: null, but "" for the address lines.
        assert (order["BillingDetails"]["Phone"], order["BillingDetails"]["Address2"]) == (None, "")
        method = order["PaymentDetails"]["PaymentMethod"]
        assert "ExpirationMonth" not in method and (method["FirstDigits"], method["LastDigits"]) == ("4111", "1111")
        assert ("Vendor3DSReturnURL" in method) is (version == "5.0")
    got = rest("GET", f"/orders/{order['RefNo']}/")
    assert got.status_code == 200 and got.json() == order
    assert list(got.json()) == list(order)


def test_rest_3_0_card_orders_send_their_expiry(app_server, merchant) -> None:
    """3.0's samples send ExpirationMonth and ExpirationYear, which only 6.0 answers: every version takes them."""
    rest = Rest(app_server, merchant, "3.0")
    rest("POST", "/products/", body=product_data("EXPIRY"))
    payment = {
        "Type": "TEST",
        "Currency": "EUR",
        "PaymentMethod": {
            "CardType": "visa", "CardNumber": "4111111111111111", "CCID": "123", "ExpirationMonth": "10",
            "ExpirationYear": "2030", "HolderName": "John Doe",
        },
    }  # fmt: skip
    placed = rest("POST", "/orders/", body=catalogue_order({"Code": "EXPIRY"}, PaymentDetails=payment))
    assert placed.status_code == 201, placed.json()
    assert placed.json()["Status"] == "AUTHRECEIVED"


@pytest.mark.parametrize("version", ["3.0", "6.0"])
def test_rest_errors(app_server, merchant, version: str) -> None:
    rest = Rest(app_server, merchant, version)
    empty = rest("POST", "/orders/", body=dynamic_order(Items=[]))
    assert empty.status_code == 400
    assert empty.json() == {"error_code": "ORDER_PRODUCTS_EMPTY", "message": "No products have been provided."}
    missing = rest("GET", "/orders/123456789/")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "ORDER_NOT_FOUND")


@pytest.mark.parametrize("version", ["4.0", "6.0"])
def test_rest_issue_refund_with_the_lower_case_body(app_server, merchant, immediate, version: str) -> None:
    rest = Rest(app_server, merchant, version)
    if version == "6.0":
        order = rest("POST", "/orders/", body=dynamic_order()).json()
    else:  # dynamic items are 6.0's: a catalogue item of the same price
        rest("POST", "/products/", body=product_data("REFUND", PricingConfigurations=PRICED_AT_100))
        order = rest("POST", "/orders/", body=catalogue_order({"Code": "REFUND", "Quantity": 1})).json()
    assert order["Status"] == "COMPLETE", order
    (item,) = order["Items"]
    if version == "6.0":
        partial = {
            "amount": 40,
            "comment": "one part",
            "reason": "Other",
            "items": [{"Quantity": "1", "LineItemReference": item["LineItemReference"], "Amount": 40}],
        }
        answer = rest("POST", f"/orders/{order['RefNo']}/refund/", body=partial)
        assert (answer.status_code, answer.json()) == (200, True)
    rest_of_it = {"amount": 100 - (40 if version == "6.0" else 0), "comment": "the rest", "reason": "Other"}
    # (the partial refund above names the item in 6.0's way: LineItemReference is 6.0's)
    answer = rest("POST", f"/orders/{order['RefNo']}/refund/", body=rest_of_it)
    assert (answer.status_code, answer.json()) == (200, True)
    refunded = rest("GET", f"/orders/{order['RefNo']}/").json()
    assert refunded["Status"] == "REFUND"
    if version == "6.0":
        assert [(r["Amount"], r["Comment"]) for r in refunded["Refunds"]] == [(40, "one part"), (60, "the rest")]
        assert refunded["Refunds"][0]["Items"][0]["Quantity"] == 1
    else:
        assert "Refunds" not in refunded
    over = rest("POST", f"/orders/{order['RefNo']}/refund/", body={"amount": 1, "comment": "c", "reason": "Other"})
    assert over.status_code == 400
    assert over.json()["error_code"] == "REFUND_NOT_ALLOWED"
    assert over.json()["message"] == (
        "The maximum refundable amount for this order has been exceeded."
        if version == "6.0"  # two partial refunds
        else "You have already placed a Total refund for this order."
    )
    no_reason = rest("POST", f"/orders/{order['RefNo']}/refund/", body={"amount": 1, "comment": "c"})
    assert (no_reason.status_code, no_reason.json()["error_code"]) == (400, "INVALID_PARAMETERS")


@pytest.mark.parametrize("version", ["3.0", "6.0"])
def test_rest_search_orders_with_query_filters(app_server, merchant, version: str) -> None:
    rest = Rest(app_server, merchant, version)
    if version == "3.0":
        rest("POST", "/products/", body=product_data("SEARCHED"))
    refs = [rest("POST", "/orders/", body=sample_order(version, "SEARCHED")).json()["RefNo"] for _ in range(3)]
    declined = {**sample_order(version, "SEARCHED"), "PaymentDetails": card_payment("4000000000000002")}
    if version == "3.0":
        declined["PaymentDetails"]["Currency"] = "EUR"
    pending = rest("POST", "/orders/", body=declined).json()["RefNo"]
    answer = rest("GET", "/orders/", {"Status": "PENDING", "IncludeTestOrders": "YES"})
    assert answer.status_code == 200
    if version == "6.0":
        body = answer.json()
        assert [o["RefNo"] for o in body["Items"]] == [pending]
        assert body["Pagination"] == {"Page": 1, "Limit": 10, "Count": 1} or body["Pagination"]["Count"] == 1
        page = rest("GET", "/orders/", {"Page": 2, "Limit": 2, "IncludeTestOrders": "ONLY"}).json()
        assert page["Pagination"]["Count"] == 4 and len(page["Items"]) == 2
        assert [o["RefNo"] for o in page["Items"]] == refs[:2][::-1]
    else:
        assert [o["RefNo"] for o in answer.json()] == [pending]
        listed = rest("GET", "/orders/", {"IncludeTestOrders": "NO"}).json()
        assert listed == []
    bad = rest("GET", "/orders/", {"StartDate": "yesterday"})
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_FIELD_VALUE")


# --- JSON-RPC and suds, every version -------------------------------------------------------


@pytest.fixture(params=[f"{kind}-{version}" for kind in ("jsonrpc", "soap") for version in VERSIONS])
def api(request: pytest.FixtureRequest, app_server, merchant) -> Iterator[Api]:
    opened = PROTOCOLS[request.param](app_server.base_url, merchant.code, merchant.secret)
    yield opened
    opened.close()


def test_place_and_get_over_json_rpc_and_suds(api: Api, waiting) -> None:
    assert api.call("addProduct", product_data("RPC")) is True
    order = api.call("placeOrder", sample_order(api.version, "RPC"))
    assert order["Status"] == "AUTHRECEIVED" and order["RefNo"].isdigit()
    assert list(order) == (RECORDED_6_0 if api.version == "6.0" else RECORDED_3_0)
    assert api.call("getOrder", order["RefNo"]) == order
    with pytest.raises(Fault) as caught:
        api.call("getOrder", "123456789")
    assert caught.value.code == "ORDER_NOT_FOUND"
    with pytest.raises(Fault) as caught:
        api.call("placeOrder", sample_order(api.version, "NOPE", catalogue=True))
    assert caught.value.code == "ORDER_PRODUCT_CODE_INVALID"


def test_refund_and_search_over_json_rpc_and_suds(api: Api, immediate) -> None:
    api.call("addProduct", product_data("RPCR"))
    order = api.call("placeOrder", sample_order(api.version, "RPCR", catalogue=True))
    assert order["Status"] == "COMPLETE"
    assert order["Items"][0]["ProductDetails"]["Subscriptions"][0]["SubscriptionReference"]
    assert api.call("issueRefund", order["RefNo"], 99.5, None, "all of it", "Duplicate purchase") is True
    found = api.call("searchOrders", {"Status": "REFUND"})
    orders = found["Items"] if api.version in ("5.0", "6.0") else found
    assert [o["RefNo"] for o in orders] == [order["RefNo"]]


# --- PHP's SoapClient and zeep, on a real server ---------------------------------------------


@pytest.mark.parametrize("version", ["3.0", "6.0"])
def test_php_soap_client_places_and_gets(server, merchant, waiting, version: str) -> None:
    php = PhpClient(server.base_url, version)
    session = php.login(merchant.code, merchant.secret, "sha256")
    assert php.call("addProduct", session, product_data("PHP")) is True
    order = php.call("placeOrder", session, sample_order(version, "PHP"))
    assert (order["Status"], order["ApproveStatus"], order["TestOrder"]) == ("AUTHRECEIVED", "WAITING", True)
    assert list(order) == (RECORDED_6_0 if version == "6.0" else RECORDED_3_0)  # json_encode of the stdClass
    assert order["PaymentDetails"]["PaymentMethod"]["LastDigits"] == "1111"
    if version == "6.0":
        assert order["Items"][0]["PriceOptions"] == [] and order["Items"][0]["Price"]["GrossPrice"] == 100
    else:
        assert order["RefNo"].isdigit() and order["Items"][0]["Code"] == "PHP"
        assert order["BillingDetails"]["CountryCode"] == "ro"
    assert php.call("getOrder", session, order["RefNo"]) == order


def test_zeep_reads_orders_on_6_0(server, merchant, waiting) -> None:
    """zeep reads what another client placed (zeep writes no SOAP-encoded array, such as Items)."""
    rest = RestApi(server.base_url, merchant.code, merchant.secret, "6.0")
    placed = rest.http.post("/orders/", headers=rest.headers(), json=dynamic_order(ExternalReference="ZEEP")).json()
    rest.close()
    client = zeep.Client(f"{server.base_url}/soap/6.0/?wsdl")
    date = now_utc()
    digest = login_hash(merchant.secret, merchant.code, date, "sha256")
    session = client.service.login(merchant.code, date, digest, "sha256")
    order = serialize_object(client.service.getOrder(session, placed["RefNo"]), dict)
    # zeep's object has every field of the WSDL's Order: what requests alone send comes last, nil.
    assert list(order)[: len(RECORDED_6_0)] == RECORDED_6_0
    assert {order[name] for name in list(order)[len(RECORDED_6_0) :]} == {None}
    assert (order["RefNo"], order["Status"], order["GrossPrice"]) == (placed["RefNo"], "AUTHRECEIVED", 100)
    assert order["PaymentDetails"]["PaymentMethod"]["FirstDigits"] == "4111"
    found = serialize_object(client.service.searchOrders(session, {"ExternalRefNo": "ZEEP"}), dict)
    assert found["Pagination"]["Count"] == 1
