"""A bug in a handler: logged with its traceback once, answered INTERNAL_ERROR in the call's protocol.

The handler of getCustomerInformation is made to raise; every other operation works. A SOAP
call gets a Server fault, a JSON-RPC call an error object (in a batch, that call's alone), REST
a 500; the operator's log has one traceback a failed call, and the client nothing of it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.data import customer_data
from twoco.client import TwoCheckoutError
from twoco.core.registry import Caller, LoginCaller, Operation
from twoco.testing import in_process
from twoco.testing.in_process import InProcessTwoco

BROKEN = "getCustomerInformation"
BUG = "a bug the client must not see"


@pytest.fixture
def twoco(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[InProcessTwoco, io.StringIO]]:
    log = io.StringIO()
    with in_process(log=log) as twoco:
        service = twoco.app.service
        invoke = service.invoke

        def broken(operation: Operation, args: Sequence[object], caller: Caller | LoginCaller) -> Any:
            if operation.name == BROKEN:
                raise RuntimeError(BUG)
            return invoke(operation, args, caller)

        monkeypatch.setattr(service, "invoke", broken)
        yield twoco, log


@pytest.mark.parametrize(("protocol", "status"), [("soap", 500), ("jsonrpc", 200), ("rest", 500)])
def test_a_bug_is_answered_internal_error_in_the_calls_protocol(
    twoco: tuple[InProcessTwoco, io.StringIO], protocol: str, status: int
) -> None:
    server, log = twoco
    client = server.client(protocol)
    reference = client.create_customer(customer_data())
    with pytest.raises(TwoCheckoutError) as caught:
        client.get_customer_information(reference)
    assert (caught.value.code, caught.value.status) == ("INTERNAL_ERROR", status)
    assert BUG not in caught.value.message
    operator = log.getvalue()
    assert operator.count("Traceback") == 1 and f"RuntimeError: {BUG}" in operator
    assert " INTERNAL_ERROR " in operator  # the access log's outcome


def test_in_a_batch_only_the_broken_call_fails(twoco: tuple[InProcessTwoco, io.StringIO]) -> None:
    server, log = twoco
    client = server.client("jsonrpc")
    reference = client.create_customer(customer_data())
    session = client.session_id
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": BROKEN, "params": [session, reference]},
        {"jsonrpc": "2.0", "id": 2, "method": "createCustomer", "params": [session, customer_data()]},
        {"jsonrpc": "2.0", "method": BROKEN, "params": [session, reference]},  # a notification: no answer
    ]
    answers = server.http.post("/rpc/6.0/", json=batch).json()
    assert [answer["id"] for answer in answers] == [1, 2]
    assert answers[0]["error"]["data"]["error_code"] == "INTERNAL_ERROR"
    assert isinstance(answers[1]["result"], int)
    assert log.getvalue().count("Traceback") == 2
