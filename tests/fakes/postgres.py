"""A PostgreSQL server of the test's own, to stop and start at will; and session killing.

`with PrivatePostgres() as pg:` runs `initdb` into a temporary folder of its own (as the
`postgres` user when run as root, so outside pytest's root-only tmp_path) and starts the
server with `pg_ctl` on a free loopback port; `pg.url` is its `postgres` database,
`pg.stop()` / `pg.start()` stop it (fast shutdown: every session is terminated) and start it
again on the same port; leaving the block stops it for good and removes the folder. The
shared server on 5432 is never touched. `missing()` names why no private server can be run
here (no initdb), for a skip.

`terminate_sessions(admin_url, application_name)` ends, like an operator's
`pg_terminate_backend`, the sessions whose application_name is exactly the one given —
only the test's own.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    return found[-1] or None


def missing() -> str | None:
    """Why a private server cannot run here, or None when it can."""
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        return "initdb/pg_ctl are not installed (Debian package postgresql)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """See the module docstring."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="newsdelta-pg-"))
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*user, *args], check=True, capture_output=True, timeout=60)

    def __enter__(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = _bin("initdb")
        assert initdb is not None
        self._run(initdb, "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl is not None
        log = str(self.folder / "server.log")
        self._run(pg_ctl, "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl is not None
        data = str(self.folder / "data")
        status = subprocess.run(
            ["runuser", "-u", "postgres", "--", pg_ctl, "-D", data, "status"]
            if os.geteuid() == 0
            else [pg_ctl, "-D", data, "status"],
            capture_output=True,
        )
        if status.returncode == 0:
            self._run(pg_ctl, "-D", data, "-m", "fast", "-w", "stop")


def terminate_sessions(admin_url: str, application_name: str) -> int:
    """`pg_terminate_backend` every session named `application_name`; returns how many."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (application_name,),
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)
