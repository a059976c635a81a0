"""twoco against what a PHP shop would write, side by side in one run (issue 14's yardstick).

    python bench/compare.py [--stores sqlite,postgresql] [--duration 8] [--connections 32] [--rounds 3]

The peer (bench/peer/soap-server.php) is ext-soap's SoapServer on twoco's own API 4.0 WSDL, with
a session check, the same required fields and PDO prepared statements on a persistent
connection, under php-fpm (4 static workers) behind nginx, on the same store and data as twoco:
SQLite in WAL mode with synchronous=FULL, or PostgreSQL with synchronous_commit on. twoco runs as
`twoco serve --workers 2`. Both get the bodies PHP's SoapClient sends (bench/peer/capture.php
records them from twoco), every update changing the customer, under the same wrk load (2 threads),
alternating twoco, peer, twoco, peer… for --rounds rounds; the medians and twoco/peer ratios are
printed with the parse-only floor (bench/floor.py) measured in the same run, the machine's load and
its fdatasync latency. It installs what it lacks (Debian's nginx, php-fpm, php-sqlite3, php-pgsql,
wrk) when run as root.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from run import (  # noqa: E402  (bench/run.py: the store, wrk and its Lua)
    CODE,
    ROOT,
    SECRET,
    SERIAL,
    Result,
    free_port,
    fsync_latency,
    lua_script,
    prepare_store,
    run_wrk,
    wait_until_up,
)

from twoco.core.auth import login_hash  # noqa: E402

PEER = Path(__file__).parent / "peer"
PACKAGES = {"nginx": "nginx-light", "php-fpm8.2": "php-fpm", "wrk": "wrk"}
OPERATIONS = ("getCustomerInformation", "updateCustomerInformation")


def install_what_is_missing() -> None:
    missing = [package for command, package in PACKAGES.items() if shutil.which(command) is None]
    for module, package in (("pdo_sqlite", "php-sqlite3"), ("pdo_pgsql", "php-pgsql")):
        if module not in subprocess.run(["php", "-m"], capture_output=True, text=True).stdout:
            missing.append(package)
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"bench/compare.py needs: apt-get install {' '.join(missing)}")
    print(f"installing {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def php_dsn(url: str) -> str:
    """The PDO DSN of a twoco store URL."""
    if url.startswith("sqlite:///"):
        return "sqlite:" + url.removeprefix("sqlite:///")
    match = re.fullmatch(r"postgres(?:ql)?://([^@/]+)@([^:/]+):(\d+)/(\w+)", url)
    if match is None:
        raise SystemExit(f"cannot make a PDO DSN of {url}")
    user, host, port, name = match.groups()
    return f"pgsql:host={host};port={port};dbname={name};user={user}"


def start_peer(url: str, wsdl: Path, port: int, tmp: Path) -> list[subprocess.Popen]:
    """php-fpm (4 static workers) and nginx in front of it, on ``port``."""
    socket = tmp / "php-fpm.sock"
    (tmp / "php-fpm.conf").write_text(
        f"[global]\nerror_log = {tmp}/php-fpm.log\ndaemonize = no\n"
        f"[peer]\nuser = root\nlisten = {socket}\nlisten.mode = 0666\npm = static\npm.max_children = 4\n"
        # Quoted: in the pool's INI, ";" starts a comment (and PostgreSQL's DSN holds some).
        f'clear_env = no\nenv[TWOCO_PEER_DSN] = "{php_dsn(url)}"\nenv[TWOCO_PEER_WSDL] = "{wsdl}"\n'
        "php_admin_value[soap.wsdl_cache_dir] = /tmp\n"
    )
    (tmp / "nginx.conf").write_text(
        f"user root;\nworker_processes 1;\ndaemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp}/body;\n  fastcgi_temp_path {tmp}/fastcgi;\n"
        f"  proxy_temp_path {tmp}/proxy;\n  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n"
        f"  upstream php {{ server unix:{socket}; keepalive 16; }}\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      include /etc/nginx/fastcgi_params;\n"
        f"      fastcgi_param SCRIPT_FILENAME {PEER / 'soap-server.php'};\n      fastcgi_keep_conn on;\n"
        "      fastcgi_pass php;\n    }\n  }\n}\n"
    )
    fpm = subprocess.Popen(
        ["php-fpm8.2", "-R", "-F", "-y", str(tmp / "php-fpm.conf")], stderr=subprocess.DEVNULL
    )  # logs to php-fpm.log
    nginx = subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], stderr=subprocess.DEVNULL)
    return [nginx, fpm]


def soapclient_bodies(wsdl_url: str) -> dict[str, str]:
    """What PHP's SoapClient sends for login, getCustomerInformation and updateCustomerInformation."""
    done = subprocess.run(
        ["php", str(PEER / "capture.php"), wsdl_url, CODE, SECRET], capture_output=True, text=True, check=True
    )
    bodies: dict[str, str] = {}
    for line in done.stdout.splitlines():
        bodies.update(json.loads(line))
    return bodies


def login(base: str, bodies: dict[str, str]) -> str:
    """A new session on the server at ``base``, logging in as SoapClient does."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    body = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", date, bodies["login"])
    body = re.sub(r"(<hash[^>]*>)[0-9a-f]{32}", rf"\g<1>{login_hash(SECRET, CODE, date)}", body)
    answer = httpx.post(base, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    found = re.search(r"<return[^>]*>([0-9a-f]{32})</return>", answer.text)
    if found is None:
        raise SystemExit(f"login at {base} failed: {answer.status_code} {answer.text[:300]}")
    return found.group(1)


def requests_for(operation: str, bodies: dict[str, str], session: str, references: list[int], path: str) -> list:
    template = bodies["get" if operation == "getCustomerInformation" else "update"].replace(bodies["session"], session)
    # wrk.format sends no Host unless told, and HTTP/1.1 requires one (nginx answers 400 without).
    headers = {"Host": "127.0.0.1", "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"urn:order#{operation}"'}
    return [
        ("POST", path, headers, template.replace("123456789", str(ref)).replace("CITY", f"City{i % 97}"))
        for i, ref in enumerate(references[:200])
    ]


def compare(kind: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    tmp.mkdir(mode=0o755)
    url, references = prepare_store(kind, tmp)
    twoco_port, peer_port, floor_port = free_port(), free_port(), free_port()
    twoco = subprocess.Popen(
        [sys.executable, "-m", "twoco", "serve", "--port", str(twoco_port), "--db", url, "--workers", "2",
         "--login-window", "3600", "--no-access-log", "--no-control-plane", "--login-throttle", "off"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    floor = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor.py"), str(floor_port), "none", "2"])
    processes = [twoco, floor]
    try:
        wait_until_up(f"http://127.0.0.1:{twoco_port}/_twoco/health")
        wsdl = tmp / "peer.wsdl"
        wsdl.write_bytes(httpx.get(f"http://127.0.0.1:{twoco_port}/soap/4.0/?wsdl").content)
        processes += start_peer(url, wsdl, peer_port, tmp)
        wait_until_up(f"http://127.0.0.1:{peer_port}/")
        wait_until_up(f"http://127.0.0.1:{floor_port}/")
        bodies = soapclient_bodies(f"http://127.0.0.1:{twoco_port}/soap/4.0/?wsdl")
        bodies["update"] = bodies["update"].replace("+1 ########", f"+1 {SERIAL}")
        targets = {
            "twoco": f"http://127.0.0.1:{twoco_port}/soap/4.0/",
            "peer": f"http://127.0.0.1:{peer_port}/",
        }
        sessions = {name: login(base, bodies) for name, base in targets.items()}
        rows = []
        for operation in OPERATIONS:
            runs: dict[str, list[Result]] = {"twoco": [], "peer": [], "floor": []}
            for _ in range(args.rounds):  # A B A B …: a noisy minute hurts both alike
                for name, base in targets.items():
                    script = lua_script(
                        requests_for(operation, bodies, sessions[name], references, httpx.URL(base).path)
                    )
                    runs[name].append(run_wrk(base, script, args, tmp))
                if operation == "updateCustomerInformation":
                    script = lua_script(requests_for(operation, bodies, sessions["twoco"], references, "/"))
                    runs["floor"].append(run_wrk(f"http://127.0.0.1:{floor_port}/", script, args, tmp))
            rows.append(_row(kind, operation, runs))
            print(rows[-1], flush=True)
        rows.append(
            _paced(
                kind,
                args,
                tmp,
                base=targets["twoco"],
                most=_median(runs["twoco"], "requests_per_second"),
                requests=requests_for(OPERATIONS[-1], bodies, sessions["twoco"], references, "/soap/4.0/"),
            )
        )
        print(rows[-1], flush=True)
        return rows
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)
        if kind == "postgresql":
            subprocess.run([str(ROOT / "scripts" / "postgres-cluster"), "stop", str(tmp / "pg")], check=False)


def _paced(kind: str, args: argparse.Namespace, tmp: Path, base: str, most: float, requests: list) -> str:
    """twoco's SOAP update at half its maximum rate, Poisson arrivals: the latency a service sees
    when it is not saturated (each connection pauses an exponential time after each answer)."""
    delay_ms = args.connections / (most / 2) * 1000
    paced = run_wrk(base, lua_script(requests, delay_ms), args, tmp)
    return (
        f"| {kind} | updateCustomerInformation, twoco paced at half its maximum ({paced.requests_per_second:,.0f}/s)"
        f" | p50 {paced.p50_ms:.1f} ms | p99 {paced.p99_ms:.1f} ms | | | |"
    )


def _median(results: list[Result], field: str) -> float:
    return statistics.median(getattr(result, field) for result in results)


def _row(kind: str, operation: str, runs: dict[str, list[Result]]) -> str:
    twoco, peer = (_median(runs[name], "requests_per_second") for name in ("twoco", "peer"))
    bad = ", ".join(f"{name} {count}" for name, results in runs.items() if (count := sum(r.bad for r in results)))
    floor = ""
    if runs["floor"]:
        least = _median(runs["floor"], "requests_per_second")
        floor = f"{least:,.0f} ({twoco / least:.0%})"
    return (
        f"| {kind} | {operation} | {twoco:,.0f} | {peer:,.0f} | **{twoco / peer:.2f}x** | "
        f"{_median(runs['twoco'], 'p99_ms'):.1f} / {_median(runs['peer'], 'p99_ms'):.1f} | {floor} |"
        + (f" bad answers: {bad} |" if bad else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--duration", type=int, default=8, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="twoco/peer alternations per operation")
    args = parser.parse_args()
    args.repeat = 1  # run_wrk's own repetition: the rounds do it here
    install_what_is_missing()
    with tempfile.TemporaryDirectory(prefix="twoco-compare-") as folder:
        tmp = Path(folder)
        os.chmod(tmp, 0o755)  # the PostgreSQL cluster's user reaches its folder
        p50, p99 = fsync_latency(tmp)
        load = os.getloadavg()[0]
        print(
            f"machine: {os.cpu_count()} cores, load {load:.2f} at the start; fdatasync p50 {p50:.2f}, p99 {p99:.2f} ms"
        )
        columns = ("store", "SOAP operation", "twoco req/s", "PHP peer req/s", "twoco / peer", "p99 ms twoco / peer")
        print(f"| {' | '.join(columns)} | parse-only floor (twoco's share) |")
        print("|---|---|---|---|---|---|---|")
        for kind in args.stores.split(","):
            compare(kind, args, tmp / kind)
        print(f"load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
