"""The request on the wire: a limit on the headers' size, and refusals a client can read."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.clients import SudsClient
from tests.server.test_slow_clients import read_answer
from twoco.server.wire import LINGER_SECONDS, MAX_HEADER_BYTES

FIVE_MIB = 5 * 1024 * 1024


def connect(server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def health_request(padding: int, close: bool = True) -> bytes:
    """A GET of /_twoco/health whose request line and headers take ``padding`` bytes more than the bare request."""
    return (
        b"GET /_twoco/health HTTP/1.1\r\nHost: twoco\r\nX-Padding: "
        + b"p" * padding
        + b"\r\n"
        + (b"Connection: close\r\n" if close else b"")
        + b"\r\n"
    )


def status_and_body(answer: bytes) -> tuple[bytes, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


class Answers:
    """The answers to requests sent on one connection, in turn (pipelined answers arrive together)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""

    def next(self) -> bytes:
        while b"\r\n\r\n" not in self.data:
            self.data += self.sock.recv(65536)
        head, _, rest = self.data.partition(b"\r\n\r\n")
        lines = head.lower().split(b"\r\n")
        length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:"))
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.data = rest[length:]
        return head + b"\r\n\r\n" + rest[:length]


def rss_kib(server) -> int:
    with open(f"/proc/{server.process.pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


@pytest.mark.parametrize("padding", [MAX_HEADER_BYTES - 1000, MAX_HEADER_BYTES + 1000, 100 * 1024])
def test_headers_over_the_limit_are_answered_431(server, padding) -> None:
    sock = connect(server)
    started = time.monotonic()
    sock.sendall(health_request(padding))
    status, body = status_and_body(read_answer(sock))
    sock.close()
    assert time.monotonic() - started < 2
    if padding < MAX_HEADER_BYTES:
        assert status.startswith(b"HTTP/1.1 200 ")
    else:
        assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
        refusal = json.loads(body)
        assert refusal["error_code"] == "REQUEST_HEADER_TOO_LARGE" and f"{MAX_HEADER_BYTES} bytes" in refusal["message"]
    assert server.get("/_twoco/health").status_code == 200


def test_a_huge_header_is_refused_after_the_limit(server) -> None:
    """64 MiB of header: refused once 64 KiB are in, not read, parsed and kept first."""
    before = rss_kib(server)
    for _ in range(3):
        sock = connect(server)
        started = time.monotonic()
        try:
            sock.sendall(health_request(64 * 1024 * 1024))
        except OSError:  # the server stopped reading: that is the point
            pass
        try:
            answer = read_answer(sock)
        except ConnectionResetError:
            answer = b""
        sock.close()
        assert time.monotonic() - started < 2
        assert not answer or status_and_body(answer)[0].startswith(b"HTTP/1.1 431 ")
    assert rss_kib(server) - before < 20 * 1024  # each 64 MiB header once cost ~60 MiB
    assert server.get("/_twoco/health").status_code == 200


def test_small_pipelined_requests_and_large_bodies_are_not_counted_as_headers(server) -> None:
    sock = connect(server)
    requests = 300  # 300 requests of ~250 bytes: more than the limit, in one write
    sock.sendall(health_request(200, close=False) * requests)
    answers = Answers(sock)
    for _ in range(requests):
        assert answers.next().startswith(b"HTTP/1.1 200 ")
    # Headers just under the limit and a 900 KB body, in one write: a whole request, read.
    body = b"[" + b" " * 900_000 + b"]"
    head = (
        f"POST /rpc/4.0/ HTTP/1.1\r\nHost: twoco\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Padding: {'p' * (MAX_HEADER_BYTES - 200)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)
    status, answer = status_and_body(answers.next())
    assert status.startswith(b"HTTP/1.1 200 ")
    assert json.loads(answer)["error"]["data"]["error_code"] == "INVALID_REQUEST"  # read: an empty batch
    sock.close()


@pytest.mark.parametrize("path", ["/soap/6.0/", "/rpc/6.0/", "/rest/6.0/customers/"])
def test_a_client_that_sends_the_whole_body_first_reads_the_413(server, path) -> None:
    """urllib (and suds, which uses it) write the whole body before reading the answer."""
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(server.base_url + path, data=b"x" * FIVE_MIB, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error_code"] == "REQUEST_TOO_LARGE"

    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)  # keep-alive; the body in one sendall
    connection.request("POST", path, body=b"x" * FIVE_MIB, headers=headers)
    answer = connection.getresponse()
    assert answer.status == 413 and json.loads(answer.read())["error_code"] == "REQUEST_TOO_LARGE"
    assert answer.getheader("connection") == "close"
    connection.close()
    assert server.get("/_twoco/health").status_code == 200


def test_suds_reads_the_413_of_a_call_too_large(server) -> None:
    client = SudsClient(server.base_url)
    with pytest.raises(Exception) as refused:  # suds raises its HTTP status for an answer that is no SOAP envelope
        client.call("login", "x" * FIVE_MIB, "2026-01-01 00:00:00", "0" * 32)
    assert refused.value.args == ((413, "Request Entity Too Large"),)


@pytest.mark.slow  # waits out the lingering close
def test_lingering_is_bounded_in_time_and_bytes(server) -> None:
    head = f"POST /rpc/6.0/ HTTP/1.1\r\nHost: twoco\r\nContent-Length: {FIVE_MIB}\r\n\r\n".encode()
    slow = connect(server)
    slow.sendall(head)
    status, body = status_and_body(read_answer(slow))  # answered at once; the server shuts its side
    assert status.startswith(b"HTTP/1.1 413 ") and json.loads(body)["error_code"] == "REQUEST_TOO_LARGE"
    started = time.monotonic()
    with pytest.raises(OSError):  # a kilobyte every 0.1 s, until the server has had enough
        while time.monotonic() - started < LINGER_SECONDS + 5:
            slow.sendall(b"x" * 1024)
            time.sleep(0.1)
    assert LINGER_SECONDS - 1 < time.monotonic() - started < LINGER_SECONDS + 2
    slow.close()

    fast = connect(server)  # 64 MiB as fast as it goes: the server stops reading after its 32 MiB
    fast.settimeout(LINGER_SECONDS + 5)
    started = time.monotonic()
    with pytest.raises(OSError):
        fast.sendall(head + b"x" * (64 * 1024 * 1024))
    assert time.monotonic() - started < LINGER_SECONDS
    fast.close()
    assert server.get("/_twoco/health").status_code == 200
