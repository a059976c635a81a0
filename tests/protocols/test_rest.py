"""REST specifics: signed requests, references in paths, statuses, the legacy versions."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest

from tests.clients import Fault, now_utc
from tests.clients.api import RestApi
from tests.data import subscription_data
from tests.servers import start_server, stop_server
from twoco.core.auth import login_hash

CUSTOMER = {
    "FirstName": "Ada",
    "LastName": "L",
    "Address1": "1",
    "City": "London",
    "Zip": "N1",
    "CountryCode": "gb",
    "Email": "a@l.uk",
}


def signed(merchant, algo: str | None = "sha256", secret: str | None = None) -> dict[str, str]:
    date = now_utc()
    digest = login_hash(secret or merchant.secret, merchant.code, date, algo or "md5")
    header = f'code="{merchant.code}" date="{date}" hash="{digest}"' + (f' algo="{algo}"' if algo else "")
    return {"X-Avangate-Authentication": header}


@pytest.fixture
def rest(server, merchant):
    client = RestApi(server.base_url, merchant.code, merchant.secret)
    yield client
    client.close()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Avangate-Authentication": "garbage"},
        {"X-Avangate-Authentication": 'code="X" date="2026-01-01 00:00:00"'},
    ],
)
def test_missing_or_malformed_authentication_is_401(app_server, headers) -> None:
    answer = app_server.get("/rest/6.0/customers/1/", headers=headers)
    assert answer.status_code == 401
    # The message is exactly 2Checkout's (avangate/PHP-REST-API-Client's test compares it); the reason says why.
    assert answer.json()["error_code"] == "AUTHENTICATION_ERROR"
    assert answer.json()["message"] == "Authentication needed for this resource"
    assert "X-Avangate-Authentication" in answer.json()["reason"]


def test_bad_credentials_are_401_whatever_the_path(app_server) -> None:
    """Authentication comes before routing, as 2Checkout's REST client's test expects (401 on any resource)."""
    for method, path in (("GET", "/rest/6.0/currencies/"), ("DELETE", "/rest/6.0/customers/1/")):
        answer = app_server.request(method, path, headers={"X-Avangate-Authentication": "garbage"})
        assert (answer.status_code, answer.json()["message"]) == (401, "Authentication needed for this resource")


@pytest.mark.parametrize("quote", ["'", '"'])
@pytest.mark.parametrize("separator", [" ", "", ", ", ";"])
def test_the_header_is_read_with_either_quote_and_any_separator(app_server, merchant, quote, separator) -> None:
    """2Checkout's Node SDK writes code='…' date='…' hash='…'algo='sha256' (lib/api-auth.js)."""
    date = now_utc()
    digest = login_hash(merchant.secret, merchant.code, date, "sha256")
    values = (("code", merchant.code), ("date", date), ("hash", digest))
    header = separator.join(f"{key}={quote}{value}{quote}" for key, value in values) + f"algo={quote}sha256{quote}"
    answer = app_server.get("/rest/6.0/customers/1/", headers={"X-Avangate-Authentication": header})
    assert (answer.status_code, answer.json()["error_code"]) == (404, "CUSTOMER_NOT_FOUND")


def test_bad_signatures_are_401_with_the_reason(app_server, merchant) -> None:
    wrong_key = app_server.get("/rest/6.0/customers/1/", headers=signed(merchant, secret="wrong"))
    assert (wrong_key.status_code, wrong_key.json()["error_code"]) == (401, "AUTHENTICATION_ERROR")
    assert "wrong hash" in wrong_key.json()["reason"]
    no_algo = app_server.get("/rest/6.0/customers/1/", headers=signed(merchant, algo=None))  # MD5, as old clients sign
    assert no_algo.status_code == 401 and "MD5" in no_algo.json()["reason"]
    sha3 = app_server.get("/rest/6.0/customers/1/", headers=signed(merchant, algo="sha3-256"))
    assert (sha3.status_code, sha3.json()["error_code"]) == (404, "CUSTOMER_NOT_FOUND")


def test_md5_is_accepted_when_allowed(tmp_path, merchant_factory) -> None:
    server = start_server(tmp_path, f"sqlite:///{tmp_path}/md5.sqlite3", "--allow-md5-v6")
    try:
        from twoco.store import open_store

        store = open_store(server.db_url)
        store.add_merchant("OLDCLIENT", "old-secret", "2026-01-01T00:00:00+00:00")
        store.close()

        class Old:
            code, secret = "OLDCLIENT", "old-secret"

        answer = httpx.post(f"{server.base_url}/rest/6.0/customers/", json=CUSTOMER, headers=signed(Old, algo=None))
        assert answer.status_code == 200 and isinstance(answer.json(), int)
    finally:
        stop_server(server)


def test_customer_by_either_reference_in_the_path(rest) -> None:
    reference = rest.request(
        "POST", "/customers/", body={**CUSTOMER, "ExternalCustomerReference": "HotTalks1Customer123"}
    )
    by_internal = rest.request("GET", f"/customers/{reference}/")
    assert rest.request("GET", "/customers/HotTalks1Customer123/") == by_internal
    assert rest.request("GET", f"/customers/{reference}", {"includePaymentData": True}) == by_internal
    numeric_external = rest.request("POST", "/customers/", body={**CUSTOMER, "ExternalCustomerReference": "42"})
    assert rest.request("GET", "/customers/42/")["AvangateCustomerReference"] == numeric_external


def test_update_through_the_path(rest) -> None:
    reference = rest.request("POST", "/customers/", body={**CUSTOMER, "ExternalCustomerReference": "UP-1"})
    assert rest.request("PUT", "/customers/UP-1/", {"UpdateEndUserSubscriptions": "false"}, {"City": "Leeds"}) is True
    assert rest.request("GET", f"/customers/{reference}/")["City"] == "Leeds"
    other = rest.request("POST", "/customers/", body=CUSTOMER)
    with pytest.raises(Fault) as caught:
        rest.request("PUT", "/customers/UP-1/", body={"AvangateCustomerReference": other, "City": "York"})
    assert caught.value.code == "CUSTOMER_REFERENCE_MISMATCH"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/rest/6.0/nowhere/", None, 404, "ENDPOINT_NOT_FOUND"),
        ("DELETE", "/rest/6.0/customers/1/", None, 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/rest/6.0/customers/", b"{not json", 400, "MALFORMED_REQUEST"),
        ("POST", "/rest/6.0/customers/", b"[1, 2]", 400, "INVALID_PARAMETERS"),
        ("POST", "/rest/6.0/customers/", b"", 400, "INVALID_PARAMETERS"),
        ("GET", "/rest/6.0/subscriptions/?AvangateCustomerReference=abc", None, 400, "INVALID_PARAMETERS"),
        ("PUT", "/rest/6.0/customers/1/?UpdateEndUserSubscriptions=maybe", b"{}", 400, "INVALID_PARAMETERS"),
    ],
)
def test_error_statuses(app_server, merchant, method, path, body, status, code) -> None:
    answer = app_server.request(method, path, content=body, headers=signed(merchant))
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)
    if status == 405:
        assert answer.headers["allow"] == "GET, PUT"


def test_the_legacy_rest_client_way(app_server, merchant) -> None:
    """avangate/PHP-REST-API-Client and its samples: base https://api.avangate.com/3.0/, an MD5
    header without algo, POST customers/ answering 200 with the reference (the Ruby sample's recorded
    3.0 output, add-customer.rb), POST subscriptions/ answering 201 with the new subscription's
    Location, which the sample then GETs."""
    date = now_utc()
    digest = login_hash(merchant.secret, merchant.code, date, "md5")
    headers = {"X-Avangate-Authentication": f'code="{merchant.code}" date="{date}" hash="{digest}"'}
    with app_server.http_client("/3.0/", headers=headers) as legacy:
        created = legacy.post("customers/", json=CUSTOMER)
        reference = created.json()
        assert isinstance(reference, int) and created.status_code == 200
        assert "location" not in created.headers
        assert legacy.get(f"customers/{reference}/").json()["CountryCode"] == "gb"
        subscription = {
            "AvangateCustomerReference": reference, "ExternalSubscriptionReference": "LEGACY-1",
            "StartDate": "2015-01-01", "ExpirationDate": "2020-01-01", "Product": {"ProductCode": "P"},
            "EndUser": {"FirstName": "John", "LastName": "Doe", "Email": "john.doe@example.com", "City": "Bucharest",
                        "CountryCode": "GB"},
        }  # fmt: skip
        added = legacy.post("subscriptions/", json=subscription)
        assert added.status_code == 201
        location = added.headers["location"]
        assert location == f"/3.0/subscriptions/{added.json()}/"
        # (Guzzle resolves the Location as RFC 3986 says: an absolute path replaces the base's)
        assert (
            legacy.get(urljoin(f"{app_server.base_url}/3.0/subscriptions/", location)).json()["StartDate"]
            == "2015-01-01"
        )
    for version in ("3.0", "4.0", "5.0"):  # the same at /rest/X.0/
        rest = app_server.post(f"/rest/{version}/customers/", json=CUSTOMER, headers=signed(merchant, algo=None))
        assert (rest.status_code, "location" in rest.headers) == (200, False) and isinstance(rest.json(), int)
        assert (
            app_server.get(f"/rest/{version}/customers/{rest.json()}/", headers=signed(merchant, algo=None)).json()[
                "Email"
            ]
            == CUSTOMER["Email"]
        )
    current = app_server.post("/rest/6.0/customers/", json=CUSTOMER, headers=signed(merchant))
    assert current.status_code == 200 and "location" not in current.headers
    responses = app_server.get("/rest/3.0/openapi.json").json()["paths"]["/customers/"]["post"]["responses"]
    assert "200" in responses and "201" not in responses


def node_sdk_headers(merchant) -> dict[str, str]:
    """What 2Checkout's Node SDK sends (lib/api-auth.js): single quotes, no space before algo."""
    date = now_utc()
    digest = login_hash(merchant.secret, merchant.code, date, "sha256")
    signature = f"code='{merchant.code}' date='{date}' hash='{digest}'algo='sha256'"
    return {"Content-Type": "application/json", "Accept": "application/json", "X-Avangate-Authentication": signature}


def test_disable_and_enable_the_node_sdk_way(app_server, merchant, rest) -> None:
    """examples/testSubscriptions.js: DELETE /rest/6.0/subscriptions/{ref}/ disables, POST to the
    same path enables; each answers the JSON true with 200."""
    owner = rest.call("createCustomer", CUSTOMER)
    reference = rest.call("addSubscription", subscription_data(owner, "NODE-1", RecurringEnabled=True))
    url = f"/rest/6.0/subscriptions/{reference}/"

    def flags() -> tuple[bool, bool]:
        read = rest.request("GET", f"/subscriptions/{reference}/")
        return read["SubscriptionEnabled"], read["RecurringEnabled"]

    disabled = app_server.request("DELETE", url, headers=node_sdk_headers(merchant))
    assert (disabled.status_code, disabled.json()) == (200, True)
    assert flags() == (False, False)
    enabled = app_server.post(url, headers=node_sdk_headers(merchant))
    assert (enabled.status_code, enabled.json()) == (200, True) and "location" not in enabled.headers
    assert flags() == (True, False)
    unknown = app_server.request("DELETE", "/rest/6.0/subscriptions/0123456789/", headers=node_sdk_headers(merchant))
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "SUBSCRIPTION_NOT_FOUND")
    patched = app_server.request("PATCH", url, headers=node_sdk_headers(merchant))
    assert (patched.status_code, patched.headers["allow"]) == (405, "DELETE, GET, POST, PUT")


def test_enable_is_no_creation_on_the_legacy_versions(app_server, merchant) -> None:
    """Before 6.0 a POST to a collection answers 201 and a Location; a POST that enables a
    subscription creates nothing: 200, as on 6.0 (and the OpenAPI documents say so)."""
    for version in ("3.0", "4.0", "5.0"):
        with RestApi(app_server.base_url, merchant.code, merchant.secret, version) as legacy:
            reference = legacy.call(
                "addSubscription", subscription_data(legacy.call("createCustomer", CUSTOMER), f"L-{version}")
            )
            path = f"/rest/{version}/subscriptions/{reference}/"
            assert app_server.request("DELETE", path, headers=signed(merchant, algo=None)).json() is True
            enabled = app_server.post(path, headers=signed(merchant, algo=None))
            assert (enabled.status_code, enabled.json(), "location" in enabled.headers) == (200, True, False)
        paths = app_server.get(f"/rest/{version}/openapi.json").json()["paths"]
        enable = paths["/subscriptions/{SubscriptionReference}/"]["post"]["responses"]
        assert "200" in enable and "201" not in enable and "201" in paths["/subscriptions/"]["post"]["responses"]


# --- the catalogue ---------------------------------------------------------------------

PRODUCT = {
    "ProductCode": "REST-P1",
    "ProductName": "Rest Engine",
    "ProductCategory": False,  # PHP's false for "none", as the recorded answer writes it
    "Translations": {"ES": {"Name": "Motor", "Description": "Calcula"}},  # keyed by language, as JSON writes them
    "PricingConfigurations": [{"Prices": {"Regular": [{"Amount": 10.0, "Currency": "EUR"}]}}],
}


def test_add_product_the_recorded_3_0_way(app_server, merchant) -> None:
    """avangate-ruby-rest-code-samples, add-product-full.rb: "Response status: 201", a Location, "Contents: true";
    then GET products/?Limit=1&Enabled=1&Types[]=REGULAR, as PHP writes an array filter, answers a bare array."""
    headers = signed(merchant, algo=None)
    added = app_server.post("/rest/3.0/products/", json=PRODUCT, headers=headers)
    assert (added.status_code, added.json()) == (201, True)
    location = added.headers["location"]
    assert location == "/rest/3.0/products/REST-P1/"
    product = app_server.get(location, headers=headers).json()
    assert (product["ProductCode"], product["ProductName"], product["ProductCategory"]) == (
        "REST-P1",
        "Rest Engine",
        False,
    )  # fmt: skip  (none, written as the recorded answers write it)
    assert product["Translations"] == {
        "ES": {"LongDescription": None, "TrialUrl": None, "TrialDescription": None, "SystemRequirements": None,
               "Name": "Motor", "Description": "Calcula", "Language": "ES"},
    }  # fmt: skip
    app_server.post("/rest/3.0/products/", json={"ProductCode": "REST-P2", "ProductName": "Two"}, headers=headers)
    app_server.post(
        "/rest/3.0/products/",
        json={"ProductCode": "REST-B", "ProductName": "B", "ProductType": "BUNDLE"},
        headers=headers,
    )
    for query in ("Limit=1&Enabled=1&Types[]=REGULAR", "Limit=1&Enabled=1&Types%5B0%5D=REGULAR"):
        found = app_server.get(f"/rest/3.0/products/?{query}", headers=signed(merchant, algo=None))
        assert found.status_code == 200 and [p["ProductCode"] for p in found.json()] == ["REST-P1"], query
    every = app_server.get("/rest/3.0/products/?Types[]=REGULAR&Types[]=BUNDLE", headers=signed(merchant, algo=None))
    assert [p["ProductCode"] for p in every.json()] == ["REST-P1", "REST-P2", "REST-B"]
    duplicate = app_server.post("/rest/3.0/products/", json=PRODUCT, headers=signed(merchant, algo=None))
    assert (duplicate.status_code, duplicate.json()["error_code"]) == (409, "DUPLICATE_PRODUCT_CODE")
    spaced = {"ProductCode": " REST-SPACED ", "ProductName": "Spaced"}
    added = app_server.post("/rest/3.0/products/", json=spaced, headers=signed(merchant, algo=None))
    assert added.headers["location"] == "/rest/3.0/products/REST-SPACED/"  # the code as stored, trimmed
    assert app_server.get(added.headers["location"], headers=signed(merchant, algo=None)).status_code == 200


def test_products_on_6_0(rest, app_server, merchant) -> None:
    """6.0: a creation answers 200 (no Location); a search one page, {Items, Pagination}."""
    added = app_server.post("/rest/6.0/products/", json=PRODUCT, headers=signed(merchant))
    assert (added.status_code, added.json(), "location" in added.headers) == (200, True, False)
    sent_as_array = {**PRODUCT, "ProductCode": "REST-ARRAY", "Translations": [{"Name": "Moteur", "Language": "FR"}]}
    assert rest.request("POST", "/products/", body=sent_as_array) is True
    translations = rest.request("GET", "/products/REST-ARRAY/")["Translations"]
    assert list(translations) == ["FR"] and translations["FR"]["Name"] == "Moteur"  # an array in, keyed out
    found = rest.request("GET", "/products/", {"Limit": 1, "Enabled": 1, "Types[]": "REGULAR"})
    assert [p["ProductCode"] for p in found["Items"]] == ["REST-P1"]
    assert found["Pagination"] == {"Page": 1, "Limit": 1, "Count": 2}
    # The read product sent back: its keyed Translations are read as they are written.
    product = rest.request("GET", "/products/REST-P1/")
    assert rest.request("PUT", "/products/REST-P1/", body={**product, "ShortDescription": "Changed"}) is True
    assert rest.request("GET", "/products/REST-P1/") == {**product, "ShortDescription": "Changed"}
    with pytest.raises(Fault) as mismatch:
        rest.request("PUT", "/products/REST-P1/", body={"ProductCode": "REST-ARRAY"})
    assert mismatch.value.code == "INVALID_PARAMETERS"
    configurations = rest.request("GET", "/products/REST-P1/pricingconfigurations/")
    assert configurations == product["PricingConfigurations"]
    assert rest.request("GET", "/currencies/") == ["eur", "gbp", "usd"]
    assert rest.request("POST", "/productgroups/", body={"Name": "Rest Group"}) == "RESTGROUP"
    assert [g["Code"] for g in rest.request("GET", "/productgroups/")] == ["GENERAL", "RESTGROUP"]
    with pytest.raises(Fault) as together:
        rest.request("GET", "/currencies/", {"countryCode": "RO"})
    assert together.value.code == "INVALID_PARAMETERS"
