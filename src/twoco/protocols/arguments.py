"""An operation's arguments from the values a request sent, the same for every protocol.

Each adapter reads its own wire (an envelope's elements, a JSON array; REST's path, query and
body) and hands each value with its parameter to its codec's decode; what is refused is decided
here: more positional values than the operation takes, before any is decoded, and a value that
does not decode, as one INVALID_PARAMETERS naming where in its parameter it failed. A required
positional parameter left out is refused by the service (``Service.call``), once the adapter
has noted the fields it ignored: the journal lists them for such a call too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from twoco.core.errors import ApiError
from twoco.core.registry import Operation, Param, check_count
from twoco.core.schema import DecodeError

V = TypeVar("V")


def decode_arguments(
    operation: Operation, sent: Iterable[tuple[Param, V]], decode: Callable[[Param, V], object]
) -> list[object]:
    """Each value of ``sent`` decoded as its parameter, in order, or INVALID_PARAMETERS for the
    first that ``decode`` refuses (with a DecodeError; an ApiError it raises passes as it is)."""
    args: list[object] = []
    for param, value in sent:
        try:
            args.append(decode(param, value))
        except DecodeError as error:
            reason = str(error.within(param.name))
            raise ApiError("INVALID_PARAMETERS", operation=operation.name, reason=reason) from None
    return args


def decode_positional(operation: Operation, values: Sequence[V], decode: Callable[[Param, V], object]) -> list[object]:
    """SOAP's and JSON-RPC's arguments, ``values`` by position (a session's first): counted before
    any is decoded, so that a call sending too many learns that rather than what is wrong with one."""
    check_count(operation, len(values))
    return decode_arguments(operation, zip(operation.wire_params, values), decode)
