"""The throwaway PostgreSQL cluster the PostgreSQL tests run on (tests/support/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import Cluster, PostgresUnavailable, database

REPO = Path(__file__).resolve().parents[3]


def test_each_test_gets_a_fresh_empty_database(postgres_server: str, postgres_dsn: str) -> None:
    """The function-scoped database is new, empty, and not the server's own."""
    with psycopg.connect(postgres_dsn) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        ).fetchone()
    assert name is not None and name[0] not in ("postgres", "template1")
    assert tables == (0,)


def test_a_database_is_dropped_after_use(postgres_server: str) -> None:
    """What one test wrote is gone for the next: the database itself is dropped."""
    with database(postgres_server) as dsn, psycopg.connect(dsn) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        conn.execute("CREATE TABLE t (x int)")
    with psycopg.connect(postgres_server) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", name).fetchone()
    assert left == (0,)


def test_the_cluster_is_private_and_made_for_speed(postgres_dsn: str) -> None:
    """No TCP listener (a socket in its own directory), and durability traded for speed."""
    with psycopg.connect(postgres_dsn) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'fsync', 'synchronous_commit', 'full_page_writes')"
            ).fetchall()
        )
        server_encoding = conn.execute("SHOW server_encoding").fetchone()
    assert settings == {
        "listen_addresses": "",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    assert server_encoding == ("UTF8",)


def test_stop_removes_the_cluster() -> None:
    """A stopped cluster's server is gone and so is its directory."""
    cluster = Cluster.start()
    try:
        with psycopg.connect(cluster.dsn()) as conn:
            up = conn.execute("SELECT pg_postmaster_start_time() IS NOT NULL").fetchone()
        assert up == (True,)
    finally:
        cluster.stop()
    assert not cluster.base.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(cluster.dsn(), connect_timeout=2).close()


def test_missing_binaries_say_what_to_install(tmp_path: Path) -> None:
    """Without PostgreSQL the reason names the missing program and how to get it."""
    with pytest.raises(PostgresUnavailable, match=r"initdb not found: install PostgreSQL 15"):
        Cluster.start(bin_dir=tmp_path)


def _run_without_postgres(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["WATCHWIRE_TEST_PG_BIN"] = "/nonexistent"
    test = f"{Path(__file__).relative_to(REPO)}::test_each_test_gets_a_fresh_empty_database"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", test],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_postgres_a_test_fails_under_ci() -> None:
    """CI=true: a PostgreSQL test that cannot get a cluster is a failure, not a skip."""
    done = _run_without_postgres("true")
    assert done.returncode == 1, done.stdout
    assert "PostgreSQL could not be started" in done.stdout
    assert "/nonexistent/initdb not found" in done.stdout


def test_without_postgres_a_test_is_skipped_loudly_elsewhere() -> None:
    """Elsewhere the test is skipped, and the summary says why and that it did not pass."""
    done = _run_without_postgres(None)
    assert done.returncode == 0, done.stdout
    assert "SKIPPED, NOT PASSED: PostgreSQL could not be started" in done.stdout
    assert "1 skipped" in done.stdout
