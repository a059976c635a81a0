"""The ``twoco`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from twoco.core import history
from twoco.core.errors import ApiError
from twoco.core.ids import new_secret_key
from twoco.core.outage import ADVICE, StoreUnavailable
from twoco.core.registry import Caller
from twoco.core.schema import at_version
from twoco.core.service import Service
from twoco.core.settings import Settings
from twoco.core.throttle import ThrottleLimits
from twoco.core.validation import MERCHANT_CODE, ascii_integer
from twoco.domains import LISTENERS
from twoco.domains.customers.operations import customer_reference
from twoco.domains.orders.lifecycle import ACTIONS as ORDER_ACTIONS
from twoco.domains.orders.lifecycle import COMPLETIONS
from twoco.domains.orders.operations import order_view
from twoco.domains.orders.sandbox import act_on_order, order_settings, set_order_settings
from twoco.domains.orders.schema import ORDER
from twoco.protocols import json_codec
from twoco.sandbox.notification_control import save_settings
from twoco.server.access_log import FORMATS
from twoco.server.app import DEFAULT_MAX_BODY, LOCK_WAIT
from twoco.server.deliveries import DEFAULT_TIMEOUT as NOTIFY_TIMEOUT
from twoco.server.deliveries import probe_from_call
from twoco.server.process import DEMO_MERCHANT, SchemaOutOfDate, ServeOptions, add_merchant, prepare_store, serve
from twoco.server.wire import READ_TIMEOUT
from twoco.store import DEFAULT_URL, STATEMENT_TIMEOUT, DuplicateKey, SchemaTooNew, SqlStore, StoreURLError
from twoco.store.bulk import populate, populate_products
from twoco.version import __version__

EPILOG = """examples:
  twoco serve                                  serve on 127.0.0.1:8080 from ./twoco.sqlite3
  twoco serve --port 9000 --db sqlite:////tmp/sandbox.sqlite3
  twoco serve --fixtures examples/fixtures.yaml --seed 1   a sandbox with known data and references
  twoco merchant add ACME                      add a merchant with a generated secret key
  twoco merchant list --show-secrets
  twoco merchant rotate-secret ACME            give ACME a new secret key (the old one stops working)
  twoco populate --customers 100000 --subscriptions-per-customer 2 --products 20
  twoco customer history 123456789 --merchant DEMO
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=os.environ.get("TWOCO_DB") or DEFAULT_URL,
        metavar="URL",
        help="store URL: sqlite:///RELATIVE or sqlite:////ABSOLUTE path, or postgresql://user:pass@host/db"
        " (also from the TWOCO_DB environment variable)",
    )


def _group(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, **texts: Any
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command with actions of its own (``twoco merchant add``), its help with an example."""
    parser = commands.add_parser(name, formatter_class=_Formatter, **texts)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twoco",
        description="twoco: the 2Checkout (Avangate) merchant API's customer part, self-hosted. "
        "Point a SOAP client written for 2Checkout at it and it works unchanged.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"twoco {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser(
        "serve",
        help="run the API server",
        formatter_class=_Formatter,
        description="Serve SOAP at /soap/{3.0,4.0,5.0,6.0}/ (WSDL: add ?wsdl), JSON-RPC at /rpc/{3.0,4.0,5.0,6.0}/, "
        "REST at /rest/{3.0,4.0,5.0,6.0}/ (OpenAPI: /rest/6.0/openapi.json) and the control plane at /_twoco/. "
        "The store's schema is created or upgraded first; a store with no merchant gets a demo merchant, "
        "whose code and secret key are printed.",
        epilog="example:\n  twoco serve --host 0.0.0.0 --port 8080 --db sqlite:////var/lib/twoco/twoco.sqlite3",
    )
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve_parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="serve from N processes (each has its own control-plane clock)",
    )
    _add_db_option(serve_parser)
    serve_parser.add_argument(
        "--login-window",
        type=int,
        default=int(os.environ.get("TWOCO_LOGIN_WINDOW") or Settings.login_window),
        metavar="SECONDS",
        help="how far a login's date may be from the server clock (also TWOCO_LOGIN_WINDOW)",
    )
    serve_parser.add_argument(
        "--login-throttle",
        type=_throttle_limits,
        default=os.environ.get("TWOCO_LOGIN_THROTTLE") or Settings.login_throttle,  # a text is parsed, by type
        metavar="N/M|off",
        help="failed logins allowed a minute per merchant code from one address (N) and per address (M); "
        "past that, logins from there are refused until the oldest of those failures is a minute old; "
        "off turns it off (also TWOCO_LOGIN_THROTTLE)",
    )
    serve_parser.add_argument(
        "--allow-md5-v6",
        action="store_true",
        default=os.environ.get("TWOCO_ALLOW_MD5_V6", "") not in ("", "0"),
        help="accept MD5 login hashes on API 6.0 too, which 2Checkout retired (also TWOCO_ALLOW_MD5_V6=1)",
    )
    serve_parser.add_argument(
        "--strict-fields",
        action="store_true",
        default=os.environ.get("TWOCO_STRICT_FIELDS", "") not in ("", "0"),
        help="refuse request fields the API does not know (INVALID_PARAMETERS) instead of ignoring them as "
        "2Checkout does; the request journal lists ignored fields either way (also TWOCO_STRICT_FIELDS=1)",
    )
    serve_parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="access log on stdout: one line per request (time, client, protocol, operation, merchant, outcome)",
    )
    serve_parser.add_argument(
        "--read-timeout",
        type=float,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help="how long a client may take to send a request's headers, and again its body, before 408 and a closed "
        "connection (slow or stuck clients hold no connection for longer)",
    )
    serve_parser.add_argument(
        "--lock-wait",
        type=float,
        default=LOCK_WAIT,
        metavar="SECONDS",
        help="how long a call may wait for a record (PostgreSQL) or the database (SQLite) another call holds, before "
        "STORE_BUSY (HTTP 503, "
        "retryable); waiting calls hold none of the threads other calls need",
    )
    serve_parser.add_argument(
        "--store-timeout",
        type=float,
        default=STATEMENT_TIMEOUT,
        metavar="SECONDS",
        help="how long one PostgreSQL statement may run (its statement_timeout; a server that does not answer at all "
        "is given up a few seconds later), and how long a SQLite commit may take to reach the disk; then the call "
        "answers STORE_UNAVAILABLE",
    )
    serve_parser.add_argument(
        "--notify-timeout",
        type=float,
        default=NOTIFY_TIMEOUT,
        metavar="SECONDS",
        help="how long one attempt to deliver an IPN or LCN may take, answer included; a handler that takes longer "
        "is tried again later on 2Checkout's schedule (the probe of a URL being saved waits as long)",
    )
    serve_parser.add_argument("--no-access-log", action="store_true", help="write no access log")
    serve_parser.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="refuse request bodies larger than this with HTTP 413, before reading them",
    )
    serve_parser.add_argument(
        "--no-upgrade",
        action="store_true",
        help="do not upgrade the store's schema on start; refuse to start if it is not current",
    )
    serve_parser.add_argument(
        "--no-control-plane",
        action="store_true",
        help="turn off /_twoco/ (clock control and other sandbox tools; health stays) for production use",
    )
    serve_parser.add_argument(
        "--fixtures",
        metavar="FILE",
        help="load merchants, customers and subscriptions from a YAML or JSON file on start"
        " (replacing the data of the merchants it names; see examples/fixtures.yaml)",
    )
    serve_parser.add_argument(
        "--seed", type=int, default=None, help="seed for customer and subscription references (repeatable test runs)"
    )

    merchant = _group(
        commands,
        "merchant",
        help="add, list or re-key merchants",
        description="Manage the merchants whose code and secret key sign API logins.",
        epilog="examples:\n  twoco merchant add ACME\n  twoco merchant list --db postgresql://twoco@db/twoco\n"
        "  twoco merchant rotate-secret ACME",
    )
    add = merchant.add_parser(
        "add",
        help="add a merchant",
        formatter_class=_Formatter,
        description="Add a merchant; without --secret a strong secret key is generated and printed.",
        epilog="example:\n  twoco merchant add ACME --db sqlite:///sandbox.sqlite3",
    )
    add.add_argument("code", metavar="CODE", help="merchant code (letters, digits, _ and -)")
    add.add_argument("--secret", metavar="KEY", help="secret key to use instead of a generated one")
    _add_db_option(add)
    listing = merchant.add_parser(
        "list",
        help="list merchants",
        formatter_class=_Formatter,
        description="List merchant codes; secret keys are masked unless --show-secrets.",
        epilog="example:\n  twoco merchant list --show-secrets",
    )
    listing.add_argument("--show-secrets", action="store_true", help="print secret keys in full")
    _add_db_option(listing)
    rotate = merchant.add_parser(
        "rotate-secret",
        help="give a merchant a new secret key",
        formatter_class=_Formatter,
        description="Replace a merchant's secret key; without --secret a strong key is generated and printed. "
        "The old key stops working at once, for logins and REST requests of every running server on this store. "
        "The merchant's sessions end too (a key is usually rotated because it may have leaked), "
        "unless --keep-sessions.",
        epilog="examples:\n  twoco merchant rotate-secret ACME --db sqlite:///sandbox.sqlite3\n"
        "  twoco merchant rotate-secret ACME --secret NEW_KEY --keep-sessions   a planned change",
    )
    rotate.add_argument("code", metavar="CODE", help="merchant code")
    rotate.add_argument("--secret", metavar="KEY", help="secret key to use instead of a generated one")
    rotate.add_argument(
        "--keep-sessions",
        action="store_true",
        help="let sessions opened with the old key live out their 10 minutes",
    )
    _add_db_option(rotate)
    order_settings_parser = merchant.add_parser(
        "orders",
        help="show or set how a merchant's test orders complete",
        formatter_class=_Formatter,
        description="Show how the merchant's authorised orders complete, or change it: immediate (completed "
        "when placed), time (completed --delay seconds later on the sandbox clock; the default, with no delay: "
        "answered AUTHRECEIVED, complete by the next read) "
        "or manual (only when told: twoco order complete, the control plane or the dashboard).",
        epilog="examples:\n  twoco merchant orders DEMO\n  twoco merchant orders DEMO --completion manual\n"
        "  twoco merchant orders DEMO --completion time --delay 30",
    )
    order_settings_parser.add_argument("code", metavar="CODE", help="merchant code")
    order_settings_parser.add_argument("--completion", choices=COMPLETIONS, help="when authorised orders complete")
    order_settings_parser.add_argument("--delay", type=float, metavar="SECONDS", help="the delay of time completion")
    _add_db_option(order_settings_parser)
    notification_settings_parser = merchant.add_parser(
        "notifications",
        help="show or set where a merchant's IPNs and LCNs go",
        formatter_class=_Formatter,
        description="Show where the merchant's notifications go, or change it: the URL its IPNs (orders) are "
        "POSTed to, the URL of its LCNs (subscriptions), and the signatures they carry (md5: HASH, sha256: "
        "SIGNATURE_SHA2_256, sha3-256: SIGNATURE_SHA3_256). A URL is saved only if a GET of it answers 200, as at "
        "2Checkout (--no-probe saves it as it is); an empty URL stops sending: the notifications are still recorded, "
        "marked 'not sent: no URL'.",
        epilog="examples:\n  twoco merchant notifications DEMO\n"
        "  twoco merchant notifications DEMO --ipn-url http://localhost:8000/ipn --lcn-url http://localhost:8000/lcn\n"
        "  twoco merchant notifications DEMO --algorithms sha256,sha3-256\n"
        "  twoco merchant notifications DEMO --lcn-url ''",
    )
    notification_settings_parser.add_argument("code", metavar="CODE", help="merchant code")
    notification_settings_parser.add_argument("--ipn-url", metavar="URL", help="where IPNs go ('' for nowhere)")
    notification_settings_parser.add_argument("--lcn-url", metavar="URL", help="where LCNs go ('' for nowhere)")
    notification_settings_parser.add_argument(
        "--algorithms", metavar="LIST", help="comma-separated: md5, sha256, sha3-256 (default sha256,sha3-256)"
    )
    notification_settings_parser.add_argument(
        "--no-probe", action="store_true", help="save the URLs without the GET that must answer 200"
    )
    _add_db_option(notification_settings_parser)

    order = _group(
        commands,
        "order",
        help="look at an order or move it along",
        description="Show an order as API 6.0 answers it, or take a sandbox action on it: approve (its approve "
        "status becomes OK), complete (its customer and subscriptions are made), fail (its payment fails: "
        "PENDING), reverse (REVERSED) or cancel (CANCELED). The order's status must allow the action.",
        epilog="examples:\n  twoco order show 123456789 --merchant DEMO\n"
        "  twoco order complete 123456789 --merchant DEMO",
    )
    order_texts = {
        "show": "Print the order as API 6.0 answers it (JSON).",
        "approve": "Approve an AUTHRECEIVED order: its ApproveStatus becomes OK; it completes as the merchant's "
        "settings say.",
        "complete": "Complete a PENDING or AUTHRECEIVED order now: its customer and subscriptions are made.",
        "fail": "Fail a PENDING or AUTHRECEIVED order's payment: it is PENDING with 2Checkout's CARD_PAYMENT_ERROR, "
        "and may be paid again (placeOrder with its RefNo).",
        "reverse": "Reverse a PENDING or AUTHRECEIVED order's authorisation as fraudulent: REVERSED, FRAUD.",
        "cancel": "Cancel a PENDING or AUTHRECEIVED order: CANCELED.",
    }
    assert set(order_texts) == {"show", *ORDER_ACTIONS}  # every action has its help
    for action, description in order_texts.items():
        action_parser = order.add_parser(
            action,
            help=f"{action} an order",
            formatter_class=_Formatter,
            description=description,
            epilog=f"example:\n  twoco order {action} 123456789 --merchant DEMO --db sqlite:///twoco.sqlite3",
        )
        action_parser.add_argument("ref_no", metavar="REFNO", help="the order's RefNo")
        action_parser.add_argument("--merchant", required=True, metavar="CODE", help="the merchant it belongs to")
        _add_db_option(action_parser)

    populate_texts: dict[str, Any] = {
        "formatter_class": _Formatter,
        "description": "Insert valid generated products, and customers (each with its subscriptions) for one "
        "merchant, in batches, with a progress line. Subscriptions name the merchant's products when it has any. "
        "The merchant is created (and its secret key printed) if missing.",
        "epilog": "example:\n  twoco populate --customers 1000000 --subscriptions-per-customer 2 --merchant DEMO",
    }
    populate_parser = commands.add_parser(
        "populate", help="fill a store with generated customers and subscriptions", **populate_texts
    )
    # "seed", its name until the word was left to a random seed (serve --seed) and the seed script:
    # still accepted, with a line saying so, and left out of the help (a parser added without help=).
    for parser_of_command in (populate_parser, commands.add_parser("seed", **populate_texts)):
        parser_of_command.add_argument("--customers", type=int, required=True, metavar="N", help="customers to add")
        parser_of_command.add_argument(
            "--subscriptions-per-customer", type=int, default=0, metavar="M", help="subscriptions for each customer"
        )
        parser_of_command.add_argument(
            "--products", type=int, default=0, metavar="N", help="catalogue products to add first"
        )
        parser_of_command.add_argument(
            "--merchant", default=DEMO_MERCHANT, metavar="CODE", help="the merchant they belong to"
        )
        _add_db_option(parser_of_command)

    customer = _group(
        commands,
        "customer",
        help="look at a customer",
        description="Look at a customer's records in the store.",
        epilog="example:\n  twoco customer history 123456789 --merchant DEMO",
    )
    history_parser = customer.add_parser(
        "history",
        help="print a customer's change history",
        formatter_class=_Formatter,
        description="Print every recorded change to a customer and to its subscriptions' EndUser, oldest first: "
        "when (the server clock), protocol, operation, and each changed field's old and new value. "
        "REF is either reference, as in REST's /customers/{CReference}/.",
        epilog="examples:\n  twoco customer history 123456789 --merchant DEMO\n"
        "  twoco customer history CRM-42 --merchant DEMO --json --db sqlite:////tmp/sandbox.sqlite3",
    )
    history_parser.add_argument(
        "reference", metavar="REF", help="AvangateCustomerReference or ExternalCustomerReference"
    )
    history_parser.add_argument(
        "--merchant", required=True, metavar="CODE", help="the merchant the customer belongs to"
    )
    history_parser.add_argument("--json", action="store_true", help="print the entries as one JSON array")
    _add_db_option(history_parser)

    db = _group(
        commands,
        "db",
        help="manage the store's schema",
        description="Manage the store's schema (twoco serve upgrades it on start unless --no-upgrade).",
        epilog="example:\n  twoco db upgrade --db postgresql://twoco@db/twoco",
    )
    upgrade = db.add_parser(
        "upgrade",
        help="create or upgrade the schema",
        formatter_class=_Formatter,
        description="Apply every schema migration the store lacks (serve does this on start too).",
        epilog="example:\n  twoco db upgrade --db sqlite:///twoco.sqlite3",
    )
    _add_db_option(upgrade)
    return parser


def _throttle_limits(text: str) -> ThrottleLimits | None:
    try:
        return ThrottleLimits.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give N/M (two positive integers, e.g. 10/20) or off") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # An outage before serving is told in one line, below; the operator's log starts with serving.
    logging.getLogger("twoco").addHandler(logging.NullHandler())
    try:
        if args.command == "serve":
            if args.read_timeout <= 0:
                print("twoco: --read-timeout must be more than 0 seconds", file=sys.stderr)
                return 2
            if args.lock_wait < 0 or args.store_timeout <= 0:
                print(
                    "twoco: --lock-wait cannot be negative, and --store-timeout must be more than 0 seconds",
                    file=sys.stderr,
                )
                return 2
            if args.notify_timeout <= 0:
                print("twoco: --notify-timeout must be more than 0 seconds", file=sys.stderr)
                return 2
            if args.max_body < 1:
                print("twoco: --max-body must be 1 or more", file=sys.stderr)
                return 2
            if args.workers < 1 or (args.workers > 1 and args.seed is not None):
                print(
                    "twoco: --workers must be 1 or more, and 1 with --seed (each worker would repeat the references)",
                    file=sys.stderr,
                )
                return 2
            options = ServeOptions(
                db=args.db,
                settings=Settings(
                    login_window=args.login_window,
                    allow_md5_on_v6=args.allow_md5_v6,
                    login_throttle=args.login_throttle,
                    strict_fields=args.strict_fields,
                ),
                seed=args.seed,
                control_plane=not args.no_control_plane,
                log_format=None if args.no_access_log else args.log_format,
                read_timeout=args.read_timeout,
                max_body=args.max_body,
                lock_wait=args.lock_wait,
                store_timeout=args.store_timeout,
                notify_timeout=args.notify_timeout,
            )
            serve(
                options,
                host=args.host,
                port=args.port,
                workers=args.workers,
                upgrade=not args.no_upgrade,
                fixtures=args.fixtures,
            )
        elif args.command == "merchant":
            return _merchant(args)
        elif args.command in ("populate", "seed"):
            if args.command == "seed":
                print('twoco: "seed" is now "populate"', file=sys.stderr)
            return _populate(args)
        elif args.command == "customer":
            return _customer_history(args)
        elif args.command == "order":
            return _order(args)
        elif args.command == "db":
            version = prepare_store(args.db).schema_version()
            print(f"{args.db}: schema at version {version}")
    except StoreUnavailable as outage:  # at start: one line, not a traceback
        print(f"twoco: the store is {outage.state}: {outage.detail} ({ADVICE[outage.state]})", file=sys.stderr)
        return 1
    except (StoreURLError, SchemaTooNew, SchemaOutOfDate, ApiError) as error:
        print(f"twoco: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"twoco: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0


def _populate(args: argparse.Namespace) -> int:
    if min(args.customers, args.subscriptions_per_customer, args.products) < 0:
        print("twoco: --customers, --subscriptions-per-customer and --products cannot be negative", file=sys.stderr)
        return 2
    store = prepare_store(args.db)
    merchant = store.merchant(args.merchant)
    if merchant is None:
        secret = add_merchant(store, args.merchant)
        print(f"created merchant {args.merchant} with secret key {secret}")
        merchant = store.merchant(args.merchant)
        assert merchant is not None  # just added
    started = time.monotonic()
    if args.products:
        print(f"added {populate_products(store, merchant.id, args.products):,} products")
    customers, subscriptions = populate(store, merchant.id, args.customers, args.subscriptions_per_customer)
    print(f"added {customers:,} customers and {subscriptions:,} subscriptions in {time.monotonic() - started:.1f} s")
    return 0


def _customer_history(args: argparse.Namespace) -> int:
    store = prepare_store(args.db)
    merchant = store.merchant(args.merchant)
    if merchant is None:
        print(f"twoco: no merchant {args.merchant!r}", file=sys.stderr)
        return 1
    try:
        reference = customer_reference(Service(store).context, Caller("6.0", "cli", merchant.id), args.reference)
    except ApiError as error:
        print(f"twoco: {error.message}", file=sys.stderr)
        return 1
    entries = store.customer_history(merchant.id, reference)
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
    elif entries:
        print(history.table(entries))
    else:
        print(f"no recorded change to customer {reference}")
    return 0


def _order(args: argparse.Namespace) -> int:
    store = prepare_store(args.db)
    merchant = store.merchant(args.merchant)
    ref_no = ascii_integer(args.ref_no, 12)
    if merchant is None:
        print(f"twoco: no merchant {args.merchant!r}", file=sys.stderr)
        return 1
    context = Service(store, listeners=LISTENERS).context
    try:
        if ref_no is None:
            raise ApiError("ORDER_NOT_FOUND", ref_no=args.ref_no[:40])
        if args.order_command == "show":
            with store.transaction(write=False):
                found = store.order(merchant.id, ref_no)
                if found is None:
                    raise ApiError("ORDER_NOT_FOUND", ref_no=str(ref_no))
                view = order_view(context, merchant.id, found, "6.0")
        else:
            view = order_view(
                context, merchant.id, act_on_order(context, merchant.id, ref_no, args.order_command), "6.0"
            )
    except ApiError as error:
        print(f"twoco: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps(json_codec.encode(view, at_version(ORDER, "6.0")), indent=2, ensure_ascii=False))
    return 0


def _notification_settings(store: SqlStore, args: argparse.Namespace) -> int:
    merchant = store.merchant(args.code)
    if merchant is None:
        print(f"twoco: no merchant {args.code!r}", file=sys.stderr)
        return 1
    given = {
        name: value
        for name, value in (("ipn_url", args.ipn_url), ("lcn_url", args.lcn_url), ("algorithms", args.algorithms))
        if value is not None
    }
    try:
        settings = save_settings(Service(store), merchant.id, given, None if args.no_probe else probe_from_call)
    except ApiError as error:
        print(f"twoco: {error.message}", file=sys.stderr)
        return 2
    print(f"{args.code}: IPNs to {settings['ipn_url'] or '(nowhere)'}")
    print(f"{args.code}: LCNs to {settings['lcn_url'] or '(nowhere)'}")
    print(f"{args.code}: signed with {', '.join(settings['algorithms'])}")
    return 0


def _merchant(args: argparse.Namespace) -> int:
    store = prepare_store(args.db)
    if args.merchant_command == "orders":
        merchant = store.merchant(args.code)
        if merchant is None:
            print(f"twoco: no merchant {args.code!r}", file=sys.stderr)
            return 1
        context = Service(store, listeners=LISTENERS).context
        given = {
            name: value for name, value in (("completion", args.completion), ("delay", args.delay)) if value is not None
        }
        try:
            settings = (
                set_order_settings(context, merchant.id, given) if given else order_settings(context, merchant.id)
            )
        except ApiError as error:
            print(f"twoco: {error.message}", file=sys.stderr)
            return 2
        delay = f" after {settings['delay']:g} s on the sandbox clock" if settings["completion"] == "time" else ""
        print(f"{args.code}: authorised orders complete {settings['completion']}{delay}")
        return 0
    if args.merchant_command == "notifications":
        return _notification_settings(store, args)
    if args.merchant_command == "list":
        for merchant in store.merchants():
            secret = merchant.secret_key if args.show_secrets else merchant.secret_key[:4] + "…"
            print(f"{merchant.code}\t{secret}\tadded {merchant.created_at}")
        return 0
    if args.merchant_command == "rotate-secret":
        secret = args.secret or new_secret_key()
        ended = store.rotate_secret_key(args.code, secret, end_sessions=not args.keep_sessions)
        if ended is None:
            print(f"twoco: no merchant {args.code!r}", file=sys.stderr)
            return 1
        print(f"merchant code: {args.code}")
        print(f"secret key:    {secret}")
        print("sessions kept" if args.keep_sessions else f"sessions ended: {ended}")
        return 0
    if not MERCHANT_CODE.fullmatch(args.code):
        print(f"twoco: merchant code {args.code!r} must be 1-64 letters, digits, _ or -", file=sys.stderr)
        return 2
    try:
        secret = add_merchant(store, args.code, args.secret)
    except DuplicateKey:
        print(f"twoco: merchant {args.code!r} exists already", file=sys.stderr)
        return 1
    print(f"merchant code: {args.code}")
    print(f"secret key:    {secret}")
    return 0
