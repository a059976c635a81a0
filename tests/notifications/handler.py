"""A merchant's notification handler for the tests: a real HTTP endpoint in a thread of its own
that keeps every request it gets (its raw body, its fields in the order sent) and answers as the
test says: with a valid read receipt, without one, with a wrong one, with an error status, or not
at all (it hangs). GETs (2Checkout's probe of a URL being saved) answer 200."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

HASHES = {"md5": hashlib.md5, "sha256": hashlib.sha256, "sha3-256": hashlib.sha3_256}
RECEIPT_DATE = "20261208101010"


def source(values: list[str]) -> bytes:
    """2Checkout's length-prefixed concatenation, written afresh here (not twoco's)."""
    return b"".join(str(len(v.encode())).encode() + v.encode() if v else b"0" for v in values)


def receipt(kind: str, pairs: list[tuple[str, str]], secret: str, algorithm: str, date: str = RECEIPT_DATE) -> str:
    """The read receipt a correct handler answers: IPN over IPN_PID[0], IPN_PNAME[0], IPN_DATE and
    DATE; LCN over LICENSE_CODE, EXPIRATION_DATE and DATE."""
    first = {}
    for name, value in pairs:
        first.setdefault(name, value)
    if kind == "IPN":
        values = [first.get("IPN_PID[]", ""), first.get("IPN_PNAME[]", ""), first["IPN_DATE"], date]
    else:
        values = [first["LICENSE_CODE"], first["EXPIRATION_DATE"], date]
    digest = hmac.new(secret.encode(), source(values), HASHES[algorithm]).hexdigest()
    if algorithm == "md5":
        return f"<EPAYMENT>{date}|{digest}</EPAYMENT>"
    return f'<sig algo="{algorithm}" date="{date}">{digest}</sig>'


@dataclass
class Received:
    path: str
    body: bytes
    pairs: list[tuple[str, str]]
    at: float
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        """The fields by name; an array field (NAME[]) as its first element."""
        out: dict[str, str] = {}
        for name, value in self.pairs:
            out.setdefault(name, value)
        return out

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


@dataclass
class Handler:
    """The endpoint's state: what it received and how it answers (``mode``)."""

    secret: str
    url: str = ""
    mode: str = "receipt"  # receipt | none | wrong | status500 | hang | md5
    algorithm: str = "sha3-256"
    hang_seconds: float = 30.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 10.0, path: str | None = None) -> list[Received]:
        """The requests received (to ``path``, if given), once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = [r for r in self.received if path is None or r.path == path]
            if len(got) >= count or time.monotonic() > deadline:
                assert len(got) >= count, f"{len(got)} requests to {path or self.url}, expected {count}: {got}"
                return got
            time.sleep(0.02)

    def answer(self, path: str, pairs: list[tuple[str, str]]) -> tuple[int, str]:
        kind = "LCN" if path.endswith("lcn") else "IPN"
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
            return 200, "late"
        if self.mode == "none":
            return 200, "OK"
        if self.mode == "status500":
            return 500, receipt(kind, pairs, self.secret, self.algorithm)
        if self.mode == "wrong":
            return 200, receipt(kind, pairs, "not-the-secret", self.algorithm)
        return 200, receipt(kind, pairs, self.secret, "md5" if self.mode == "md5" else self.algorithm)


@contextmanager
def running_handler(secret: str, port: int = 0) -> Iterator[Handler]:
    """A handler on ``port`` of 127.0.0.1 (a free one unless given: a test that starts it where
    twoco's URLs already point), its paths ending in ``/ipn`` or ``/lcn``, until the block ends."""
    state = Handler(secret)

    class Endpoint(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self._send(200, "")

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            with state.lock:
                headers = {name.lower(): value for name, value in self.headers.items()}
                state.received.append(Received(self.path, body, pairs, time.time(), headers))
            status, text = state.answer(self.path, pairs)
            self._send(status, text)

        def _send(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # twoco gave up waiting
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Endpoint)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
