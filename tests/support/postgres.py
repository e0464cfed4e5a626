"""A throwaway PostgreSQL cluster for tests: made, started, stopped and removed by the test run.

``Cluster.start()`` runs ``initdb`` in a fresh temporary directory, starts the server with
``pg_ctl`` listening only on a Unix socket inside that directory (no TCP port to race other
test runs for, nothing reachable from outside), and returns once it accepts connections.
``cluster.stop()`` stops it and removes the directory. Every step has a deadline.

``initdb`` refuses to run as root, so as root every server binary runs as the ``postgres``
system user (``runuser``), and otherwise as the user running the tests. The cluster is made
for speed, not durability (``fsync``, ``synchronous_commit`` and ``full_page_writes`` off,
minimal WAL): a crash loses it, and it is thrown away anyway.

    cluster = Cluster.start()
    try:
        with database(cluster.dsn()) as dsn:   # a fresh empty database, dropped afterwards
            ...psycopg.connect(dsn)...
    finally:
        cluster.stop()

The binaries are looked for in ``$WATCHWIRE_TEST_PG_BIN``, else in Debian's
``/usr/lib/postgresql/15/bin`` (``.ci/run`` installs the ``postgresql`` package when it is
missing). ``PostgresUnavailable`` says in words why a cluster could not be had.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

__all__ = ["DEFAULT_BIN", "Cluster", "PostgresUnavailable", "database"]

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "postgres"
PORT = 5432
"""Only names the socket file: the socket directory is private to the cluster."""
INITDB_TIMEOUT = 60.0
START_TIMEOUT = 30
STOP_TIMEOUT = 30
CONNECT_TIMEOUT = 10
STATEMENT_TIMEOUT_MS = 30_000

_SETTINGS = """
listen_addresses = ''
unix_socket_directories = '{socket_dir}'
port = {port}
# Throwaway: speed over durability.
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 1h
max_wal_size = 1GB
# Modest: the machine is shared, and tests are small.
shared_buffers = 32MB
max_connections = 60
autovacuum = off
jit = off
log_min_messages = warning
"""


class PostgresUnavailable(Exception):
    """No PostgreSQL cluster could be started here; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """A running throwaway cluster: its directory, and how to reach it."""

    base: Path
    """Holds the data directory, the socket and the server log."""
    bin: Path
    run_as: str | None
    """The system user that runs the server binaries (None: the current user)."""
    started_in: float
    """Seconds from nothing to accepting connections (initdb and start)."""

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    @property
    def pid(self) -> int:
        """The postmaster's process id (its children are the server's other processes)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq URL for one database of the cluster, as a user would write ``storage:``."""
        host = quote(str(self.base), safe="/")
        return f"postgresql://{SUPERUSER}@/{dbname}?host={host}&port={PORT}"

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def start(cls, bin_dir: Path | None = None, *, settings: str = "") -> Cluster:
        """Make and start a cluster; PostgresUnavailable (with the reason) when it cannot.

        ``settings``: ``postgresql.conf`` lines after the defaults (the benchmarks ask for a
        durable server, ``fsync = on`` and the rest)."""
        began = time.perf_counter()
        bin_dir = bin_dir or Path(os.environ.get("WATCHWIRE_TEST_PG_BIN", DEFAULT_BIN))
        for tool in ("initdb", "pg_ctl"):
            if not os.access(bin_dir / tool, os.X_OK):
                raise PostgresUnavailable(
                    f"{bin_dir / tool} not found: install PostgreSQL 15 (Debian: apt-get install "
                    "postgresql) or point WATCHWIRE_TEST_PG_BIN at its bin directory"
                )
        run_as = _server_user()
        # /tmp rather than pytest's tmp_path: the server user must be able to reach it, and
        # a socket path must stay short (about 100 bytes).
        base = Path(tempfile.mkdtemp(prefix="watchwire-pg-", dir="/tmp"))
        cluster = cls(base=base, bin=bin_dir, run_as=run_as, started_in=0.0)
        try:
            if run_as is not None:
                user = pwd.getpwnam(run_as)
                os.chown(base, user.pw_uid, user.pw_gid)
            cluster._initdb(settings)
            cluster._pg_ctl("start", "-w", "-t", str(START_TIMEOUT), "-l", str(cluster.log))
            cluster._check_connects()
        except BaseException:
            cluster.stop()
            raise
        return dataclasses.replace(cluster, started_in=time.perf_counter() - began)

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and remove its directory."""
        try:
            self._halt()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _halt(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            with contextlib.suppress(PostgresUnavailable):
                self._pg_ctl("stop", "-m", mode, "-w", "-t", str(STOP_TIMEOUT))
                return
        # The postmaster we started, by its pid: nothing else is touched.
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)

    # --- steps ----------------------------------------------------------------------------------

    def _initdb(self, extra: str = "") -> None:
        self._run(
            "initdb",
            "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            timeout=INITDB_TIMEOUT,
        )  # fmt: skip
        settings = _SETTINGS.format(socket_dir=self.base, port=PORT)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings + extra)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args, timeout=STOP_TIMEOUT + START_TIMEOUT)

    def _check_connects(self) -> None:
        try:
            with _admin(self.dsn()) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise PostgresUnavailable(f"the server started but refuses connections: {exc}") from exc

    def _run(self, tool: str, *args: str, timeout: float) -> None:
        command = [str(self.bin / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                env=_server_env(),
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(f"{tool} did not finish within {timeout:.0f} s") from exc
        except OSError as exc:
            raise PostgresUnavailable(f"cannot run {tool}: {exc}") from exc
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-3:]
            if self.log.exists():  # the server's own words, when it got that far
                said += self.log.read_text(errors="replace").strip().splitlines()[-5:]
            step = f"{tool} {args[0]}" if tool == "pg_ctl" else tool
            raise PostgresUnavailable(
                f"{step} failed (exit {done.returncode}): " + " | ".join(said)
            )


_numbers = itertools.count(1)


@contextlib.contextmanager
def database(server_dsn: str, *, locale: str | None = None) -> Iterator[str]:
    """A fresh empty database on the server of ``server_dsn``, dropped afterwards; its DSN.

    ``locale``: the database's own (``LC_COLLATE`` and ``LC_CTYPE``), instead of the cluster's.
    """
    name = f"test_{os.getpid()}_{next(_numbers)}"
    # FILE_COPY: a third of the time of PostgreSQL 15's default WAL_LOG for a small template,
    # and the checkpoints it takes cost little with fsync off.
    sql = f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY'
    if locale is not None:
        sql += f" TEMPLATE template0 LOCALE '{locale}'"
    with _admin(server_dsn) as conn:
        conn.execute(sql)
    try:
        yield urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))
    finally:
        with _admin(server_dsn) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _admin(dsn: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(
        dsn,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
    ) as conn:
        yield conn


def _server_user() -> str | None:
    """Who runs the server: as root, the ``postgres`` system user (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "running as root and there is no 'postgres' system user to run initdb as "
            "(Debian's postgresql package creates it)"
        ) from None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and runuser (util-linux) is not installed")
    return SUPERUSER


def _server_env() -> dict[str, str]:
    """The environment without libpq's variables, which would point the tools elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env
