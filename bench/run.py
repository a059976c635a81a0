"""Throughput and latency of twoco under load, against a ceiling measured in the same run.

    python bench/run.py [--duration 5] [--connections 16] [--stores sqlite,postgresql] [--workers 1,2]
                        [--repeat 1] [--only TEXT]

For each store it seeds 1,000 customers (one subscription each), starts `twoco serve`, and
drives it with wrk (Debian's `wrk`, a separate process with Lua-scripted bodies): login,
getCustomerInformation and updateCustomerInformation with the end-user push off and on, over
SOAP 4.0, JSON-RPC 4.0 and REST 6.0; placeOrder (the SDKs' dynamic TEST order) and getOrder over
REST 6.0 and JSON-RPC 6.0.

Two references are measured in the same run, served the same way (uvicorn, same settings, as
many processes): the ceiling, bench/ceiling.py, a bare endpoint answering a fixed SOAP response;
and, beside the SOAP update, two floors, bench/floor.py: one parses the same requests and writes
each with one durable UPDATE and nothing else (how much of the ceiling any durable update can
reach on this machine), the other only parses them. Results are printed as a Markdown table,
each throughput also as a share of the ceiling, since this machine is shared and noisy.

A last run paces SOAP updates at half their maximum rate and reports the p50 and p99 latency
there. Each connection pauses a random, exponentially distributed time between requests, so
arrivals form a Poisson process; a fixed pause would keep the connections in lockstep, arriving
in bursts as large as their number. With ``--workers 1,2`` everything is measured with one server
process and again with two (`twoco serve --workers 2`), the references then also served from two
processes. ``--repeat N`` measures each figure N times and reports the median run (by requests/s;
by p99 for the paced run). ``--only`` keeps the scenarios whose protocol or operation contains TEXT.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from twoco.core.auth import login_hash  # noqa: E402
from twoco.store import open_store  # noqa: E402
from twoco.store.bulk import populate  # noqa: E402

CODE, SECRET = "BENCH", "bench-secret-key"
# 2Checkout's SDK examples' TEST order: one dynamic monthly subscription, paid with the test card.
ORDER = {
    "Currency": "USD",
    "Language": "en",
    "BillingDetails": {"FirstName": "Bench", "LastName": "Mark", "Email": "bench@example.com", "CountryCode": "US"},
    "Items": [
        {
            "Name": "Dynamic product",
            "Quantity": 1,
            "IsDynamic": True,
            "PurchaseType": "PRODUCT",
            "Price": {"Amount": 100, "Type": "CUSTOM"},
            "RecurringOptions": {"CycleLength": 1, "CycleUnit": "MONTH", "CycleAmount": 12.2},
        }
    ],
    "PaymentDetails": {
        "Type": "TEST",
        "Currency": "USD",
        "PaymentMethod": {
            "CardNumber": "4111111111111111",
            "ExpirationYear": "2044",
            "ExpirationMonth": "12",
            "CCID": "123",
            "HolderName": "Bench Mark",
            "RecurringEnabled": True,
        },
    },
}
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:ns1="urn:order"><SOAP-ENV:Body>{}</SOAP-ENV:Body></SOAP-ENV:Envelope>'
)
# Updates carry this where a number goes; each request gets its own (per wrk thread), so that
# every update changes the customer (an UPDATE that changes nothing writes nothing to disk).
SERIAL = "########"
SERIAL_LUA = f"""
serial, thread_index = 0, 0
setup = function(thread) thread:set("offset", thread_index * 50000000); thread_index = thread_index + 1 end
numbered = function(text)
  serial = serial + 1
  return (string.gsub(text, "{SERIAL}", string.format("%08d", (offset or 0) + serial)))
end
"""
DONE = """
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "bad": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    bad: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answers at {url}")


def lua_script(requests: list[tuple[str, str, dict[str, str], str]], delay_ms: float = 0) -> str:
    """A wrk script cycling through (method, path, headers, body) requests."""
    lines = [SERIAL_LUA, "requests = {}"]
    for index, (method, path, headers, body) in enumerate(requests, 1):
        header_table = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        lines.append(
            f"requests[{index}] = wrk.format({json.dumps(method)}, {json.dumps(path)}, {{{header_table}}},"
            f" [==[{body}]==])"
        )
    lines.append("i = 0\nrequest = function() i = i % #requests + 1; return numbered(requests[i]) end")
    if delay_ms:
        # An exponential pause (a Poisson arrival process): a fixed one keeps the connections in
        # lockstep, so that they arrive together in bursts as large as their number.
        lines.append("init = function(args) math.randomseed(os.time() + (offset or 0)) end")
        lines.append(f"delay = function() return -math.log(1 - math.random()) * {delay_ms:.3f} end")
    return "\n".join(lines) + DONE


def run_wrk(
    url: str, script: str, args: argparse.Namespace, tmp: Path, median_of: str = "requests_per_second"
) -> Result:
    """The median, by ``median_of``, of ``args.repeat`` wrk runs (a shared machine has bad seconds)."""
    runs = [_one_wrk_run(url, script, args, tmp) for _ in range(args.repeat)]
    return sorted(runs, key=lambda run: getattr(run, median_of))[len(runs) // 2]


def _one_wrk_run(url: str, script: str, args: argparse.Namespace, tmp: Path) -> Result:
    path = tmp / f"script-{random.getrandbits(32)}.lua"
    path.write_text(script)
    done = subprocess.run(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "-s", str(path), url],
        capture_output=True,
        text=True,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {done.stdout}{done.stderr}")
    data = json.loads(line.removeprefix("RESULT "))
    return Result(
        data["requests"] / (data["duration_us"] / 1e6), data["p50_us"] / 1000, data["p99_us"] / 1000, data["bad"]
    )


def fsync_latency(tmp: Path, count: int = 200) -> tuple[float, float]:
    """p50 and p99 (ms) of fdatasync after overwriting 4 KiB in the bench directory: what a durable
    commit costs on this disk right now (shared machines vary widely)."""
    path = tmp / "fsync-probe"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.write(fd, b"\0" * 4096 * count)
        os.fsync(fd)
        times = []
        for index in range(count):
            os.pwrite(fd, os.urandom(4096), 4096 * index)
            started = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    times.sort()
    return times[count // 2], times[count * 99 // 100]


def soap(operation: str, parts: str) -> str:
    return ENVELOPE.format(f"<ns1:{operation}>{parts}</ns1:{operation}>")


def scenarios(base: str, references: list[int]) -> dict[tuple[str, str], list[tuple[str, str, dict[str, str], str]]]:
    """The request lists per (protocol, operation)."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    md5, sha = login_hash(SECRET, CODE, date), login_hash(SECRET, CODE, date, "sha256")
    xml, js = {"Content-Type": "text/xml; charset=utf-8"}, {"Content-Type": "application/json"}
    rest_auth = {**js, "X-Avangate-Authentication": f'code="{CODE}" date="{date}" hash="{sha}" algo="sha256"'}
    soap_login = soap("login", f"<a>{CODE}</a><b>{date}</b><c>{md5}</c>")
    session = httpx.post(f"{base}/soap/4.0/", content=soap_login, headers=xml).text.split('xsd:string">')[1][:32]
    rpc_login = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": [CODE, date, md5]}
    rpc_session = httpx.post(f"{base}/rpc/4.0/", json=rpc_login).json()["result"]

    def rpc(method: str, *params: object) -> str:
        return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": [rpc_session, *params]})

    rpc6_login = {"jsonrpc": "2.0", "id": 1, "method": "login", "params": [CODE, date, sha, "sha256"]}
    rpc6_session = httpx.post(f"{base}/rpc/6.0/", json=rpc6_login).json()["result"]

    def rpc6(method: str, *params: object) -> str:
        return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": [rpc6_session, *params]})

    def change(index: int) -> dict[str, object]:
        return {"Phone": f"+1 {SERIAL}", "City": f"City{index % 97}"}

    sample = references[:200]
    table: dict[tuple[str, str], list] = {
        ("soap 4.0", "login"): [("POST", "/soap/4.0/", xml, soap_login)],
        ("jsonrpc 4.0", "login"): [("POST", "/rpc/4.0/", js, json.dumps(rpc_login))],
    }
    table[("soap 4.0", "getCustomerInformation")] = [
        ("POST", "/soap/4.0/", xml, soap("getCustomerInformation", f"<s>{session}</s><r>{ref}</r>")) for ref in sample
    ]
    table[("jsonrpc 4.0", "getCustomerInformation")] = [
        ("POST", "/rpc/4.0/", js, rpc("getCustomerInformation", ref)) for ref in sample
    ]
    table[("rest 6.0", "getCustomerInformation")] = [
        ("GET", f"/rest/6.0/customers/{ref}/", rest_auth, "") for ref in sample
    ]
    for push in (False, True):
        name = f"updateCustomerInformation push={'on' if push else 'off'}"
        table[("soap 4.0", name)] = [
            (
                "POST", "/soap/4.0/", xml,
                soap("updateCustomerInformation", f"<s>{session}</s><c><AvangateCustomerReference>{ref}"
                     f"</AvangateCustomerReference><Phone>{change(i)['Phone']}</Phone><City>{change(i)['City']}</City>"
                     f"</c><p>{'true' if push else 'false'}</p>"),
            )
            for i, ref in enumerate(sample)
        ]  # fmt: skip
        table[("jsonrpc 4.0", name)] = [
            (
                "POST",
                "/rpc/4.0/",
                js,
                rpc("updateCustomerInformation", {"AvangateCustomerReference": ref, **change(i)}, push),
            )
            for i, ref in enumerate(sample)
        ]
        table[("rest 6.0", name)] = [
            (
                "PUT",
                f"/rest/6.0/customers/{ref}/?UpdateEndUserSubscriptions={str(push).lower()}",
                rest_auth,
                json.dumps(change(i)),
            )
            for i, ref in enumerate(sample)
        ]
    # Orders: the SDKs' dynamic TEST order placed (it completes by its next read, beside the
    # requests), and orders placed beforehand read back, complete with their subscription.
    order = json.dumps(ORDER)
    table[("rest 6.0", "placeOrder")] = [("POST", "/rest/6.0/orders/", rest_auth, order)]
    table[("jsonrpc 6.0", "placeOrder")] = [("POST", "/rpc/6.0/", js, rpc6("placeOrder", ORDER))]
    placed = [
        httpx.post(f"{base}/rest/6.0/orders/", content=order, headers=rest_auth).json()["RefNo"] for _ in range(50)
    ]
    table[("rest 6.0", "getOrder")] = [("GET", f"/rest/6.0/orders/{ref_no}/", rest_auth, "") for ref_no in placed]
    table[("jsonrpc 6.0", "getOrder")] = [("POST", "/rpc/6.0/", js, rpc6("getOrder", ref_no)) for ref_no in placed]
    return table


def prepare_store(kind: str, tmp: Path) -> tuple[str, list[int]]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        admin = subprocess.run(
            [str(ROOT / "scripts" / "postgres-cluster"), "start", str(tmp / "pg")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        import psycopg

        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE bench")
        url = admin.rsplit("/", 1)[0] + "/bench"
    store = open_store(url)
    store.migrate()
    store.add_merchant(CODE, SECRET, "2026-01-01T00:00:00+00:00")
    populate(store, store.merchant(CODE).id, 1000, 1, random.Random(1), out=open("/dev/null", "w"))
    with store.transaction(write=False) as cursor:
        references = [row[0] for row in cursor.execute("SELECT reference FROM customers").fetchall()]
    store.close()
    random.Random(2).shuffle(references)
    return url, references


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", default="1", help="comma-separated server process counts, e.g. 1,2")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the median is reported")
    parser.add_argument("--only", default="", help="only scenarios whose protocol or operation contains this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    print("| store | processes | protocol | operation | req/s | p50 ms | p99 ms | ceiling req/s | share of ceiling |")
    print("|---|---|---|---|---|---|---|---|---|")
    tmp = Path(tempfile.mkdtemp(prefix="twoco-bench-"))
    try:
        p50, p99 = fsync_latency(tmp)
        print(
            f"| disk | | | fdatasync of 4 KiB (what a durable commit waits for) | | {p50:.2f} | {p99:.2f} | | |",
            flush=True,
        )
        for kind in args.stores.split(","):
            url, references = prepare_store(kind, tmp)
            try:
                for workers in (int(count) for count in args.workers.split(",")):
                    bench_server(kind, url, references, workers, args, tmp)
            finally:
                if kind == "postgresql":
                    subprocess.run([str(ROOT / "scripts" / "postgres-cluster"), "stop", str(tmp / "pg")], check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


FLOOR = "floor: parse, one UPDATE, durable commit, nothing else (bench/floor.py)"
PARSE_ONLY = "floor: parse only, no store (bench/floor.py none)"


def bench_server(kind: str, url: str, references: list[int], workers: int, args: argparse.Namespace, tmp: Path) -> None:
    """Every scenario against `twoco serve --workers N` and against the ceiling served the same way."""
    ceiling_port, port = free_port(), free_port()
    ceiling = subprocess.Popen([sys.executable, str(ROOT / "bench" / "ceiling.py"), str(ceiling_port), str(workers)])
    floors = {  # port: (process, what it does)
        (floor_port := free_port()): (
            subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor.py"), str(floor_port), store, str(workers)]),
            what,
        )
        for store, what in ((url, FLOOR), ("none", PARSE_ONLY))
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "twoco", "serve", "--port", str(port), "--db", url, "--login-window", "3600",
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"http://127.0.0.1:{ceiling_port}/")
        for floor_port in floors:
            wait_until_up(f"http://127.0.0.1:{floor_port}/")
        wait_until_up(f"{base}/_twoco/health")
        rows = []
        table = scenarios(base, references)
        for (protocol, operation), requests in table.items():
            if args.only not in f"{protocol} {operation}":
                continue
            ceiling_result = run_wrk(f"http://127.0.0.1:{ceiling_port}/", lua_script(requests[:1]), args, tmp)
            result = run_wrk(base + "/", lua_script(requests), args, tmp)
            rows.append((kind, workers, protocol, operation, result, ceiling_result))
            print(_row(*rows[-1]), flush=True)
            if (protocol, operation) == ("soap 4.0", "updateCustomerInformation push=off"):
                for floor_port, (_, what) in floors.items():
                    least = run_wrk(f"http://127.0.0.1:{floor_port}/", lua_script(requests), args, tmp)
                    print(_row(kind, workers, protocol, what, least, ceiling_result), flush=True)
        soap_update = table[("soap 4.0", "updateCustomerInformation push=off")]
        most = next((r[4] for r in rows if r[2] == "soap 4.0" and r[3].endswith("push=off")), None)
        if most is None:
            return
        # Each connection waits `delay` after each answer: connections / delay ~ half the maximum rate.
        delay_ms = args.connections / (most.requests_per_second / 2) * 1000
        paced = run_wrk(base + "/", lua_script(soap_update, delay_ms), args, tmp, median_of="p99_ms")
        print(
            f"| {kind} | {workers} | soap 4.0 | updateCustomerInformation paced at half the maximum "
            f"({paced.requests_per_second:,.0f}/s) | p50 {paced.p50_ms:.2f} ms | p99 {paced.p99_ms:.2f} ms | | |",
            flush=True,
        )
    finally:
        for process in (server, ceiling, *(process for process, _ in floors.values())):
            process.terminate()
            process.wait(15)


def _row(kind: str, workers: int, protocol: str, operation: str, result: Result, ceiling: Result) -> str:
    share = result.requests_per_second / ceiling.requests_per_second
    bad = f" ({result.bad} bad)" if result.bad else ""
    return (
        f"| {kind} | {workers} | {protocol} | {operation} | {result.requests_per_second:,.0f}{bad} | "
        f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {ceiling.requests_per_second:,.0f} | {share:.0%} |"
    )


if __name__ == "__main__":
    main()
