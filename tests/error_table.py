"""The error catalogue as the table of docs/errors.md: scripts/sync-docs writes it there, and
tests/core/test_docs.py checks that the page holds it to the letter."""

from __future__ import annotations

from twoco.core.errors import CATALOGUE


def markdown_table() -> str:
    """The catalogue as the table of docs/errors.md."""
    rows = ["| code | HTTP | JSON-RPC | message |", "|---|---|---|---|"]
    for kind in CATALOGUE.values():
        message = kind.message.replace("|", "\\|")
        rows.append(f"| `{kind.code}` | {kind.http_status} | {kind.rpc_code} | {message} |")
    return "\n".join(rows)
