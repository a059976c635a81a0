"""The change history: what changed in a customer or an end user, field by field.

A history entry says when (the service clock), which merchant, over which protocol
(``soap/4.0``, ``jsonrpc/6.0``, ``rest/6.0``, as the access log names them) and by which
operation a customer, or one subscription's EndUser, changed, and lists each changed field
as ``{"field", "old", "new"}``. Struct fields are flattened (``Credit.Limit``); EndUser
fields are named ``EndUser.Email`` and so on.

The end-user push of ``updateCustomerInformation`` is summed up in the customer's own entry,
with one item per pushed EndUser field that changed on at least one subscription, carrying
the number of subscriptions it changed on (``"subscriptions"``). ``"old"`` is the value they
held when every one of them held the customer's previous value (end users usually mirror
their customer); otherwise ``"old"`` is null and ``"old_kept"`` false: their old values are
not kept. That costs one set-based SELECT (two sums per field) however many subscriptions
the customer has, and keeps a customer with 10,000 subscriptions from gaining 10,000 entries
per update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Change = dict[str, Any]

# Per pushed EndUser field, from the store: the subscriptions it changes on, and how many of
# those held the customer's previous value.
PushSummary = Mapping[str, tuple[int, int]]


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"Credit": {"Limit": 5}}`` as ``{"Credit.Limit": 5}``; a null struct has no fields."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, dict):  # not the Mapping ABC, whose check costs ten times as much
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[Change]:
    """The fields whose value differs, in ``new``'s order; ``old`` empty means a creation
    (every field given a value is listed, with old null)."""
    before, after = flatten(old, prefix), flatten(new, prefix)
    names = list(after) + [name for name in before if name not in after]
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    ]


def push_changes(end_user: Mapping[str, Any], previous: Mapping[str, Any], summary: PushSummary) -> list[Change]:
    """The items of an end-user push, from the store's per-field summary (see the module doc)."""
    items = []
    for name, (count, held_previous) in summary.items():
        if not count:
            continue
        item: Change = {
            "field": f"EndUser.{name}",
            "old": previous.get(name),
            "new": end_user.get(name),
            "subscriptions": count,
        }
        if held_previous != count:
            item["old"], item["old_kept"] = None, False
        items.append(item)
    return items


def describe(value: Any) -> str:
    """A value as the CLI and the dashboard show it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def subscriptions(change: Change) -> str:
    """How many subscriptions a pushed field changed on, in words."""
    count = change["subscriptions"]
    return f"{count} subscription{'' if count == 1 else 's'}"


def old_text(change: Change) -> str:
    return "(not kept)" if change.get("old_kept") is False else describe(change.get("old"))


def where(entry: Mapping[str, Any]) -> str:
    """What an entry is about: the customer, one subscription's EndUser, or a push to several."""
    if entry.get("subscription"):
        return f"subscription {entry['subscription']}"
    if any("subscriptions" in change for change in entry["changes"]):
        return "customer, pushed to its subscriptions"
    return "customer"


def table(entries: list[Mapping[str, Any]], width: int = 40) -> str:
    """Entries as a plain-text table, one line per changed field; long values are cut at ``width``."""
    header = ("TIME", "PROTOCOL", "OPERATION", "WHAT", "FIELD", "OLD", "NEW")
    rows = []
    for entry in entries:
        first = (entry["time"], entry["protocol"], entry["operation"], where(entry))
        for index, change in enumerate(entry["changes"]):
            field = change["field"] + (f" ({subscriptions(change)})" if "subscriptions" in change else "")
            rows.append((first if index == 0 else ("",) * 4) + (field, old_text(change), describe(change["new"])))
    rows = [tuple(_cut(cell, width) for cell in row) for row in rows]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(size) for cell, size in zip(row, widths)).rstrip() for row in [header, *rows])


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
