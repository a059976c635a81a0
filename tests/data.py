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
