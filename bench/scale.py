"""How twoco scales with the size of its store.

    python bench/scale.py [--large 1000000] [--stores sqlite,postgresql]

For each store kind it measures, against `twoco serve`:
- getCustomerInformation and updateCustomerInformation latency (p50 and p99 of sequential
  JSON-RPC calls on random customers) with 1,000 customers and with --large customers,
  and their ratio;
- one updateCustomerInformation with the end-user push for a customer with 10,000
  subscriptions (median of 5);
- the server's resident memory (VmRSS) after serving the large store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from run import CODE, SECRET, free_port, wait_until_up  # noqa: E402

from twoco.core.auth import login_hash  # noqa: E402
from twoco.store import open_store  # noqa: E402
from twoco.store.bulk import populate  # noqa: E402

CALLS = 2000


def new_store(kind: str, tmp: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/{name}.sqlite3"
    admin = (tmp / "admin-url").read_text().strip()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + "/" + name


def filled(url: str, customers: int, subscriptions: int = 1) -> list[int]:
    store = open_store(url)
    store.migrate()
    if store.merchant(CODE) is None:
        store.add_merchant(CODE, SECRET, "2026-01-01T00:00:00+00:00")
    started = time.monotonic()
    populate(store, store.merchant(CODE).id, customers, subscriptions, random.Random(customers))
    print(f"  seeded {customers:,} customers x {subscriptions} in {time.monotonic() - started:.0f} s", flush=True)
    with store.transaction(write=False) as cursor:
        sample = [
            row[0]
            for row in cursor.execute("SELECT reference FROM customers ORDER BY reference").fetchall()[
                :: max(customers // 500, 1)
            ]
        ]
    store.close()
    # The seed leaves hundreds of megabytes for the kernel to write back: done now, not while
    # latencies are measured (they came out up to 1.8x slower on the large store otherwise).
    os.sync()
    return sample


class Served:
    def __init__(self, url: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twoco", "serve", "--port", str(self.port), "--db", url], stdout=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_until_up(f"{self.base}/_twoco/health")
        self.http = httpx.Client(base_url=f"{self.base}/rpc/4.0/")
        date = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        self.session = self.rpc("login", CODE, date, login_hash(SECRET, CODE, date), session=False)

    def rpc(self, method: str, *params: object, session: bool = True) -> object:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            "params": [self.session, *params] if session else list(params),
        }
        answer = self.http.post("", content=json.dumps(body), headers={"Content-Type": "application/json"}).json()
        if "error" in answer:
            raise SystemExit(f"{method}: {answer['error']}")
        return answer["result"]

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(15)


def latencies(served: Served, references: list[int]) -> dict[str, tuple[float, float]]:
    rng = random.Random(7)
    timings: dict[str, list[float]] = {"get": [], "update": []}
    for index in range(CALLS):
        reference = rng.choice(references)
        started = time.perf_counter()
        served.rpc("getCustomerInformation", reference)
        timings["get"].append(time.perf_counter() - started)
        started = time.perf_counter()
        served.rpc("updateCustomerInformation", {"AvangateCustomerReference": reference, "Phone": str(index)}, False)
        timings["update"].append(time.perf_counter() - started)
    return {
        name: (statistics.median(values) * 1000, statistics.quantiles(values, n=100)[98] * 1000)
        for name, values in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", type=int, default=1_000_000, help="customers in the large store")
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="twoco-scale-"))
    for kind in args.stores.split(","):
        if kind == "postgresql":
            admin = subprocess.run([str(ROOT / "scripts" / "postgres-cluster"), "start", str(tmp / "pg")],
                                   capture_output=True, text=True, check=True).stdout  # fmt: skip
            (tmp / "admin-url").write_text(admin)
        try:
            print(f"{kind}:", flush=True)
            figures = {}
            for label, size in (("small", 1000), ("large", args.large)):
                url = new_store(kind, tmp, f"scale_{label}")
                references = filled(url, size)
                served = Served(url)
                figures[label] = latencies(served, references)
                if label == "large":
                    rss = served.rss_mb()
                served.stop()
            for name in ("get", "update"):
                (small50, small99), (large50, large99) = figures["small"][name], figures["large"][name]
                print(f"  {name}: p50 {small50:.2f} ms at 1,000 vs {large50:.2f} ms at {args.large:,} "
                      f"(x{large50 / small50:.2f}); p99 {small99:.2f} vs {large99:.2f} ms "
                      f"(x{large99 / small99:.2f})")  # fmt: skip
            print(f"  server RSS after serving {args.large:,} customers: {rss:.0f} MB")
            url = new_store(kind, tmp, "scale_push")
            (owner,) = filled(url, 1, 10_000)
            served = Served(url)
            timings = []
            for attempt in range(5):
                started = time.perf_counter()
                served.rpc(
                    "updateCustomerInformation", {"AvangateCustomerReference": owner, "City": f"C{attempt}"}, True
                )
                timings.append(time.perf_counter() - started)
            subscriptions = served.rpc("getCustomerSubscriptions", owner)
            assert all(s["EndUser"]["City"] == "C4" for s in subscriptions) and len(subscriptions) == 10_000
            served.stop()
            print(f"  update with the end-user push, 10,000 subscriptions: median {statistics.median(timings):.3f} s")
        finally:
            if kind == "postgresql":
                subprocess.run([str(ROOT / "scripts" / "postgres-cluster"), "stop", str(tmp / "pg")], check=False)


if __name__ == "__main__":
    main()
