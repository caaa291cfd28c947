"""What drivers rely on beyond the happy path: a statement that fails to plan fails its
transaction block, transaction-stable time, binary numerics, error positions, deep
expressions, and the transaction modes and clauses drivers and ORMs render."""

import decimal
import random

import psycopg
import psycopg2
import pytest


def test_a_statement_that_fails_to_plan_fails_its_block(server):
    conn = psycopg.connect(server.dsn())
    conn.execute("CREATE TABLE fails_block (v int)")
    conn.commit()
    conn.execute("INSERT INTO fails_block VALUES (%s)", (1,))
    with pytest.raises(psycopg.errors.UndefinedColumn):
        conn.execute("INSERT INTO fails_block (nosuch) VALUES (%s)", (2,))
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        conn.execute("INSERT INTO fails_block VALUES (%s)", (3,))
    conn.commit()  # ends the failed block: a rollback
    assert conn.execute("SELECT count(*) FROM fails_block").fetchone() == (0,)
    # A parameter that does not decode fails the block too.
    conn.execute("INSERT INTO fails_block VALUES (%s)", (4,))
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT %s::int", ("four",))
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM fails_block").fetchone() == (0,)


def test_errors_point_at_what_they_name(server):
    conn = psycopg.connect(server.dsn(), autocommit=True)
    conn.execute("CREATE TABLE pointed (id int)")
    for sql, position in [
        ("SELECT nosuch FROM pointed", 8),
        ("SELECT id FROM\n  nowhere", 18),
        ("SELECT p.nosuch FROM pointed p", 8),
        ("SELECT no_function(id) FROM pointed", 8),
    ]:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(sql)
        assert caught.value.diag.statement_position == str(position), sql
    with pytest.raises(psycopg.errors.UndefinedFunction) as caught:
        conn.execute("SELECT no_function(1)")
    assert caught.value.diag.message_hint.startswith("No function matches")


def test_now_is_the_transaction_start(server):
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE stamped (t timestamptz DEFAULT now(), c timestamptz DEFAULT clock_timestamp())")
    cur.execute("SELECT now(), statement_timestamp()")
    began, first_statement = cur.fetchone()
    cur.execute("SELECT pg_sleep(0.02)")
    cur.execute("INSERT INTO stamped DEFAULT VALUES")
    cur.execute("INSERT INTO stamped DEFAULT VALUES")
    cur.execute(
        "SELECT count(DISTINCT t), count(DISTINCT c), min(t), now(), statement_timestamp() FROM stamped"
    )
    distinct_t, distinct_c, t, now, statement = cur.fetchone()
    assert (distinct_t, distinct_c) == (1, 2)
    assert t == now == began and statement > first_statement
    conn.commit()
    cur.execute("SELECT now() > %s", (began,))
    assert cur.fetchone() == (True,)


def test_binary_numerics_keep_their_digits(server):
    conn = psycopg.connect(server.dsn(), autocommit=True)
    cur = conn.cursor(binary=True)
    row = cur.execute(
        "SELECT 0.00000001::numeric(18,8), 1e16::numeric, -1e-10::numeric, 1.5e-7::numeric"
    ).fetchone()
    assert row == (
        decimal.Decimal("0.00000001"),
        decimal.Decimal("10000000000000000"),
        decimal.Decimal("-1E-10"),
        decimal.Decimal("1.5E-7"),
    )
    rng = random.Random(28)
    values = [
        decimal.Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 20))
        for _ in range(300)
    ]
    cur.execute("CREATE TABLE decimals (i int, d numeric)")
    cur.executemany("INSERT INTO decimals VALUES (%s, %s)", list(enumerate(values)))
    back = [d for (d,) in cur.execute("SELECT d FROM decimals ORDER BY i").fetchall()]
    assert back == values


def test_deep_expressions_run_or_fail_cleanly(server):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT 1" + " + 1" * 5000)
    assert cur.fetchone() == (5001,)
    terms = " OR ".join(f"(a = {i} AND b = {i})" for i in range(5000))
    cur.execute(f"SELECT count(*) FROM (VALUES (4999, 4999), (1, 2)) t(a, b) WHERE {terms}")
    assert cur.fetchone() == (1,)
    with pytest.raises(psycopg2.errors.StatementTooComplex):
        cur.execute("SELECT 1" + " + 1" * 20000)
    cur.execute("SELECT 2")
    assert cur.fetchone() == (2,)


def test_writes_up_to_a_sync_commit_together(server):
    conn = psycopg.connect(server.dsn(), autocommit=True)
    conn.execute("CREATE TABLE batched (v int PRIMARY KEY)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.cursor().executemany("INSERT INTO batched VALUES (%s)", [(1,), (2,), (1,), (3,)])
    assert conn.execute("SELECT count(*) FROM batched").fetchone() == (0,)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    conn.cursor().executemany("INSERT INTO batched VALUES (%s)", [(5,), (6,)])
    with conn.pipeline():
        conn.execute("INSERT INTO batched VALUES (7)")
        conn.execute("SELECT 1")
    # BEGIN makes the block explicit: the Sync after it does not end it.
    conn.execute("BEGIN")
    conn.execute("INSERT INTO batched VALUES (%s)", (8,))
    conn.execute("ROLLBACK")
    other = psycopg.connect(server.dsn())
    rows = other.execute("SELECT array_agg(v ORDER BY v) FROM batched").fetchone()
    assert rows == ([5, 6, 7],)


def test_an_implicit_block_stamps_the_time_it_began(server):
    conn = psycopg.connect(server.dsn(), autocommit=True)
    conn.execute("CREATE TABLE pipelined_stamps (v int, t timestamptz DEFAULT now())")
    conn.execute("SELECT pg_sleep(0.2)")
    before = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    conn.cursor().executemany("INSERT INTO pipelined_stamps (v) VALUES (%s)", [(1,), (2,)])
    stamps = conn.execute("SELECT DISTINCT t FROM pipelined_stamps").fetchall()
    assert len(stamps) == 1 and stamps[0][0] >= before
