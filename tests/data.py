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
