"""Update a customer's email: the Python twin of 2Checkout's PHP "Update a customer" sample.

It logs in, reads a customer, changes its Email, sends the customer back with
updateCustomerInformation and prints the result, as the PHP script does. Against twoco:

    twoco serve                        # prints the DEMO merchant's secret key on first start
    export TWOCO_MERCHANT_CODE=DEMO TWOCO_SECRET_KEY=THE_SECRET_KEY_TWOCO_PRINTED
    python examples/update_customer.py 123456789        # a customer you created

Settings come from the command line or the environment: --host (TWOCO_HOST, default
http://127.0.0.1:8080), --merchant-code (TWOCO_MERCHANT_CODE), --secret-key
(TWOCO_SECRET_KEY), the customer reference (TWOCO_CUSTOMER_REFERENCE), --protocol
soap|jsonrpc|rest and --api-version 4.0|6.0 (default SOAP 4.0, as the PHP sample). Against
2Checkout itself the host is https://api.2checkout.com and nothing else changes.
"""

from __future__ import annotations

import argparse
import os
import sys

from twoco.client import Client, TwoCheckoutError

NEW_EMAIL = "newemailaddressupdated@email.com"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("customer_reference", nargs="?", type=int, default=env("TWOCO_CUSTOMER_REFERENCE"))
    parser.add_argument("--external-reference", help="optional; must name the same customer")
    parser.add_argument("--host", default=env("TWOCO_HOST", "http://127.0.0.1:8080"))
    parser.add_argument("--merchant-code", default=env("TWOCO_MERCHANT_CODE"))
    parser.add_argument("--secret-key", default=env("TWOCO_SECRET_KEY"))
    parser.add_argument("--protocol", choices=("soap", "jsonrpc", "rest"), default="soap")
    parser.add_argument("--api-version", choices=("4.0", "6.0"), default="4.0")
    parser.add_argument("--email", default=NEW_EMAIL)
    parsed = parser.parse_args(argv)
    for name in ("customer_reference", "merchant_code", "secret_key"):
        if not getattr(parsed, name):
            parser.error(f"give {name.replace('_', ' ')} (argument or TWOCO_{name.upper()})")
    return parsed


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with Client(args.host, args.merchant_code, args.secret_key, args.protocol, args.api_version) as client:
        if args.protocol != "rest":  # REST has no login: each request is signed
            try:
                client.login()
            except TwoCheckoutError as error:
                print(f"Authentication: {error.message}")
                return 1
        try:
            customer = client.get_customer_information(args.customer_reference, args.external_reference)
        except TwoCheckoutError as error:
            print(f"customerInfo: {error.message}")
            return 1
        customer["Email"] = args.email
        try:
            updated = client.update_customer_information(customer, update_end_user_subscriptions=False)
        except TwoCheckoutError as error:
            print(f"updatedCustomerInfo: {error.message}")
            return 1
    print("updatedCustomerInfo", updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
