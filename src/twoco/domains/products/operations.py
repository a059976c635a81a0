"""The catalogue operations' handlers, and the lookups other domains make of products.

Each handler takes the call's :class:`Context` and :class:`Caller`, then the operation's
parameters as decoded; it runs in one store transaction (a call that raises changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from twoco.core.context import INSERT_ATTEMPTS, Context
from twoco.core.errors import ApiError
from twoco.core.port import DuplicateKey
from twoco.core.registry import Caller, Operation, Param, Route
from twoco.core.schema import BOOLEAN, INT, PAGINATED_SINCE, STRING, Array, version_key
from twoco.core.search import requested_page
from twoco.core.validation import MAX_REFERENCE, check_text, require
from twoco.domains.products.port import ProductStore
from twoco.domains.products.records import ProductFields, ProductGroupRecord, ProductRecord
from twoco.domains.products.rules import (
    DEFAULT_GROUP,
    GENERAL_GROUP,
    product_view,
    updated_product,
    validated_product,
)
from twoco.domains.products.schema import (
    PRICING_CONFIGURATION,
    PRODUCT,
    PRODUCT_GROUP,
    PRODUCT_SEARCH,
    PRODUCT_SEARCH_RESULT,
)
from twoco.domains.products.search import product_filters

Products = Context[ProductStore]

# The currencies a merchant can sell in when its catalogue prices none (2Checkout's most used).
BASE_CURRENCIES = ("USD", "EUR", "GBP")


def add_product(context: Products, caller: Caller, product: Mapping[str, Any]) -> bool:
    """Add a product under a new AvangateId; its ProductCode must be new to the merchant."""
    with context.store.transaction():
        record = new_product(context, caller.merchant_id, product)
        for _ in range(INSERT_ATTEMPTS):
            try:
                context.store.insert_product(caller.merchant_id, context.references.product_id(), record)
            except DuplicateKey as duplicate:
                if duplicate.external:
                    raise ApiError("DUPLICATE_PRODUCT_CODE", product_code=record["ProductCode"]) from None
                continue  # the AvangateId is another product's
            return True
    raise ApiError("INTERNAL_ERROR")


def new_product(
    context: Products, merchant_id: int, product: Mapping[str, Any], codes: frozenset[str] = frozenset()
) -> ProductFields:
    """A decoded Product checked and completed as addProduct takes it, in the group it names;
    its pricing configurations keep the codes of ``codes`` (a fixture's own), the others get new ones."""
    return validated_product(
        product, _group(context, merchant_id, product), context.references.subscription_reference, codes
    )


def get_product_by_code(context: Products, caller: Caller, code: str) -> dict[str, object]:
    with context.store.transaction(write=False):
        return product_view(find_product(context, caller.merchant_id, code))


def get_product_by_id(context: Products, caller: Caller, avangate_id: int) -> dict[str, object]:
    with context.store.transaction(write=False):
        found = context.store.product_by_id(caller.merchant_id, avangate_id)
    if found is None:
        raise ApiError("PRODUCT_NOT_FOUND", product=f"with AvangateId {avangate_id}")
    return product_view(found)


def search_products(context: Products, caller: Caller, search_by: Mapping[str, Any] | None) -> object:
    """The products the filters match, in the order they were added: every one before API 5.0
    (or the first Limit), one page (``{Items, Pagination}``) from 5.0."""
    search_by = search_by or {}
    page = requested_page(search_by, caller.version)
    filters = product_filters(search_by)
    with context.store.transaction(write=False):
        found, count = context.store.search_products(
            caller.merchant_id, filters, None if page is None else page.limit, 0 if page is None else page.offset
        )
    views = [product_view(product) for product in found]
    paginated = version_key(caller.version) >= version_key(PAGINATED_SINCE)
    return page.answer(views, count) if page is not None and paginated else views


def update_product(context: Products, caller: Caller, product: Mapping[str, Any]) -> bool:
    """Change a product: the fields sent replace its own, those left out keep theirs. As 2Checkout
    documents, a pricing configuration keeps its Code and its PricingSchema."""
    require("", product, ("ProductCode",))
    with context.store.transaction():
        current = find_product(context, caller.merchant_id, product["ProductCode"], lock=True)
        merged = updated_product(current, product)
        # The group the update names (by code, else by name), not the one the product had: the
        # merged product keeps its old ProductGroupCode, which would win over a new GroupName.
        named = {name: product[name] for name in ("ProductGroupCode", "GroupName") if product.get(name) is not None}
        if named:
            group = _group(context, caller.merchant_id, named)
        else:
            group = current["ProductGroup"] if current["ProductGroupCode"] is not None else GENERAL_GROUP
        kept = {configuration["Code"]: configuration for configuration in current["PricingConfigurations"]}
        for index, configuration in enumerate(merged["PricingConfigurations"] or []):
            if configuration is None:  # a nil item: left out by the rules
                continue
            before = kept.get(configuration.get("Code") or "")
            schema = (configuration.get("PricingSchema") or "").upper()
            if before is not None and schema and schema != before["PricingSchema"]:
                raise ApiError(
                    "INVALID_FIELD_VALUE",
                    field=f"PricingConfigurations[{index}].PricingSchema",
                    reason=f"a configuration's PricingSchema cannot change ({before['PricingSchema']})",
                )
        record = validated_product(merged, group, context.references.subscription_reference, frozenset(kept))
        context.store.replace_product(caller.merchant_id, current["AvangateId"], record)
    return True


def set_product_status(
    context: Products,
    caller: Caller,
    code: str,
    status: bool,
    review_url: str | None = None,
    review_details: str | None = None,
) -> bool:
    """Enable or disable a product. The review a product may need at 2Checkout before it is
    enabled does not exist here: the review fields are accepted and not kept."""
    with context.store.transaction():
        current = find_product(context, caller.merchant_id, code, lock=True)
        if current["Enabled"] != status:
            fields = {name: value for name, value in current.items() if name != "AvangateId"}
            changed = cast(ProductFields, {**fields, "Enabled": status})
            context.store.replace_product(caller.merchant_id, current["AvangateId"], changed)
    return True


def get_pricing_configurations(context: Products, caller: Caller, code: str) -> list[dict[str, object]]:
    with context.store.transaction(write=False):
        return [
            dict(configuration)
            for configuration in find_product(context, caller.merchant_id, code)["PricingConfigurations"]
        ]


def get_available_currencies(
    context: Products, caller: Caller, country: str | None = None, payment_method: str | None = None
) -> list[str]:
    """The currencies the merchant sells in: those its catalogue prices, and 2Checkout's usual
    three, in lower case as 2Checkout writes them (avangate/PHP-REST-API-Client's ConnectTest
    asserts lower-case three-letter codes). ``country`` and ``payment_method`` (6.0) go together,
    as documented; they narrow nothing here, where every method takes every currency. An empty
    one is none (a WSDL client sends an empty element for a parameter it was given none for)."""
    country, payment_method = country or None, payment_method or None
    if (country is None) != (payment_method is None):
        raise ApiError(
            "INVALID_PARAMETERS",
            operation="getAvailableCurrencies",
            reason="countryCode and paymentMethod go together: send both or neither",
        )
    with context.store.transaction(write=False):
        priced = context.store.product_currencies(caller.merchant_id)
    return sorted({currency.lower() for currency in (*BASE_CURRENCIES, *priced)})


def get_product_groups(context: Products, caller: Caller) -> list[ProductGroupRecord]:
    with context.store.transaction(write=False):
        stored = context.store.product_groups(caller.merchant_id)
    return [GENERAL_GROUP, *stored]  # addProductGroup refuses the code GENERAL


def add_product_group(context: Products, caller: Caller, group: Mapping[str, Any]) -> str:
    """Add a product group; its Code is the one given, or one made from its name. Answers the code."""
    require("", group, ("Name",))
    for name in ("Name", "Code", "TemplateName", "Description"):
        check_text(name, group.get(name), MAX_REFERENCE if name == "Code" else 255)
    code = (group.get("Code") or "").strip() or _code_of(group["Name"])
    record = ProductGroupRecord(
        Name=group["Name"].strip(),
        Code=code,
        TemplateName=group.get("TemplateName"),
        Description=group.get("Description"),
        Enabled=True if group.get("Enabled") is None else group["Enabled"],
    )
    with context.store.transaction():
        if code.upper() == "GENERAL" or any(
            g["Name"].lower() == record["Name"].lower() for g in context.store.product_groups(caller.merchant_id)
        ):
            raise ApiError("DUPLICATE_PRODUCT_GROUP", group=record["Name"])
        try:
            context.store.insert_product_group(caller.merchant_id, record)
        except DuplicateKey:
            raise ApiError("DUPLICATE_PRODUCT_GROUP", group=code) from None
    return code


def _code_of(name: str) -> str:
    return "".join(character for character in name.upper() if character.isalnum())[:MAX_REFERENCE] or "GROUP"


def _group(context: Products, merchant_id: int, product: Mapping[str, Any]) -> ProductGroupRecord:
    """The group a product names: by ProductGroupCode, else by GroupName (as the samples send it),
    else the merchant's General group."""
    code = product.get("ProductGroupCode") or None
    name = (product.get("GroupName") or "").strip()
    if code is not None:
        check_text("ProductGroupCode", code, MAX_REFERENCE)
        found = context.store.product_group(merchant_id, code)
        if found is None:
            raise ApiError("PRODUCT_GROUP_NOT_FOUND", group=code)
        return found
    if not name or name.lower() == DEFAULT_GROUP.lower():
        return GENERAL_GROUP
    for group in context.store.product_groups(merchant_id):
        if group["Name"].lower() == name.lower():
            return group
    raise ApiError("PRODUCT_GROUP_NOT_FOUND", group=name[:MAX_REFERENCE])


def catalogue_product(
    context: Products, merchant_id: int, code: str | None, avangate_id: int | None
) -> ProductRecord | None:
    """The catalogue's product a subscription (or an order) names by ProductCode or by ProductId
    (its AvangateId); None when the catalogue has none. Both given must name the same product."""
    if code:
        found = context.store.product(merchant_id, code) if _storable(code) else None
        if found is not None and avangate_id is not None and avangate_id != found["AvangateId"]:
            raise ApiError(
                "INVALID_FIELD_VALUE",
                field="Product.ProductId",
                reason=f"names another product than ProductCode {code!r} (AvangateId {found['AvangateId']})",
            )
        return found
    return None if avangate_id is None else context.store.product_by_id(merchant_id, avangate_id)


def _storable(code: str) -> bool:
    """Whether a store can hold ``code``: a longer one, or one with NUL (PostgreSQL's text refuses
    it), names nothing."""
    return len(code) <= MAX_REFERENCE and "\x00" not in code


def find_product(context: Products, merchant_id: int, code: str, lock: bool = False) -> ProductRecord:
    found = context.store.product(merchant_id, code, lock) if _storable(code) else None
    if found is None:
        raise ApiError("PRODUCT_NOT_FOUND", product=f"with ProductCode {code[:MAX_REFERENCE]!r}")
    return found


_PRODUCT_CODE = Param("ProductCode", STRING)
A_PRODUCT = "/products/{ProductCode}/"

OPERATIONS = (
    Operation(
        "addProduct",
        (Param("Product", PRODUCT),),
        BOOLEAN,
        add_product,
        # avangate-ruby-rest-code-samples, add-product-full.rb: "Response status: 201", a Location, "Contents: true".
        route=Route("POST", "/products/", created_201_until="6.0", location="ProductCode"),
    ),
    Operation("getProductByCode", (_PRODUCT_CODE,), PRODUCT, get_product_by_code, route=Route("GET", A_PRODUCT)),
    Operation("getProductById", (Param("AvangateId", INT),), PRODUCT, get_product_by_id),
    Operation(
        "searchProducts",
        (Param("SearchOptions", PRODUCT_SEARCH, required=False),),
        Array(PRODUCT),
        search_products,
        route=Route("GET", "/products/"),
        results=((PAGINATED_SINCE, PRODUCT_SEARCH_RESULT),),
    ),
    Operation("updateProduct", (Param("Product", PRODUCT),), BOOLEAN, update_product, route=Route("PUT", A_PRODUCT)),
    Operation(
        "setProductStatus",
        (
            _PRODUCT_CODE,
            Param("Status", BOOLEAN),
            Param("ReviewProductUrl", STRING, required=False),
            Param("ReviewAdditionalDetails", STRING, required=False),
        ),
        BOOLEAN,
        set_product_status,
    ),
    Operation(
        "getPricingConfigurations",
        (_PRODUCT_CODE,),
        Array(PRICING_CONFIGURATION),
        get_pricing_configurations,
        route=Route("GET", f"{A_PRODUCT}pricingconfigurations/"),
    ),
    Operation(
        "getAvailableCurrencies",
        (Param("countryCode", STRING, required=False), Param("paymentMethod", STRING, required=False)),
        Array(STRING),
        get_available_currencies,
        route=Route("GET", "/currencies/"),
    ),
    Operation("getProductGroups", (), Array(PRODUCT_GROUP), get_product_groups, route=Route("GET", "/productgroups/")),
    Operation(
        "addProductGroup",
        (Param("ProductGroup", PRODUCT_GROUP),),
        STRING,
        add_product_group,
        route=Route("POST", "/productgroups/"),
    ),
)
