"""A PostgreSQL cluster of a test's own, to stop, freeze and turn read-only while twoco serves
from it (the shared cluster of scripts/test serves every other test, so it must not be touched)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres-cluster"


class PrivatePostgres:
    def __init__(self) -> None:
        # Not under pytest's tmp_path: that is its owner's alone, and the cluster runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="twoco-pg-")) / "pg"
        self.admin_url = subprocess.run(
            [str(SCRIPT), "start", str(self.folder)], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.url = self.admin_url  # twoco's store is the cluster's own postgres database

    def _pg_ctl(self, *args: str) -> None:
        (bin_dir,) = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]
        command = [f"{bin_dir}/pg_ctl", "-D", str(self.folder / "data"), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root (see scripts/postgres-cluster)
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, capture_output=True, check=True, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        # restart: with the options of the first start (postmaster.opts); -l, or the server would
        # keep our captured stdout open
        self._pg_ctl("-w", "-l", str(self.folder / "server.log"), "restart")

    def _signal_all(self, signum: int) -> None:
        """Every process of the cluster: the postmaster and the backends serving twoco."""
        postmaster = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        for pid in [postmaster, *map(int, children)]:
            os.kill(pid, signum)

    def freeze(self) -> None:
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(sql)

    def remove(self) -> None:
        try:
            self.thaw()
        except (OSError, ValueError):
            pass  # stopped already
        subprocess.run([str(SCRIPT), "stop", str(self.folder)], capture_output=True, check=False)
        shutil.rmtree(self.folder.parent, ignore_errors=True)
