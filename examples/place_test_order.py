"""Place a test order for a monthly subscription, then read back the subscription it made: the
flow of 2Checkout's SDK examples (place, read the order, take its subscription's reference).

Against twoco:

    twoco serve                        # prints the DEMO merchant's secret key on first start
    export TWOCO_MERCHANT_CODE=DEMO TWOCO_SECRET_KEY=THE_SECRET_KEY_TWOCO_PRINTED
    python examples/place_test_order.py                      # the demo catalogue's TWOCO-MONTHLY
    python examples/place_test_order.py --card 4000000000000002     # a sandbox card that declines

Settings come from the command line or the environment: --host (TWOCO_HOST, default
http://127.0.0.1:8080), --merchant-code (TWOCO_MERCHANT_CODE), --secret-key (TWOCO_SECRET_KEY),
--product (a catalogue ProductCode, default TWOCO-MONTHLY), --card, --protocol soap|jsonrpc|rest
and --api-version 3.0 to 6.0 (default REST 6.0, as 2Checkout's SDKs). The sandbox's cards and
payments: docs/orders.md, "Payments".
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from twoco.client import Client, TwoCheckoutError


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=env("TWOCO_HOST", "http://127.0.0.1:8080"))
    parser.add_argument("--merchant-code", default=env("TWOCO_MERCHANT_CODE"))
    parser.add_argument("--secret-key", default=env("TWOCO_SECRET_KEY"))
    parser.add_argument("--product", default="TWOCO-MONTHLY")
    parser.add_argument("--card", default="4111111111111111")
    parser.add_argument("--protocol", choices=("soap", "jsonrpc", "rest"), default="rest")
    parser.add_argument("--api-version", choices=("3.0", "4.0", "5.0", "6.0"), default="6.0")
    parsed = parser.parse_args(argv)
    for name in ("merchant_code", "secret_key"):
        if not getattr(parsed, name):
            parser.error(f"give {name.replace('_', ' ')} (--{name.replace('_', '-')} or TWOCO_{name.upper()})")
    return parsed


def test_order(product: str, card: str) -> dict[str, object]:
    return {
        "Items": [{"Code": product, "Quantity": 1}],
        "BillingDetails": {"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com", "CountryCode": "GB"},
        "PaymentDetails": {
            "Type": "TEST",
            "Currency": "USD",
            "PaymentMethod": {
                "CardNumber": card,
                "ExpirationMonth": "12",
                "ExpirationYear": "2030",
                "HolderName": "Ada Lovelace",
                "CCID": "123",
                "RecurringEnabled": True,
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with Client(args.host, args.merchant_code, args.secret_key, args.protocol, args.api_version) as client:
        try:
            order = client.place_order(test_order(args.product, args.card))
        except TwoCheckoutError as error:
            print(f"placeOrder: {error.code}: {error.message}")
            return 1
        print(f"order {order['RefNo']}: {order['Status']}")
        if order["Errors"]:
            print(f"payment not taken: {', '.join(order['Errors'].values())}")
            return 1
        for _ in range(20):  # 2Checkout's SDK examples read the order a moment later
            order = client.get_order(order["RefNo"])
            if order["Status"] == "COMPLETE":
                break
            time.sleep(0.5)
        print(f"order {order['RefNo']}: {order['Status']}")
        for item in order["Items"]:
            for entry in item["ProductDetails"]["Subscriptions"] or ():
                subscription = client.get_subscription(entry["SubscriptionReference"])
                print(
                    f"subscription {subscription['SubscriptionReference']}: {subscription['Product']['ProductName']}"
                    f", {subscription['StartDate']} to {subscription['ExpirationDate']}"
                    f", customer {subscription['AvangateCustomerReference']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
