"""The single sign-on operations' handlers, and the opening of a link (``open_link``).

docs/protocols.md, "Single sign-on", gives each rule and the page of 2Checkout's documentation
behind it; ``twoco.domains.sso.links`` holds the rules of links and tokens.
"""

from __future__ import annotations

import secrets

from twoco.core import auth
from twoco.core.context import Context
from twoco.core.errors import ApiError
from twoco.core.registry import Caller, Operation, Param, Route
from twoco.core.schema import INT, STRING
from twoco.core.validation import MAX_REFERENCE, check_text, internal_reference
from twoco.domains.customers.operations import find_customer, get_customer
from twoco.domains.customers.schema import CUSTOMER_V6
from twoco.domains.sso.links import (
    ACCOUNT,
    CART,
    CUSTOMER_TYPES,
    DEFAULT_VALIDITY,
    MAX_URL,
    TOKEN,
    Visit,
    account_path,
    cart_target,
    language_code,
    page_name,
    same_address,
    validation_address,
)
from twoco.domains.sso.port import SsoStore
from twoco.domains.subscriptions.operations import find_subscription, get_customer_subscriptions

SingleSignOn = Context[SsoStore]


def single_sign_on_by_customer(
    context: SingleSignOn,
    caller: Caller,
    id_customer: object,
    customer_type: str,
    page: str | None,
    request: str | None,
    validity_time: int | None,
    validation_ip: str | None,
    language: str | None = None,
) -> str:
    page = page_name("page", page)
    check_text("request", request)
    with context.store.transaction():
        reference = _sso_customer(context, caller, id_customer, customer_type)
        return _issue(context, caller, reference, ACCOUNT, page, request, validity_time, validation_ip, language)


def single_sign_on_in_cart(
    context: SingleSignOn,
    caller: Caller,
    id_customer: object,
    customer_type: str,
    url: str | None,
    validity_time: int | None,
    validation_ip: str | None,
) -> str:
    check_text("url", url, MAX_URL)
    with context.store.transaction():
        reference = _sso_customer(context, caller, id_customer, customer_type)
        target = cart_target(url or "")
        return _issue(context, caller, reference, CART, target, None, validity_time, validation_ip, None)


def single_sign_on_by_subscription(
    context: SingleSignOn,
    caller: Caller,
    subscription_reference: str,
    email: str | None,
    validity_time: int | None,
    access_page: str | None,
    validation_ip: str | None,
    language: str | None = None,
) -> str:
    """A myAccount link for the customer the subscription belongs to; its pages show that subscription.
    ``email`` is only checked as text: the docs do not say what a mismatch does."""
    page = page_name("accessPage", access_page)
    check_text("email", email)
    with context.store.transaction():
        subscription = find_subscription(context, caller.merchant_id, subscription_reference)
        reference = int(subscription["AvangateCustomerReference"])
        request = f"code={subscription['SubscriptionReference']}"
        return _issue(context, caller, reference, ACCOUNT, page, request, validity_time, validation_ip, language)


def customer_by_sso_token(context: SingleSignOn, caller: Caller, token: str) -> dict[str, object]:
    """The customer a live cart token logs in. Reading does not spend it: 2Checkout's own sample
    reads the customer right after making the link, before the shopper can have followed it."""
    text = token.strip().lower()
    found = context.store.sso_token(auth.hash_session_id(text)) if TOKEN.fullmatch(text) else None
    if found is None or found["merchant_id"] != caller.merchant_id or found["kind"] != CART:
        raise ApiError("SSO_TOKEN_NOT_FOUND", token=token[:MAX_REFERENCE])
    now = context.clock.now()
    if now >= found["expires_at"]:
        raise ApiError("SSO_TOKEN_EXPIRED", ago=int(now - found["expires_at"]))
    return get_customer(context, caller, found["customer_reference"], None)


def open_link(context: SingleSignOn, token: str, kind: str, client: str) -> Visit:
    """Check a link's token and spend it; the customer and subscriptions when it opens (the pages
    of ``twoco.server.sso_pages`` show them)."""
    store = context.store
    text = token.strip().lower()
    token_hash = auth.hash_session_id(text)
    found = store.sso_token(token_hash) if TOKEN.fullmatch(text) else None
    if found is None or found["kind"] != kind:
        return Visit("unknown")
    if found["validation_ip"] and not same_address(found["validation_ip"], client):
        return Visit("wrong_ip", found)
    if found["used_at"] is not None:
        return Visit("used", found)
    if context.clock.now() >= found["expires_at"]:
        return Visit("expired", found)
    if not store.spend_sso_token(token_hash, context.clock.now()):
        return Visit("used", found)  # another request spent it a moment ago
    caller = Caller("6.0", "sso", found["merchant_id"])
    try:
        customer = get_customer(context, caller, found["customer_reference"], None)
        subscriptions = get_customer_subscriptions(context, caller, found["customer_reference"], None)
    except ApiError:  # the customer went (a reset) after the link was made
        return Visit("unknown")
    return Visit("ok", found, customer, subscriptions, found["merchant_code"])


def _sso_customer(context: SingleSignOn, caller: Caller, id_customer: object, customer_type: str) -> int:
    """The internal reference of the customer ``id_customer`` names, read as ``customer_type`` says."""
    external = CUSTOMER_TYPES.get(str(customer_type).strip().lower())
    if external is None:
        raise ApiError("INVALID_CUSTOMER_TYPE", value=str(customer_type)[:60])
    text = "" if id_customer is None else str(id_customer).strip()
    if external:
        found = find_customer(context, caller.merchant_id, None, text)
    elif text and internal_reference(text) is None:
        raise ApiError("CUSTOMER_NOT_FOUND", reference=f"AvangateCustomerReference {text[:MAX_REFERENCE]!r}")
    else:
        found = find_customer(context, caller.merchant_id, internal_reference(text), None)
    return int(found["AvangateCustomerReference"])


def _issue(
    context: SingleSignOn,
    caller: Caller,
    customer_reference: int,
    kind: str,
    target: str,
    request: str | None,
    validity_time: int | None,
    validation_ip: str | None,
    language: str | None,
) -> str:
    validity = DEFAULT_VALIDITY if validity_time is None else validity_time
    if validity < 1:
        raise ApiError("INVALID_FIELD_VALUE", field="validityTime", reason="must be a number of seconds, at least 1")
    token = secrets.token_hex(20)
    now = context.clock.now()
    record = {
        "customer_reference": customer_reference,
        "kind": kind,
        "target": target,
        "request": request,
        "language": language_code(language),
        "validation_ip": validation_address(validation_ip),
        "expires_at": now + validity,
    }
    context.store.add_sso_token(auth.hash_session_id(token), caller.merchant_id, record, now)
    path, _, query = (account_path(target) if kind == ACCOUNT else target).partition("?")
    return f"{caller.exchange.base_url}{path}?{query + '&' if query else ''}logintoken={token}"


# Links into myAccount and the cart, where 2Checkout documents them: by subscription, by customer
# and in cart from 3.0 on (3.0's and 4.0's SSO sections number the three 01-03; languageCode on
# 6.0), the customer behind a cart token from 5.0 on (its 04).

# REST spells these with a capital (its query names match case-insensitively: this is for the OpenAPI document).
_REST_CASE = (("validityTime", "ValidityTime"), ("validationIp", "ValidationIp"), ("url", "Url"))
_SSO_CUSTOMER = (Param("idCustomer", STRING), Param("customerType", STRING))
_SSO_VALIDITY = (Param("validityTime", INT, False), Param("validationIp", STRING, False))
_SSO_LANGUAGE = Param("languageCode", STRING, False, since="6.0")


def _sso_by_path(path: str, *names: tuple[str, str]) -> Route:
    """REST names the customer in the path, by either reference: customerType is then implied.
    A GET that writes: it stores the link's token."""
    rest_names = (("idCustomer", "CReference"), *_REST_CASE, *names)
    return Route("GET", path, names=rest_names, fixed=(("customerType", "AvangateCustomerReference"),), writes=True)


OPERATIONS = (
    Operation(
        "getSingleSignOnByCustomer",
        (*_SSO_CUSTOMER, Param("page", STRING, False), Param("request", STRING, False), *_SSO_VALIDITY, _SSO_LANGUAGE),
        STRING,
        single_sign_on_by_customer,
        route=_sso_by_path(
            "/customers/{CReference}/account/{PageType}/", ("page", "PageType"), ("languageCode", "Lang")
        ),
    ),
    Operation(
        "getSingleSignOnInCart",
        (*_SSO_CUSTOMER, Param("url", STRING, False), *_SSO_VALIDITY),
        STRING,
        single_sign_on_in_cart,
        route=_sso_by_path("/customers/{CReference}/cart/"),
    ),
    Operation(
        "getSingleSignOn",
        (
            Param("subscriptionReference", STRING),
            Param("email", STRING, False),
            Param("validityTime", INT, False),
            Param("accessPage", STRING, False),
            Param("validationIp", STRING, False),
            _SSO_LANGUAGE,
        ),
        STRING,
        single_sign_on_by_subscription,
        route=Route(
            "GET",
            "/subscriptions/{SubscriptionReference}/signon/{PageType}/",
            names=(
                ("subscriptionReference", "SubscriptionReference"),
                ("accessPage", "PageType"),
                ("languageCode", "LanguageCode"),
                ("email", "Email"),
                *_REST_CASE,
            ),
            writes=True,
        ),
    ),
    Operation(
        "getCustomerInformationBySSOToken",
        (Param("singleSignOnToken", STRING),),
        CUSTOMER_V6,
        customer_by_sso_token,
        route=Route("GET", "/customers/", names=(("singleSignOnToken", "ssotoken"),)),
        since="5.0",
    ),
)
