"""The REST flavour's OpenAPI document, and schemathesis run against it: it must find nothing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from schemathesis.engine.run import PhaseName

from tests.clients import now_utc
from twoco.core.auth import login_hash
from twoco.core.errors import CATALOGUE
from twoco.core.registry import VERSIONS
from twoco.core.settings import Settings
from twoco.testing import in_process

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_openapi_document_lists_every_rest_operation(app_server) -> None:
    document = app_server.get("/rest/6.0/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    operation_ids = {entry["operationId"] for path in document["paths"].values() for entry in path.values()}
    assert operation_ids == {
        "createCustomer", "getCustomerInformation", "updateCustomerInformation", "addSubscription",
        "getSubscription", "getCustomerSubscriptions", "updateSubscriptionEndUser", "setSubscriptionCustomer",
        "getSingleSignOnByCustomer", "getSingleSignOnInCart", "getSingleSignOn", "getCustomerInformationBySSOToken",
        "searchSubscriptions", "updateSubscription", "cancelSubscription", "enableSubscription",
        "enableRecurringBilling", "disableRecurringBilling",
        "addProduct", "getProductByCode", "searchProducts", "updateProduct", "getPricingConfigurations",
        "getAvailableCurrencies", "getProductGroups", "addProductGroup",
        "placeOrder", "getOrder", "searchOrders", "issueRefund",
    }  # fmt: skip
    assert document["components"]["securitySchemes"]["avangate"]["name"] == "x-avangate-authentication"
    assert document["components"]["schemas"]["Customer"]["properties"]["Credit"]
    # A product's Translations: an object keyed by language (a request may send an array).
    translations = document["components"]["schemas"]["Product"]["properties"]["Translations"]["anyOf"]
    assert translations[0]["type"] == "object" and "ProductTranslation" in str(translations[0]["additionalProperties"])
    assert translations[1]["type"] == "array"
    add = document["paths"]["/products/"]["post"]
    assert add["requestBody"]["content"]["application/json"]["schema"]["required"] == ["ProductCode", "ProductName"]
    assert "200" in add["responses"] and "201" not in add["responses"]  # 6.0: 200, as every creation
    update = document["paths"]["/products/{ProductCode}/"]["put"]
    assert "required" not in update["requestBody"]["content"]["application/json"]["schema"]
    assert [p["name"] for p in update["parameters"]] == ["ProductCode"]
    # issueRefund's body: its parameters by name, in lower case as every REST client sends them.
    refund = document["paths"]["/orders/{RefNo}/refund/"]["post"]
    body = refund["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"amount", "items", "comment", "reason"}
    assert body["required"] == ["amount", "comment", "reason"]
    assert [p["name"] for p in refund["parameters"]] == ["RefNo"]


@pytest.mark.parametrize("version", ["3.0", "4.0", "5.0"])
def test_legacy_documents_say_which_creations_answer_201(app_server, version) -> None:
    paths = app_server.get(f"/rest/{version}/openapi.json").json()["paths"]
    created = paths["/products/"]["post"]["responses"]["201"]
    assert "Location" in created["headers"] and "200" not in paths["/products/"]["post"]["responses"]
    assert "201" in paths["/subscriptions/"]["post"]["responses"]
    customers = paths["/customers/"]["post"]["responses"]  # createCustomer answers 200 on every version
    assert "200" in customers and "201" not in customers
    assert "201" not in paths["/productgroups/"]["post"]["responses"]


def test_every_operation_documents_every_error_status_of_the_catalogue(server) -> None:
    """500 and 503 (the store), 413 and 431 (HTTP level) included: any call may meet them."""
    statuses = {str(kind.http_status) for kind in CATALOGUE.values()}
    assert {"500", "503", "431", "413"} <= statuses
    for version in VERSIONS:
        document = server.get(f"/rest/{version}/openapi.json").json()
        for path, entries in document["paths"].items():
            for method, entry in entries.items():
                errors = {status for status in entry["responses"] if status[0] in "45"}
                assert errors == statuses, (version, method, path)
                assert "STORE_BUSY" in entry["responses"]["503"]["description"]


@pytest.mark.slow  # schemathesis's run
def test_schemathesis_finds_nothing(monkeypatch) -> None:
    """``st run`` with tests/protocols/schemathesis.toml, as the engine behind it runs: over the ASGI app, in process."""
    date = now_utc()
    digest = login_hash("st-secret", "STMERCHANT", date, "sha256")
    # The configuration reads the signed header from here; the wide login window keeps it valid for the run.
    monkeypatch.setenv("TWOCO_REST_AUTH", f'code="STMERCHANT" date="{date}" hash="{digest}" algo="sha256"')
    config = SchemathesisConfig.from_path(CONFIG)
    config.update(seed=20261125, max_failures=None)
    config.projects.override.generation.update(max_examples=30)
    with in_process("STMERCHANT", "st-secret", settings=Settings(login_window=3600)) as twoco:
        schema = schemathesis.openapi.from_asgi("/rest/6.0/openapi.json", twoco.app, config=config)
        found = _findings(schemathesis.engine.from_schema(schema).execute())
    assert not found, "\n".join(found)


def _findings(stream: Iterable[events.EngineEvent]) -> list[str]:
    """What makes ``st run`` exit non-zero: a phase that failed or erred, an error, and each failed check."""
    found: list[str] = []
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(f"{failure.operation}: {check.name}: {failure.title}: {failure.message}")
        elif isinstance(event, events.PhaseFinished):
            if event.phase.is_enabled and event.status in (Status.FAILURE, Status.ERROR):
                if event.phase.name is not PhaseName.AUTH_BOOTSTRAP:  # as the CLI judges a run
                    found.append(f"phase {event.phase.name}: {event.status}")
        elif isinstance(event, events.NonFatalError):
            found.append(f"{event.label}: error: {event.value!r}")
        elif isinstance(event, events.FatalError):
            found.append(f"fatal error: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            found += [f"after the run: {failure}" for failure in event.failures]
    return found
