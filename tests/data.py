"""Valid request data for the tests, built with overrides."""

from __future__ import annotations


def customer_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical Engines",
        "Address1": "12 St James's Square",
        "City": "London",
        "Zip": "SW1Y 4JH",
        "CountryCode": "GB",
        "Email": "ada@example.com",
        "Phone": "+44 20 7946 0000",
        "Language": "en",
    }
    data.update(overrides)
    return data


def subscription_data(customer: int, external: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "AvangateCustomerReference": customer,
        "ExternalSubscriptionReference": external,
        "StartDate": "2026-01-01",
        "ExpirationDate": "2099-01-01",
        "Product": {"ProductCode": "PRO", "ProductName": "Pro plan", "ProductQuantity": 2, "PriceOptionCodes": ["EU"]},
        "EndUser": {
            "FirstName": "End",
            "LastName": "User",
            "Email": f"{external.lower()}@example.com",
            "City": "Bucharest",
            "CountryCode": "RO",
        },
    }
    data.update(overrides)
    return data


def product_data(code: str, **overrides: object) -> dict[str, object]:
    """A catalogue product with the nested objects addProduct takes: a pricing configuration with
    regular and renewal prices, subscription terms and a translation."""
    data: dict[str, object] = {
        "ProductCode": code,
        "ProductName": f"Engine {code}",
        "ProductVersion": "1.0",
        "ShortDescription": "Computes tables",
        "PricingConfigurations": [
            {
                "Name": "Standard",
                "Code": "SENT-CODE",  # replaced: twoco gives the configuration its code
                "BillingCountries": ["ro", "GB"],
                "PricingSchema": "FLAT",
                "PriceType": "NET",
                "DefaultCurrency": "EUR",
                "Prices": {
                    "Regular": [
                        {"Amount": 99.5, "Currency": "EUR", "MinQuantity": 1, "MaxQuantity": 9},
                        {"Amount": 89.0, "Currency": "USD", "MinQuantity": 10, "MaxQuantity": 99999},
                    ],
                    "Renewal": [{"Amount": 49.0, "Currency": "EUR", "MinQuantity": 1, "MaxQuantity": 99999}],
                },
            }
        ],
        "SubscriptionInformation": {"BillingCycle": 12, "BillingCycleUnits": "M", "IsOneTimeFee": False},
        "Translations": [{"Name": "Motor", "Description": "Calcula tablas", "Language": "ES"}],
    }
    data.update(overrides)
    return data


def test_payment(card: str = "4111111111111111", **method: object) -> dict[str, object]:
    """PaymentDetails of a TEST payment by card, as 2Checkout's SDK examples send it."""
    return {
        "Type": "TEST",
        "Currency": "USD",
        "CustomerIP": "91.220.121.21",
        "PaymentMethod": {
            "CardNumber": card,
            "CardType": "VISA",
            "ExpirationYear": "2044",
            "ExpirationMonth": "12",
            "CCID": "123",
            "HolderName": "John Doe",
            "RecurringEnabled": True,
            "Vendor3DSReturnURL": "https://shop.example/3ds/success",
            "Vendor3DSCancelURL": "https://shop.example/3ds/cancel",
            **method,
        },
    }


def dynamic_order(**overrides: object) -> dict[str, object]:
    """The dynamic-product TEST order of 2Checkout's SDK examples (Python examples/order.py, Node
    test/spec_helper.js), with a monthly subscription: their Items, BillingDetails and payment."""
    order: dict[str, object] = {
        "Country": "us",
        "Currency": "USD",
        "CustomerIP": "91.220.121.21",
        "ExternalReference": "REST_API_AVANGTE",
        "Language": "en",
        "Source": "testAPI.com",
        "BillingDetails": {
            "Address1": "Test Address",
            "City": "LA",
            "State": "California",
            "CountryCode": "US",
            "Email": "testcustomer@2Checkout.com",
            "FirstName": "Customer",
            "LastName": "2Checkout",
            "Zip": "12345",
        },
        "Items": [
            {
                "Name": "Dynamic product",
                "Description": "Test description",
                "Quantity": 1,
                "IsDynamic": True,
                "Tangible": False,
                "PurchaseType": "PRODUCT",
                "Price": {"Amount": 100, "Type": "CUSTOM"},
                "RecurringOptions": {
                    "CycleLength": 1,
                    "CycleUnit": "MONTH",
                    "CycleAmount": 12.2,
                    "ContractLength": 3,
                    "ContractUnit": "YEAR",
                },
            }
        ],
        "PaymentDetails": test_payment(),
    }
    order.update(overrides)
    return order
