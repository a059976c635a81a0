"""Slow and stuck clients, and stopping: deadlines for requests, and SIGTERM finishing what is in flight."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import httpx
import pytest

from tests.clients import now_utc
from tests.clients.api import JsonRpcApi
from tests.servers import start_server, store_with_merchants
from twoco.core.auth import login_hash

pytestmark = pytest.mark.slow  # slow clients, timed out in real time

CODE, SECRET = "PATIENT", "patient-secret-key"


def new_store(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/slow.sqlite3"
    return store_with_merchants(url, {CODE: SECRET})


def connect(server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_one_answer(sock: socket.socket) -> bytes:
    """One answer on a connection that stays open: its head, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1]
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def login_body() -> bytes:
    date = now_utc()
    params = [CODE, date, login_hash(SECRET, CODE, date, "md5")]
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "login", "params": params}).encode()


def post_head(length: int) -> bytes:
    return (
        f"POST /rpc/4.0/ HTTP/1.1\r\nHost: twoco\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def stop(server) -> None:
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def test_slow_clients_do_not_stall_the_others(tmp_path) -> None:
    server = start_server(tmp_path, new_store(tmp_path))
    slow: list[socket.socket] = []
    stop_trickling = threading.Event()
    try:
        request = b"GET /_twoco/health HTTP/1.1\r\nHost: twoco\r\nX-Padding: " + b"x" * 1000
        for number in range(150):  # headers a byte at a time, or a body a byte at a time
            sock = connect(server)
            sock.sendall(b"" if number % 2 else post_head(1000))
            slow.append(sock)

        def trickle() -> None:
            for position in range(len(request)):
                for sock in slow:
                    sock.sendall(request[position : position + 1])
                if stop_trickling.wait(0.2):
                    return

        trickler = threading.Thread(target=trickle)
        trickler.start()
        time.sleep(1)
        for _ in range(3):
            started = time.monotonic()
            api = JsonRpcApi(server.base_url, CODE, SECRET, "4.0")
            with pytest.raises(Exception, match="CUSTOMER_NOT_FOUND"):
                api.call("getCustomerInformation", 123456789, None)
            api.close()
            assert time.monotonic() - started < 2, "a normal call waited behind slow clients"
        stop_trickling.set()
        trickler.join()
    finally:
        stop_trickling.set()
        for sock in slow:
            sock.close()
        stop(server)


def test_headers_and_bodies_have_a_deadline(tmp_path) -> None:
    server = start_server(tmp_path, new_store(tmp_path), "--read-timeout", "1")
    try:
        silent = connect(server)
        trickling = connect(server)
        for byte in b"GET /_two":  # a byte every 0.1 s, for most of the second it has
            trickling.sendall(bytes([byte]))
            time.sleep(0.1)
        slow_body = connect(server)
        slow_body.sendall(post_head(500) + b"{")
        started = time.monotonic()
        answers = [read_answer(sock) for sock in (silent, trickling, slow_body)]  # each closed by the server
        assert time.monotonic() - started < 5
        for answer in answers:
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
            assert json.loads(body)["error_code"] == "REQUEST_TIMEOUT"

        keep_alive = connect(server)  # every request on a kept-alive connection gets the deadline afresh
        for _ in range(3):
            keep_alive.sendall(b"GET /_twoco/health HTTP/1.1\r\nHost: twoco\r\n\r\n")
            assert read_one_answer(keep_alive).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.7)
        keep_alive.close()
        for sock in (silent, trickling, slow_body):
            sock.close()
    finally:
        stop(server)


def in_flight_login(server) -> tuple[socket.socket, bytes]:
    """A login whose body is half sent: the request is in flight until the rest follows."""
    body = login_body()
    sock = connect(server)
    sock.sendall(post_head(len(body)) + body[: len(body) // 2])
    return sock, body[len(body) // 2 :]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_finishes_requests_in_flight_then_exits_0(tmp_path, workers) -> None:
    server = start_server(tmp_path, new_store(tmp_path), "--workers", workers)
    try:
        in_flight = [in_flight_login(server) for _ in range(4)]  # with 2 workers, on either of them
        stalled = connect(server)
        stalled.sendall(b"GET /_twoco/hea")  # half a request line: nothing to finish
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        with pytest.raises(httpx.TransportError):  # no longer accepting connections
            httpx.get(f"{server.base_url}/_twoco/health", timeout=5)
        for sock, rest in in_flight:
            sock.sendall(rest)
            head, _, body = read_answer(sock).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            assert len(json.loads(body)["result"]) == 32  # a whole answer: a session ID
            sock.close()
        assert server.process.wait(15) == 0
        stalled.close()
    finally:
        stop(server)
