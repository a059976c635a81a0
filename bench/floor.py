"""The floor: the least a durable SOAP update can do, on the same HTTP server twoco uses.

    python bench/floor.py PORT DB_URL|none [WORKERS]

It reads the body, parses it with lxml (as twoco does), takes the customer reference, Phone and
City, runs one UPDATE of one row and commits it durably (SQLite in WAL mode with
``synchronous=FULL``; PostgreSQL in autocommit, ``synchronous_commit`` on), and answers a fixed
SOAP response. No session, validation, row lock, change history or logging: whatever twoco
reaches, it cannot beat this, so bench/run.py shows it beside the ceiling. With ``none`` for the
store it only parses: the least any SOAP endpoint that reads its request can do.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))
from ceiling import HEADERS, RESPONSE, serve  # noqa: E402

ROWS = 1000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_URL_VARIABLE = "TWOCO_FLOOR_DB"
_UPDATE = "UPDATE bench_floor SET phone = {0}, city = {0} WHERE id = {0}"


class _Table:
    """The floor's own table in the bench store, one connection per process."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            self.connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.connection.execute("PRAGMA busy_timeout = 10000")
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = FULL")
            self.update_sql = _UPDATE.format("?")
        else:
            import psycopg

            self.connection = psycopg.connect(url, autocommit=True)
            self.update_sql = _UPDATE.format("%s")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, phone TEXT, city TEXT)"
        )
        if self.connection.execute("SELECT COUNT(*) FROM bench_floor").fetchone()[0] < ROWS:
            self.connection.execute("DELETE FROM bench_floor")
            for row in range(ROWS):
                self.connection.execute(f"INSERT INTO bench_floor (id) VALUES ({row})")

    def update(self, reference: int, phone: str | None, city: str | None) -> None:
        # A lone statement in autocommit mode: one transaction, committed durably before it returns.
        self.connection.execute(self.update_sql, (phone, city, reference % ROWS))


_table: _Table | None = None


async def app(scope, receive, send) -> None:
    global _table
    if scope["type"] != "http":
        return
    if _table is None and os.environ[_URL_VARIABLE] != "none":
        _table = _Table(os.environ[_URL_VARIABLE])
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    if body:  # (bench/run.py's check that the server is up is a bodiless GET)
        operation = etree.fromstring(body, _PARSER)[-1][0]  # Envelope / Body (after any Header) / the call
        # The parameter that holds the customer, whatever a client names it.
        customer = next(part for part in operation if part.find("AvangateCustomerReference") is not None)
        if _table is not None:
            _table.update(
                int(customer.findtext("AvangateCustomerReference")),
                customer.findtext("Phone"),
                customer.findtext("City"),
            )
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": RESPONSE})


if __name__ == "__main__":
    os.environ[_URL_VARIABLE] = sys.argv[2]
    if sys.argv[2] != "none":
        _Table(sys.argv[2])  # create and fill the table before any worker starts
    serve(app, "floor", int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
