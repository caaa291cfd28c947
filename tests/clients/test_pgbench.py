"""pgbench 15 against vdb serve: its own initialization (`pgbench -i`: tables WITH (fillfactor),
COPY ... WITH (FREEZE ON), VACUUM ANALYZE, ALTER TABLE ADD PRIMARY KEY) and its TPC-B-like
script from several clients, retrying serialization failures, after which the balances must
add up as TPC-B requires."""

import glob
import shutil
import subprocess

import psycopg2
import pytest

PGBENCH = shutil.which("pgbench") or next(
    iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
)
pytestmark = pytest.mark.skipif(PGBENCH is None, reason="pgbench is not installed")


def pgbench(server, *args):
    return subprocess.run(
        [PGBENCH, "-h", "127.0.0.1", "-p", str(server.port), "-U", "tester", *args, server.database],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pgbench_initializes_and_runs_tpcb(server):
    init = pgbench(server, "-i", "-s", "1")
    assert init.returncode == 0, init.stderr
    assert "creating primary keys..." in init.stderr
    # Concurrent transactions that update the same row fail at COMMIT with 40001 in vdb (it
    # merges transactions optimistically instead of locking rows), so pgbench retries them, as
    # it does under PostgreSQL's SERIALIZABLE.
    run = pgbench(server, "-c", "4", "-t", "25", "--max-tries", "1000")
    assert run.returncode == 0, run.stderr
    assert "number of transactions actually processed: 100/100" in run.stdout, run.stdout
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pgbench_accounts")
    assert cur.fetchone() == (100000,)
    cur.execute("SELECT count(*), coalesce(sum(delta), 0) FROM pgbench_history")
    transactions, deltas = cur.fetchone()
    assert transactions == 100
    # Every transaction adds its delta to one account, one teller and one branch.
    for table in ["pgbench_accounts", "pgbench_tellers", "pgbench_branches"]:
        prefix = table.split("_")[1][0]
        cur.execute(f"SELECT sum({prefix}balance) FROM {table}")
        assert cur.fetchone() == (deltas,), table
    cur.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = 'pgbench_accounts'::regclass AND i.indisprimary"
    )
    assert cur.fetchall() == [("aid",)]
    conn.close()
