"""A PostgreSQL server of the tests' own: Debian's binaries, initdb in a temporary folder, run as
an unprivileged user (initdb refuses root), listening on 127.0.0.1 only, stopped at the end.

Each test gets a fresh database owned by a role with no more rights than the README asks for
(LOGIN, owner of its database), so the documented set-up is what the tests run on.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

# Debian's layout: /usr/lib/postgresql/VERSION/bin (15 on bookworm); the newest installed
BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin"),
)
ROLE = "office"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_user() -> tuple[Callable[[], None], int, int]:
    """Run the server as `postgres` when we are root (initdb refuses root), else as ourselves;
    it stops if the test run dies without stopping it."""
    root = os.geteuid() == 0
    account = pwd.getpwnam("postgres") if root else None

    def drop() -> None:
        if account is not None:
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        # after setuid, which clears it: SIGINT (a fast shutdown) when our process is gone
        ctypes.CDLL(None).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG

    if account is None:
        return drop, os.getuid(), os.getgid()
    return drop, account.pw_uid, account.pw_gid


@dataclass
class PgServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str, user: str = ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url("postgres", "postgres"), autocommit=True)

    def new_database(self) -> str:
        """A fresh, empty database owned by the unprivileged role; its URL."""
        name = f"journal_{os.getpid()}_{next(self.counter)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE template0")
        return self.url(name)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # fast shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(*, durable: bool = False) -> PgServer:
    """``durable``: fsync as in production (the benchmark); the tests check logic, not disks."""
    drop, uid, gid = _as_user()
    folder = Path(tempfile.mkdtemp(prefix="mailer-pg-"))
    os.chown(folder, uid, gid)
    data = folder / "data"
    subprocess.run(
        [BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, preexec_fn=drop, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    port = _free_port()
    settings = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", str(folder)]
    settings += ["-c", "max_connections=60", "-c", "shared_buffers=32MB"]
    if not durable:
        settings += ["-c", "fsync=off", "-c", "full_page_writes=off"]
    process = subprocess.Popen(
        [BIN / "postgres", "-D", data, *settings],
        preexec_fn=drop,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),
    )
    server = PgServer(folder, port, process)
    deadline = time.monotonic() + 30
    while True:
        try:
            with server.admin() as conn:
                conn.execute(f"CREATE ROLE {ROLE} LOGIN")
            return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "server.log").read_text(errors="replace")
                server.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
            time.sleep(0.05)


def query(target: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Read (or change) the journal for a test, straight through the engine's own driver
    (sqlite3 or psycopg), not through mailer: ``?`` placeholders; committed on return."""
    if target.startswith("postgresql://"):
        with psycopg.connect(target) as conn:
            cursor = conn.execute(sql.replace("%", "%%").replace("?", "%s").encode(), params)
            return [tuple(row) for row in cursor] if cursor.description else []
    # closed here, not when collected: an open reader keeps the -wal and -shm files beside it
    with closing(sqlite3.connect(target)) as db, db:
        return [tuple(row) for row in db.execute(sql, params)]
