"""Single sign-on's queries (``twoco.domains.sso.port``): the tokens behind the links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twoco.store.base import SESSION_MEMORY, SqlBase

SSO_TOKEN_FIELDS = ("customer_reference", "kind", "target", "request", "language", "validation_ip", "expires_at")


class SsoQueries(SqlBase):
    def add_sso_token(self, token_hash: str, merchant_id: int, token: Mapping[str, Any], now: float) -> None:
        with self.transaction() as cursor:
            # Tokens a day past expiry are swept as new ones arrive, as sessions are.
            cursor.execute("DELETE FROM sso_tokens WHERE expires_at < ?", (now - SESSION_MEMORY,))
            columns = ("token_hash", "merchant_id", *SSO_TOKEN_FIELDS)
            cursor.execute(
                f"INSERT INTO sso_tokens ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                (token_hash, merchant_id, *(token[name] for name in SSO_TOKEN_FIELDS)),
            )

    def sso_token(self, token_hash: str) -> dict[str, Any] | None:
        """A token by digest: merchant_id and the ``SSO_TOKEN_FIELDS``, with used_at and the
        merchant's code; None if unknown."""
        fields = ", ".join(f"t.{name}" for name in SSO_TOKEN_FIELDS)
        row = self._one(
            f"SELECT t.merchant_id, {fields}, t.used_at, m.code FROM sso_tokens t"
            " JOIN merchants m ON m.id = t.merchant_id WHERE t.token_hash = ?",
            (token_hash,),
        )
        return dict(zip(("merchant_id", *SSO_TOKEN_FIELDS, "used_at", "merchant_code"), row)) if row else None

    def spend_sso_token(self, token_hash: str, now: float) -> bool:
        """Mark a token used; False when it already was. One UPDATE with the condition in it, so of
        two requests racing for one token exactly one sees its row change (SQLite and PostgreSQL alike)."""
        with self.transaction() as cursor:
            cursor.execute(
                "UPDATE sso_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", (now, token_hash)
            )
            spent: bool = cursor.rowcount == 1
            return spent
